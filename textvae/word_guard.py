"""Only words the model has read: a display guard against sub-word non-words ("perceious", "deations").

A byte-level BPE model writes a rare word piece by piece, and sampling can join pieces into words that do not
exist. For text a person reads (samples, interpolations, reconstructions), decoding may then only continue a word
that begins a word of its training text, and only end one that is such a word; when none of the likely tokens
keeps to that, the model's own choice is taken (the guard never blocks). A word that begins in lower case stays in
lower case ("disqualiFIEd", "démodÉ" are pieces of known words in the wrong case); one that begins with a capital
may go on in either ("Elizabeth", "NOTICE", "McDonald"). The known words travel in the bundle
(``words.txt``). Scripts written without spaces (Chinese, Japanese, Thai…) are not guarded: a run of their
characters is a clause, not a word. Evaluation never uses the guard (``DecodeOptions.known_words``).
"""

from __future__ import annotations

import codecs
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import Tensor

from .draw import draw
from .errors import TextVAEError

MAX_WORDS = 2_000_000  # words.txt of a bundle: more is not a lexicon
MAX_WORD_LENGTH = 64
CANDIDATES = 64  # greedy: the likeliest tokens tried first; sampling: draws before taking the likeliest allowed
# Scripts without spaces between words (code point ranges): Thai, Lao, Khmer, CJK, kana, Hangul.
_UNSPACED = ((0x0E00, 0x0EFF), (0x1780, 0x17FF), (0x2E80, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF66, 0xFF9F))


def is_unspaced(char: str) -> bool:
    """A character of a script written without spaces between words."""
    return any(low <= ord(char) <= high for low, high in _UNSPACED)


def is_word_character(char: str) -> bool:
    """A letter of a script that separates its words (a word of the guard is a run of these)."""
    return char.isalpha() and not is_unspaced(char)


def _runs(text: str, lower: bool = True) -> list[str]:
    """The text's words: maximal runs of word characters, lowercased unless not ``lower``; a break (any other
    character) is ""."""
    runs, current = [], []
    for char in text:
        if is_word_character(char):
            current.append(char)
        else:
            runs.append("".join(current))
            current = []
    runs.append("".join(current))
    return [run.lower() for run in runs] if lower else runs


def _miscased(word: str) -> bool:
    """A capital in a word that began in lower case ("disqualiFIEd"): no text writes its words so."""
    return word[:1].islower() and any(map(str.isupper, word))


def lexicon(sentences: Iterable[str]) -> frozenset[str]:
    """Every word of the sentences (lowercased), the words a guarded decoder may write."""
    return frozenset(w for s in sentences for w in _runs(s) if w and len(w) <= MAX_WORD_LENGTH)


def words_to_text(words: frozenset[str]) -> str:
    return "\n".join(sorted(words)) + "\n"


def words_from_text(text: str) -> frozenset[str]:
    """A bundle's words.txt, checked: one lowercase word per line, of word characters only."""
    words = [line for line in text.split("\n") if line]
    if len(words) > MAX_WORDS:
        raise TextVAEError(f"words.txt lists {len(words):,} words; at most {MAX_WORDS:,} are accepted.")
    for word in words:
        if len(word) > MAX_WORD_LENGTH or word != word.lower() or not all(map(is_word_character, word)):
            raise TextVAEError(f"words.txt has a line that is not one lowercase word: {word[:40]!r}.")
    return frozenset(words)


@dataclass(frozen=True)
class _Piece:
    """What a token does to the word being written: extends it (``whole``), or ends it, maybe starting another."""

    lead: str  # the word characters it begins with
    whole: bool  # nothing but word characters: the current word goes on
    tail: str  # the word characters after its last break: the next word's start
    inner_ok: bool  # the complete words inside it (between breaks) are known, and its tail starts a known word


State = tuple[str, bytes]  # a row's word being written (case kept), and the bytes of a character not complete yet
START: State = ("", b"")


def _split_utf8(data: bytes) -> tuple[str, bytes]:
    """The complete characters of ``data`` (invalid bytes dropped, as decoding does) and the bytes of a character
    that is not complete yet."""
    decoder = codecs.getincrementaldecoder("utf-8")("ignore")  # as the display: invalid bytes vanish
    return decoder.decode(data, final=False), decoder.getstate()[0]


