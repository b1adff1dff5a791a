"""The one normal form of text, for the corpus and the tokenizer alike: NFKC, except full-width punctuation.

NFKC folds what only looks different ("ﬁ" -> "fi", full-width "Ｔｅｘｔ" -> "Text"), so one word is one word.
It also turns the full-width punctuation of Chinese and Japanese text (，！？：；（）) into ASCII, and a model
trained on a Chinese novel would then write "，" as ",": wrong in that script. That punctuation stays.
"""

from __future__ import annotations

import re
import unicodedata

# Full-width punctuation and symbols (U+FF01-FF0F, FF1A-FF20, FF3B-FF40, FF5B-FF60); the full-width letters and
# digits between them are folded to ASCII, the half-width forms after them to their full forms, as NFKC does.
_FULL_WIDTH_PUNCTUATION = re.compile("[\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff60]+")


def unicode_form(text: str) -> str:
    """NFKC of ``text``, its full-width punctuation kept as it is (idempotent, like NFKC)."""
    parts = _FULL_WIDTH_PUNCTUATION.split(text)
    if len(parts) == 1:
        return unicodedata.normalize("NFKC", text)
    kept = _FULL_WIDTH_PUNCTUATION.findall(text)
    out = [unicodedata.normalize("NFKC", parts[0])]
    for marks, part in zip(kept, parts[1:], strict=True):
        out += [marks, unicodedata.normalize("NFKC", part)]
    return "".join(out)
