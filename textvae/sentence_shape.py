"""How the training text's sentences begin, end and are punctuated, so that text a person reads is too.

A one-minute model ends about one sample in twenty on a word ("…the monster was in the") and now and then begins
one in lower case, although its novel's sentences all begin with a capital and end with a mark. When nearly all
training sentences (SHARE) end with a mark, a displayed sentence may only end after one of the marks they end with
(. ? ! ” 。 …), a sentence mark rather than a clause mark (, ; :) where they end with both (CLAUSE_MARKS); when the
first letter of nearly all cased ones is a capital (“I…), its first letter may not be in lower case. A corpus that
does neither (lower-cased news, reviews without full stops) sets no rule.

It also writes a word twice ("and and", "the the": about one sample in fifty) and marks no text has (",," "::"):
a word may follow itself only where the training text doubles it ("that that"), and two marks may meet (spaces
between them or not) only as they do there (.” ,“ ?’). In a text that keeps to case, a word inside a sentence has a
capital only where the text gives it one there ("Mr. Kirwin", "I", not "the Who of Britain", nor a name from the base
model's other books). The shape travels in the bundle (``shape.json``; one saved before these rules has none of
them); evaluation never uses it (``DecodeOptions.sentence_shape``).
"""

from __future__ import annotations

import codecs
import json
import re
import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import Tensor

from .errors import TextVAEError
from .special_tokens import EOS_ID
from .word_guard import MAX_WORD_LENGTH, is_word_character

SHARE = 0.95  # "nearly all" sentences: below this the corpus has no rule to keep
MIN_SENTENCES = 20  # fewer say nothing about a corpus's habits
MIN_COUNT = 2  # a mark must end this many sentences to be an ending (one odd line is not a habit)
MAX_ENDINGS = 64
# Marks that end a clause, not a sentence. Long sentences are cut after them for training (corpus.segmentation), so a
# novel's units end with one one time in eight; where the text also ends units with a sentence mark (. ? ! ” 。), a
# displayed sentence ends only after one of those.
CLAUSE_MARKS = frozenset(",;:—–-、，；：")
MAX_PAIRS = 2048  # more distinct pairs of marks: the text is symbols, not prose, and gets no pair rule
MAX_DOUBLED = 128  # more distinct doubled words: no doubling rule
MAX_CAPITALS = 2048  # more distinct words with a capital inside sentences: no rule (and shape.json stays under 1 MB)
MAX_INDICES = 4096  # token lists kept as index tensors by a guard (a few per mark and per recent word)
_PAIR = re.compile(r"([^\w\s])\s*(?=([^\w\s]))")  # two marks, spaces between them or not
_DOUBLED = re.compile(r"\b([^\W\d_]+)\s+\1\b", re.IGNORECASE)
_LAST_WORD = re.compile(r"([^\W\d_]+)(\s*)$")
_FIRST_WORD = re.compile(r"(\s*)([^\W\d_]+)")
_LAST_TWO_WORDS = re.compile(r"([^\W\d_]+)\s+([^\W\d_]+)$")
_MARK = re.compile(r"[^\w\s]")
_WORD = re.compile(r"[^\W\d_]+")
_TRAILING_WORD = re.compile(r"(\s+)([^\W\d_]+)$")
_INSIDE = ",;:"  # after a word or one of these (and a space), a word is inside a sentence, not at one's start


def _inside_after(last: str) -> bool:
    """A word after this character (and a space) is inside a sentence: it follows a word or , ; :"""
    return last.isalnum() or (last != "" and last in _INSIDE)


def first_letter(text: str) -> str:
    """The first letter of a text ("" when it has none): “Well,” -> "W"; ’s -> "s"."""
    return next((c for c in text if c.isalpha()), "")


def mark_pairs(text: str) -> set[str]:
    """The pairs of marks that meet in a text, spaces between them dropped: 'he said, “No.”' -> {',“', '.”'}."""
    return {m.group(1) + m.group(2) for m in _PAIR.finditer(text)}


def doubled_words(text: str) -> set[str]:
    """The words a text writes twice in a row, lowercased ("that that"); only in scripts that space their words."""
    return {m.group(1).lower() for m in _DOUBLED.finditer(text) if all(map(is_word_character, m.group(1)))}


def mid_capitals(text: str) -> set[str]:
    """The words a text writes with a capital inside a sentence, after a word or , ; : and a space, lowercased:
    "said Mr. Kirwin, and I" -> {"mr", "i"} ("Kirwin" follows "."; a quotation's first word follows a quote)."""
    found = set()
    for match in _WORD.finditer(text):
        before, word = text[: match.start()], match.group(0)
        last = before.rstrip()[-1:]
        inside = len(before) > len(before.rstrip()) and _inside_after(last)
        if inside and word[0].isupper() and all(map(is_word_character, word)):
            found.add(word.lower())
    return found