class WordGuard:
    """Per row of a batch, the word being written (a ``State``); which tokens keep every word a known one.

    A byte-level token may hold part of a character (a rare accented letter is written byte by byte): its
    bytes wait in the state until the character is complete, and are then judged with it."""

    def __init__(self, piece_bytes: list[bytes], words: frozenset[str]):
        self.words = words
        self.prefixes = {w[:i] for w in words for i in range(1, len(w) + 1)}
        # (word so far, first bytes of its next character): where a known word may be part-way through a character
        self.partial = {
            (p[:-1], p[-1].encode("utf-8")[:k]) for p in self.prefixes if ord(p[-1]) > 127 for k in (1, 2, 3)
        }
        self.bytes = piece_bytes
        self.pieces = [self._piece(text) if not rest else None for text, rest in map(_split_utf8, piece_bytes)]

    def _piece(self, text: str) -> _Piece:
        if not text:  # a special token (end of sentence), or only part of a character: the word is unchanged
            return _Piece("", True, "", True)
        runs = _runs(text, lower=False)  # as written: the case of a word is judged too
        if len(runs) == 1:
            return _Piece(runs[0], True, "", True)
        inner_ok = all(self._complete(w) for w in runs[1:-1]) and self._begins(runs[-1])
        return _Piece(runs[0], False, runs[-1], inner_ok)

    def _effect(self, state: State, token: int) -> tuple[_Piece, bytes]:
        """What the token does to the word (fast: precomputed, unless bytes of a character are involved)."""
        piece = self.pieces[token]
        if piece is not None and not state[1]:
            return piece, b""
        text, rest = _split_utf8(state[1] + self.bytes[token])
        return self._piece(text), rest

    def _complete(self, word: str) -> bool:
        """No word, or a known word in a case a text writes it."""
        return not word or (word.lower() in self.words and not _miscased(word))

    def _begins(self, word: str) -> bool:
        """No word, or the beginning of a known word in a case a text writes it."""
        return not word or (word.lower() in self.prefixes and not _miscased(word))

    def allowed(self, state: State, token: int) -> bool:
        if not self.bytes[token]:  # a special token ends the sentence: its last word must be a known one
            return self._complete(state[0])
        piece, rest = self._effect(state, token)
        joined = state[0] + piece.lead
        if piece.whole:
            ok, word = self._begins(joined), joined
        else:
            ok, word = piece.inner_ok and self._complete(joined), piece.tail
        return ok and (not rest or (word.lower(), rest) in self.partial or self._complete(word))

    def advance(self, state: State, token: int) -> State:
        piece, rest = self._effect(state, token)
        return (state[0] + piece.lead if piece.whole else piece.tail), rest

    def greedy(self, logits: Tensor, state: State) -> int:
        """The most likely token that keeps the words known, among those decoding may write at all (a token the
        other guards banned has logit -inf); the likeliest of those when none keeps them known (rare: the byte
        tokens spell any word)."""
        top = logits.topk(min(CANDIDATES, logits.numel()))
        candidates = [t for v, t in zip(top.values.tolist(), top.indices.tolist(), strict=True) if v > float("-inf")]
        found = next((t for t in candidates if self.allowed(state, t)), None)
        if found is None:  # rare: search the whole vocabulary, likeliest first
            order = logits.argsort(descending=True)
            order = order[torch.isfinite(logits[order])].tolist() or [int(logits.argmax())]
            found = next((t for t in order if self.allowed(state, t)), order[0])
        return found

    def sample(
        self, probs: Tensor, state: State, generator: torch.Generator | None, logits: Tensor, drawn: list[int]
    ) -> int:
        """A token from ``probs`` among those that keep the words known: the first allowed of ``drawn`` (draws from
        ``probs``, with replacement), else one drawn without replacement from the rest; after CANDIDATES more draws
        that are not allowed, the likeliest allowed token by ``logits`` (the guarded logits, before temperature
        and top-k/top-p: outside the nucleus, but never a banned token). Each stage draws an allowed token with
        probability proportional to ``probs``, so the result follows ``probs`` restricted to the allowed tokens."""
        found = next((t for t in drawn if self.allowed(state, t)), None)
        if found is not None:
            return found
        probs = probs.clone()
        probs[drawn] = 0.0  # none of them is allowed
        for _ in range(CANDIDATES):
            if not bool(probs.sum() > 0):
                break
            token = int(draw(probs.unsqueeze(0), generator))
            if self.allowed(state, token):
                return token
            probs[token] = 0.0
        return self.greedy(logits, state)


_GUARDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def word_guard(tokenizer) -> WordGuard | None:
    """The guard of a tokenizer that carries its known words (built once per tokenizer), or None: a word-level
    tokenizer writes only whole words anyway, and a bundle saved without words.txt is not guarded."""
    if tokenizer.words is None:
        return None
    if tokenizer in _GUARDS:
        return _GUARDS[tokenizer]
    guard = None
    if tokenizer.kind == "bpe":
        guard = WordGuard([tokenizer.piece_bytes(i) for i in range(tokenizer.vocab_size)], tokenizer.words)
    _GUARDS[tokenizer] = guard
    return guard
