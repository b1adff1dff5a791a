"""How the training text's sentences begin and end, so that text a person reads does too.

A one-minute model ends about one sample in twenty on a word ("…the monster was in the") and now and then begins
one in lower case, although its novel's sentences all begin with a capital and end with a mark. When nearly all
training sentences (SHARE) end with a mark, a displayed sentence may only end after one of the marks they end with
(. ? ! ” ; 。 …); when the first letter of nearly all cased ones is a capital (“I…), its first letter may not be
in lower case. A corpus that does neither (lower-cased news, reviews without full stops) sets no rule. The shape travels
in the bundle (``shape.json``); evaluation never uses it (``DecodeOptions.sentence_shape``).
"""

from __future__ import annotations

import codecs
import json
import weakref
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import TextVAEError
from .special_tokens import EOS_ID

if TYPE_CHECKING:
    from torch import Tensor

SHARE = 0.95  # "nearly all" sentences: below this the corpus has no rule to keep
MIN_SENTENCES = 20  # fewer say nothing about a corpus's habits
MIN_COUNT = 2  # a mark must end this many sentences to be an ending (one odd line is not a habit)
MAX_ENDINGS = 64


def first_letter(text: str) -> str:
    """The first letter of a text ("" when it has none): “Well,” -> "W"; ’s -> "s"."""
    return next((c for c in text if c.isalpha()), "")


@dataclass(frozen=True)
class SentenceShape:
    """The rules learnt from a corpus: the marks its sentences end with (empty: no end rule), and whether they
    have a capital for first letter."""

    endings: frozenset[str] = frozenset()
    no_lower_start: bool = False

    @property
    def rules(self) -> bool:
        return bool(self.endings) or self.no_lower_start

    @classmethod
    def learn(cls, sentences: Iterable[str]) -> SentenceShape:
        """The shape of these sentences: a rule only where nearly all of them keep it."""
        texts = [s.strip() for s in sentences if s.strip()]
        if len(texts) < MIN_SENTENCES:
            return cls()
        last = Counter(s[-1] for s in texts)
        marked = sum(n for char, n in last.items() if not char.isalnum())
        endings = frozenset(c for c, n in last.items() if not c.isalnum() and n >= MIN_COUNT)
        if marked < SHARE * len(texts) or len(endings) > MAX_ENDINGS:
            endings = frozenset()
        firsts = [c for c in map(first_letter, texts) if c.isupper() or c.islower()]
        lower = sum(c.islower() for c in firsts)
        cased = len(firsts) >= MIN_SENTENCES and lower <= (1 - SHARE) * len(firsts)
        return cls(endings, cased)

    def to_json(self) -> str:
        return json.dumps({"endings": sorted(self.endings), "no_lower_start": self.no_lower_start}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SentenceShape:
        """A bundle's shape.json, checked: up to MAX_ENDINGS single non-alphanumeric characters and a flag."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TextVAEError(f"shape.json is not valid JSON: {exc.msg}.") from exc
        endings, flag = (data.get("endings"), data.get("no_lower_start")) if isinstance(data, dict) else (None, None)
        if (
            not isinstance(endings, list)
            or len(endings) > MAX_ENDINGS
            or not all(isinstance(c, str) and len(c) == 1 and not c.isalnum() for c in endings)
            or not isinstance(flag, bool)
        ):
            raise TextVAEError(
                'shape.json must hold {"endings": [up to 64 single punctuation characters], "no_lower_start": '
                "true or false}."
            )
        return cls(frozenset(endings), flag)


class ShapeGuard:
    """Masks, step by step, the tokens that would break the shape: the end of sentence after a character that is
    not an ending, and a lower-case first letter."""

    def __init__(self, piece_bytes: list[bytes], shape: SentenceShape):
        self.shape = shape
        self.bytes = piece_bytes
        firsts = [first_letter(piece.decode("utf-8", "ignore")) for piece in piece_bytes]
        self.lower_starts = [i for i, first in enumerate(firsts) if first.islower()] if shape.no_lower_start else []

    def _written(self, ids: list[int]) -> tuple[str, bytes]:
        """What a row has written (trailing spaces dropped), and the bytes of a character not complete yet."""
        decoder = codecs.getincrementaldecoder("utf-8")("ignore")  # as the display: invalid bytes vanish
        text = decoder.decode(b"".join(self.bytes[t] for t in ids))
        return text.rstrip(), decoder.getstate()[0]

    def _lower_starts(self, pending: bytes) -> list[int]:
        """The tokens whose first letter, the sentence's first, would be in lower case."""
        if not pending:
            return self.lower_starts
        return [
            t
            for t, piece in enumerate(self.bytes)
            if first_letter((pending + piece).decode("utf-8", "ignore")).islower()
        ]  # rare: a sentence that begins with a character written byte by byte

    def trim(self, ids: list[int]) -> list[int]:
        """A sentence the length limit cut (``ids`` without an end), up to its last token after which it may end;
        the whole of it when there is none."""
        for end in range(len(ids), 0, -1):
            text, pending = self._written(ids[:end])
            visible = self.bytes[ids[end - 1]].strip() and not pending
            if visible and text[-1:] in self.shape.endings and any(map(str.isalnum, text)):
                return ids[:end]
        return ids

    def mask(self, logits: Tensor, history: list[list[int]]) -> Tensor:
        """``logits`` (rows × vocabulary) with the tokens that break the shape set to -inf, in place: a first
        letter in lower case, and the end of sentence before a word or after anything but an ending ("’" alone
        is no sentence)."""
        for row, ids in enumerate(history):
            if ids and ids[-1] == EOS_ID:
                continue
            text, pending = self._written(ids)
            if self.lower_starts and not any(map(str.isalpha, text)):
                logits[row, self._lower_starts(pending)] = float("-inf")
            if self.shape.endings and (text[-1:] not in self.shape.endings or not any(map(str.isalnum, text))):
                logits[row, EOS_ID] = float("-inf")
        return logits


_GUARDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def shape_guard(tokenizer) -> ShapeGuard | None:
    """The guard of a tokenizer that carries a shape with a rule (built once per tokenizer), else None."""
    shape = tokenizer.shape
    if shape is None or not shape.rules:
        return None
    if tokenizer not in _GUARDS:
        _GUARDS[tokenizer] = ShapeGuard([tokenizer.piece_bytes(i) for i in range(tokenizer.vocab_size)], shape)
    return _GUARDS[tokenizer]