def _is_pair(text: str) -> bool:
    return isinstance(text, str) and len(text) == 2 and not any(c.isalnum() or c.isspace() or c == "_" for c in text)


def _is_word(text: str) -> bool:
    return (
        isinstance(text, str)
        and 0 < len(text) <= MAX_WORD_LENGTH
        and text == text.lower()
        and all(map(is_word_character, text))
    )


@dataclass(frozen=True)
class SentenceShape:
    """The rules learnt from a corpus: the marks its sentences end with (empty: no end rule), whether they have a
    capital for first letter, the pairs of marks that meet in them and the words they double (None: no such rule)."""

    endings: frozenset[str] = frozenset()
    no_lower_start: bool = False
    pairs: frozenset[str] | None = None
    doubled: frozenset[str] | None = None
    capitals: frozenset[str] | None = None

    @property
    def rules(self) -> bool:
        return (
            bool(self.endings)
            or self.no_lower_start
            or any(rule is not None for rule in (self.pairs, self.doubled, self.capitals))
        )

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
        pairs = frozenset(p for s in texts for p in mark_pairs(s))
        doubled = frozenset(w for s in texts for w in doubled_words(s) if len(w) <= MAX_WORD_LENGTH)
        capitals = frozenset(w for s in texts for w in mid_capitals(s) if len(w) <= MAX_WORD_LENGTH)
        return cls(
            endings,
            cased,
            pairs if len(pairs) <= MAX_PAIRS else None,
            doubled if len(doubled) <= MAX_DOUBLED else None,
            capitals if cased and len(capitals) <= MAX_CAPITALS else None,  # a text that keeps to case
        )

    def to_json(self) -> str:
        data: dict = {"endings": sorted(self.endings), "no_lower_start": self.no_lower_start}
        if self.pairs is not None:
            data["pairs"] = sorted(self.pairs)
        if self.doubled is not None:
            data["doubled"] = sorted(self.doubled)
        if self.capitals is not None:
            data["capitals"] = sorted(self.capitals)
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SentenceShape:
        """A bundle's shape.json, checked: up to MAX_ENDINGS single non-alphanumeric characters and a flag; where
        present, up to MAX_PAIRS pairs of marks, MAX_DOUBLED and MAX_CAPITALS lowercase words."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TextVAEError(f"shape.json is not valid JSON: {exc.msg}.") from exc
        data = data if isinstance(data, dict) else {}
        endings, flag = data.get("endings"), data.get("no_lower_start")
        pairs, doubled, capitals = data.get("pairs", []), data.get("doubled", []), data.get("capitals", [])
        if (
            not isinstance(endings, list)
            or len(endings) > MAX_ENDINGS
            or not all(isinstance(c, str) and len(c) == 1 and not c.isalnum() for c in endings)
            or not isinstance(flag, bool)
            or not isinstance(pairs, list)
            or len(pairs) > MAX_PAIRS
            or not all(map(_is_pair, pairs))
            or not isinstance(doubled, list)
            or len(doubled) > MAX_DOUBLED
            or not all(map(_is_word, doubled))
            or not isinstance(capitals, list)
            or len(capitals) > MAX_CAPITALS
            or not all(map(_is_word, capitals))
        ):
            raise TextVAEError(
                'shape.json must hold {"endings": [up to 64 single punctuation characters], "no_lower_start": '
                'true or false} and may hold "pairs" (up to 2,048 two-mark strings), "doubled" (up to 128 lowercase '
                'words) and "capitals" (up to 2,048 lowercase words).'
            )
        return cls(
            frozenset(endings),
            flag,
            frozenset(pairs) if "pairs" in data else None,
            frozenset(doubled) if "doubled" in data else None,
            frozenset(capitals) if "capitals" in data else None,
        )


class ShapeGuard:
    """Masks, step by step, the tokens that would break the shape: the end of sentence after a character that is
    not an ending, a lower-case first letter, two marks the text never puts together, a word written twice, and a
    capital inside a sentence where the text has none."""

    def __init__(self, piece_bytes: list[bytes], shape: SentenceShape):
        self.shape = shape
        self.endings = (shape.endings - CLAUSE_MARKS) or shape.endings  # where a displayed sentence may end
        self.bytes = piece_bytes
        texts = [piece.decode("utf-8", "ignore") for piece in piece_bytes]
        firsts = [first_letter(text) for text in texts]
        self.lower_starts = [i for i, first in enumerate(firsts) if first.islower()] if shape.no_lower_start else []
        self.mark_first: dict[str, list[int]] = defaultdict(list)  # a mark -> the tokens that begin with it
        self.word_first: dict[tuple[str, bool], list[int]] = defaultdict(list)  # (word, after a space) -> tokens
        self.odd_pairs: list[int] = []  # tokens that hold two marks the text never puts together
        # the tokens that begin a word with a capital the text never gives it inside a sentence: (own space, any)
        odd_capitals: tuple[list[int], list[int]] = ([], [])
        # the tokens that go on a word: (token, its first letters, whether it ends the word too)
        self.goes_on: list[tuple[int, str, bool]] = []
        starts = self.capital_starts = {w[:i] for w in shape.capitals or () for i in range(1, len(w) + 1)}
        for token, text in enumerate(texts):
            stripped = text.lstrip()
            if stripped and _MARK.fullmatch(stripped[0]):
                self.mark_first[stripped[0]].append(token)
            if match := _FIRST_WORD.match(text):
                spaced, word = bool(match.group(1)), match.group(2)
                self.word_first[word.lower(), spaced].append(token)
                if shape.capitals is not None and not spaced:
                    self.goes_on.append((token, word, len(word) < len(text)))
                if shape.capitals is not None and word[0].isupper() and word.lower() not in starts:
                    odd_capitals[1].append(token)
                    if spaced:
                        odd_capitals[0].append(token)
            if shape.pairs is not None and not mark_pairs(text) <= shape.pairs:
                self.odd_pairs.append(token)
        # as index tensors: thousands of tokens are masked at a step, and a list would be converted each time
        self._odd_capitals = tuple(torch.tensor(tokens, dtype=torch.long) for tokens in odd_capitals)
        self._going_wrong: dict[str, Tensor] = {}
        self._indices: dict[tuple[int, ...], Tensor] = {}  # token lists as index tensors (see _index)
        self._after_mark: dict[str, list[int]] = {}
        self.continuations = [t for t, piece in enumerate(piece_bytes) if piece[:1] and 0x80 <= piece[0] <= 0xBF]
        # the tokens that end a word being written: the end of sentence, and those that begin with no letter
        self.breaks = [EOS_ID] + [t for t, text in enumerate(texts) if text and not text[0].isalpha()]

    def _written(self, ids: list[int]) -> tuple[str, bytes]:
        """What a row has written, and the bytes of a character not complete yet."""
        decoder = codecs.getincrementaldecoder("utf-8")("ignore")  # as the display: invalid bytes vanish
        text = decoder.decode(b"".join(self.bytes[t] for t in ids))
        return text, decoder.getstate()[0]

    def _lower_starts(self, pending: bytes) -> list[int]:
        """The tokens whose first letter, the sentence's first, would be in lower case."""
        if not pending:
            return self.lower_starts
        return [
            t
            for t, piece in enumerate(self.bytes)
            if first_letter((pending + piece).decode("utf-8", "ignore")).islower()
        ]  # rare: a sentence that begins with a character written byte by byte

    def _odd_after(self, mark: str, pending: bytes) -> list[int]:
        """The tokens that would put a mark next to ``mark`` (the last one written, or "") as the text never does,
        or hold such a pair."""
        pairs = self.shape.pairs or frozenset()
        if pending:  # a character part-written: a token that goes on with its bytes completes it, any other drops it
            odd = [
                t
                for t in self.continuations
                if not mark_pairs(mark + (pending + self.bytes[t]).decode("utf-8", "ignore")) <= pairs
            ]
            return sorted(set(odd) | set(self._odd_after(mark, b"")))
        if not mark:
            return self.odd_pairs
        if mark not in self._after_mark:
            odd = [t for first, tokens in self.mark_first.items() if mark + first not in pairs for t in tokens]
            self._after_mark[mark] = sorted(set(odd) | set(self.odd_pairs))
        return self._after_mark[mark]

    def _doubling(self, text: str) -> list[int]:
        """The tokens that would write the text's last word again ("and" -> " and"), or end a word that has just
        become the one before it ("the th" + "e"), unless the text doubles that word."""
        tail = text[-3 * MAX_WORD_LENGTH :]
        match = _LAST_WORD.search(tail)
        if not match or not all(map(is_word_character, match.group(1))):
            return []
        word = match.group(1).lower()
        if word in (self.shape.doubled or ()):
            return []
        pair = _LAST_TWO_WORDS.search(tail)
        if pair and pair.group(1).lower() == pair.group(2).lower():  # written piece by piece: it may only go on
            return self.breaks
        spaced = self.word_first.get((word, True), [])
        return spaced + self.word_first.get((word, False), []) if match.group(2) else spaced

    def trim(self, ids: list[int]) -> list[int]:
        """A sentence the length limit cut (``ids`` without an end), up to its last token after which it may end;
        failing that, after a clause mark its text ends units with; the whole of it when there is neither."""
        for endings in (self.endings, self.shape.endings):
            for end in range(len(ids), 0, -1):
                text, pending = self._written(ids[:end])
                text = text.rstrip()
                visible = self.bytes[ids[end - 1]].strip() and not pending
                if visible and text[-1:] in endings and any(map(str.isalnum, text)):
                    return ids[:end]
        return ids

    def mask(self, logits: Tensor, history: list[list[int]]) -> Tensor:
        """``logits`` (rows × vocabulary) with the tokens that break the shape set to -inf, in place: a first
        letter in lower case, the end of sentence before a word or after anything but an ending ("’" alone is no
        sentence), a mark next to one it never meets, the last word again, and a capital inside a sentence where the
        text has none."""
        for row, ids in enumerate(history):
            if ids and ids[-1] == EOS_ID:
                continue
            raw, pending = self._written(ids)
            text = raw.rstrip()
            if self.lower_starts and not any(map(str.isalpha, text)):
                logits[row, self._index(self._lower_starts(pending))] = float("-inf")
            if self.endings and (text[-1:] not in self.endings or not any(map(str.isalnum, text))):
                logits[row, EOS_ID] = float("-inf")
            if self.shape.pairs is not None:
                mark = text[-1] if text and _MARK.fullmatch(text[-1]) else ""
                logits[row, self._index(self._odd_after(mark, pending))] = float("-inf")
            if self.shape.doubled is not None:  # a part-written character before a space is dropped: "dog" counts
                logits[row, self._index(self._doubling(raw))] = float("-inf")
            if self.shape.capitals is not None and _inside_after(text[-1:]):
                logits[row, self._odd_capitals[len(raw) > len(text)]] = float("-inf")
                if (wrong := self._capital_going_wrong(raw)) is not None:
                    logits[row, wrong] = float("-inf")
        return logits

    def _index(self, tokens: list[int]) -> Tensor:
        """``tokens`` as an index tensor, made once per distinct list: indexing with a list of a hundred tokens
        converts it at every step of every row (60 µs against 11)."""
        key = tuple(tokens)
        found = self._indices.get(key)
        if found is None:
            if len(self._indices) >= MAX_INDICES:
                self._indices.clear()
            found = self._indices[key] = torch.tensor(key, dtype=torch.long)
        return found

    def _capital_going_wrong(self, raw: str) -> Tensor | None:
        """When a word with a capital inside a sentence is being written ("the Ni"), the tokens that would make it
        one the text never writes so ("the Nights"): going on to no such word's start, or ending it short of one,
        or with a capital inside it ("MilAn"; a word in capitals may go on in capitals)."""
        match = _TRAILING_WORD.search(raw[-3 * MAX_WORD_LENGTH :])
        if not match or not match.group(2)[0].isupper():
            return None
        last = raw[: len(raw) - len(match.group(0))][-1:]
        if not _inside_after(last):
            return None
        written = match.group(2)
        if written not in self._going_wrong:  # the same few names recur: each is worked out once
            word, shouting = written.lower(), len(written) > 1 and written.isupper()
            capitals = self.shape.capitals or frozenset()
            wrong = [] if word in capitals else list(self.breaks)
            for token, lead, ends in self.goes_on:
                longer = word + lead.lower()
                miscased = not (lead.islower() or (shouting and lead.isupper()))
                if miscased or longer not in self.capital_starts or (ends and longer not in capitals):
                    wrong.append(token)
            self._going_wrong[written] = torch.tensor(wrong, dtype=torch.long)
        return self._going_wrong[written]


_GUARDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def shape_guard(tokenizer) -> ShapeGuard | None:
    """The guard of a tokenizer that carries a shape with a rule (built once per tokenizer), else None."""
    shape = tokenizer.shape
    if shape is None or not shape.rules:
        return None
    if tokenizer not in _GUARDS:
        _GUARDS[tokenizer] = ShapeGuard([tokenizer.piece_bytes(i) for i in range(tokenizer.vocab_size)], shape)
    return _GUARDS[tokenizer]
