"""Which language a text is in, as far as sentence splitting needs to know, and splitting Chinese and Japanese.

pysbd's English rules do not know 。！？, so a Chinese novel came out as one "sentence" per paragraph.
Chinese and Japanese are told apart from the rest by their share of CJK characters and split here, at
their sentence marks; other languages get pysbd's own rules where the script or a few very common
words give the language away cheaply, else English. No model, no download.
"""

from __future__ import annotations

import re
from collections import Counter

CJK_SHARE = 0.3  # of the letters: above it, a text is Chinese or Japanese
SAMPLE_CHARS = 20_000
MIN_EVIDENCE = 5  # common words a Latin-script text needs before it is taken for another language than English

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
# A sentence: up to and including its marks (。！？!? or an ellipsis ……), then any closing quotes or brackets.
_CJK_SENTENCE = re.compile(r".+?(?:[。！？!?]+|…{2,}|\.{6,})[」』”’\"'）)】》〉]*|.+$", re.S)

# Scripts that name one pysbd language (or nearly: Cyrillic is refined below).
_SCRIPTS = (
    (re.compile(r"[\u0900-\u097f]"), "hi"),
    (re.compile(r"[\u0600-\u06ff]"), "ar"),
    (re.compile(r"[\u0530-\u058f]"), "hy"),
    (re.compile(r"[\u0400-\u04ff]"), "ru"),
    (re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]"), "el"),
    (re.compile(r"[\u1200-\u137f]"), "am"),
    (re.compile(r"[\u1000-\u109f]"), "my"),
)
# Very common words of the Latin-script languages pysbd knows: the most hits names the language.
_FUNCTION_WORDS = {
    "en": "the and of to is that it was in for with",
    "de": "der die und das nicht ist ich sie zu den mit",
    "fr": "le la les et est une des que dans pas pour",
    "es": "el la los las y que es una por con para",
    "it": "il di che non una per della sono gli con",
    "nl": "de het een van en niet dat zijn voor ik",
    "da": "og det er til af ikke jeg som med har en",
    "pl": "nie się na że jest jak ale czy tak już",
    "sk": "sa je že ako aj som sú ale by už",
}
_WORD_SETS = {lang: set(words.split()) for lang, words in _FUNCTION_WORDS.items()}


def cjk_share(text: str) -> float:
    """The share of Chinese and Japanese characters among the letters of ``text`` (a sample of it)."""
    sample = text[:SAMPLE_CHARS]
    letters = sum(1 for ch in sample if ch.isalpha())
    cjk = len(_HAN.findall(sample)) + len(_KANA.findall(sample))
    return cjk / letters if letters else 0.0


def detect_language(text: str) -> str:
    """A pysbd language code ("en", "zh", "ja", "de", "ru", ...): "en" when nothing says otherwise."""
    sample = text[:SAMPLE_CHARS]
    if cjk_share(sample) >= CJK_SHARE:
        return "ja" if len(_KANA.findall(sample)) >= 0.05 * len(_HAN.findall(sample)) + 1 else "zh"
    letters = sum(1 for ch in sample if ch.isalpha()) or 1
    for pattern, lang in _SCRIPTS:
        if len(pattern.findall(sample)) >= 0.3 * letters:
            return _refine(lang, sample)
    hits = Counter()
    for word in re.findall(r"[^\W\d_]+", sample.lower()):
        for lang, words in _WORD_SETS.items():
            if word in words:
                hits[lang] += 1
    if not hits:
        return "en"
    best, count = hits.most_common(1)[0]
    return best if count >= MIN_EVIDENCE and count > 1.5 * hits.get("en", 0) else "en"


def _refine(lang: str, sample: str) -> str:
    """Persian and Urdu within Arabic script, Kazakh and Bulgarian within Cyrillic, by their own letters."""
    if lang == "ar":
        if re.search(r"[ٹڈڑںےھ]", sample):
            return "ur"
        return "fa" if re.search(r"[پچژگ]", sample) else "ar"
    if lang == "ru":
        if re.search(r"[әғқңөұүһі]", sample.lower()):
            return "kk"
        words = re.findall(r"[а-яё]+", sample.lower())
        bulgarian = sum(w in ("и", "на", "се", "да", "за", "са", "като") for w in words)
        russian = sum(w in ("и", "не", "что", "он", "как", "это", "я") for w in words)
        return "bg" if bulgarian > 1.5 * russian and "ы" not in sample else "ru"
    return lang


def is_cjk(lang: str) -> bool:
    """Chinese and Japanese are split here, not by pysbd."""
    return lang in ("zh", "ja")


def split_cjk(paragraph: str) -> list[str]:
    """Split Chinese or Japanese at 。！？ (and ！？ full-width, ……), keeping a closing 」』” with its sentence."""
    return [s.strip() for s in _CJK_SENTENCE.findall(paragraph) if s.strip()]
