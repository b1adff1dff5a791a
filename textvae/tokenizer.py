"""Byte-level BPE or word-level tokenizer built on Hugging Face ``tokenizers``.

"bpe" is byte-level (as in GPT-2): any text in any script is a sequence of known tokens, so there is
never an unknown word, and decoding gives back exactly the (normalised) text. "word" keeps one token
per word (rare words become ``<unk>``; the PTB benchmarks use it): words keep a leading "▁" when a
space preceded them (as in SentencePiece), so decoding restores the original spacing.
A bundle's tokenizer.json holds its whole pipeline, so tokenizers saved before keep working.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from .config import TOKENIZER_KINDS as KINDS
from .errors import TextVAEError
from .limits import get_limits
from .special_tokens import BOS_ID, EOS_ID, PAD_ID, SPECIAL_TOKENS, UNK, UNK_ID
from .unicode_form import unicode_form

if TYPE_CHECKING:
    from .sentence_shape import SentenceShape

WORD_START = "\u2581"
# A word (with its leading-space mark) or a single punctuation mark (with its mark).
_PIECE = Regex(rf"{WORD_START}?[^\s\p{{P}}{WORD_START}]+|{WORD_START}?\p{{P}}")


def _normalizer(lowercase: bool) -> normalizers.Normalizer:
    """The same cleaning as corpus.normalize_text, so a typed sentence reads like a corpus line:
    control characters separate words, invisible marks (soft hyphen, BOM, direction marks) vanish.

    No NFKC step: every text is put in ``unicode_form`` before it reaches the tokenizer (NFKC that keeps the
    full-width punctuation of Chinese and Japanese). Tokenizers saved before this have an NFKC step, and keep it."""
    steps = [
        normalizers.Replace(Regex(r"[\p{Cc}\x{200B}]"), " "),
        normalizers.Replace(Regex(r"[\x{00AD}\x{FEFF}\x{200E}\x{200F}\x{202A}-\x{202E}\x{2060}\x{2066}-\x{2069}]"), ""),
        normalizers.Replace(WORD_START, "_"),
        normalizers.Replace(Regex(r"\s+"), " "),
        normalizers.Strip(),
    ]
    if lowercase:
        steps.append(normalizers.Lowercase())
    return normalizers.Sequence(steps)


def _word_pipeline(tokenizer: Tokenizer, lowercase: bool) -> None:
    tokenizer.normalizer = _normalizer(lowercase)
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=WORD_START, prepend_scheme="always", split=False),
            pre_tokenizers.Split(_PIECE, behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=WORD_START, prepend_scheme="always", split=False)


def _byte_alphabet() -> dict[str, int]:
    """The byte-level alphabet's character for each byte, inverted (GPT-2's bytes_to_unicode): printable
    Latin-1 bytes stand for themselves, the others for the characters from U+0100 on."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars, shifted = {}, 0
    for byte in range(256):
        if byte in printable:
            chars[chr(byte)] = byte
        else:
            chars[chr(256 + shifted)] = byte
            shifted += 1
    return chars


_BYTE_OF = _byte_alphabet()


def _byte_pipeline(tokenizer: Tokenizer, lowercase: bool) -> None:
    # No prefix space: the first word of a sentence is a token of its own ("The", not " The"), as in GPT-2.
    tokenizer.normalizer = _normalizer(lowercase)
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()


def _check_training_args(sentences: Iterable[str], vocab_size: int, min_frequency: int, lowercase: bool) -> list[str]:
    max_vocab = get_limits().max_vocab
    if (
        isinstance(vocab_size, bool)
        or not isinstance(vocab_size, int)
        or not len(SPECIAL_TOKENS) + 1 <= vocab_size <= max_vocab
    ):
        raise TextVAEError(
            f"The vocabulary size must be a whole number from {len(SPECIAL_TOKENS) + 1} to {max_vocab} "
            f"(TEXTVAE_MAX_VOCAB), not {vocab_size!r}."
        )
    if isinstance(min_frequency, bool) or not isinstance(min_frequency, int) or min_frequency < 1:
        raise TextVAEError(f"min_frequency must be a whole number of at least 1, not {min_frequency!r}.")
    if not isinstance(lowercase, bool):
        raise TextVAEError(f"lowercase must be true or false, not {lowercase!r}.")
    if isinstance(sentences, str):
        raise TextVAEError("Give the tokenizer a list of sentences, not one string.")
    sentences = list(sentences)
    if not all(isinstance(s, str) for s in sentences):
        raise TextVAEError("The tokenizer can only learn from sentences (strings).")
    return sentences


class TextTokenizer:
    """Maps sentences to id lists and back. ids 0-3 are pad, unk, bos, eos (textvae.special_tokens)."""

    pad_id, unk_id, bos_id, eos_id = PAD_ID, UNK_ID, BOS_ID, EOS_ID

    def __init__(self, tokenizer: Tokenizer, words: frozenset[str] | None = None, shape: SentenceShape | None = None):
        self._tok = tokenizer
        self.words = words  # the words of its training text, for the display guard (textvae.word_guard)
        self.shape = shape  # how its training text's sentences begin, end and are punctuated (textvae.sentence_shape)
        tokenizer.encode_special_tokens = True  # "[EOS]" typed in a sentence is text, not the end-of-sentence id
        for i, token in enumerate(SPECIAL_TOKENS):
            if tokenizer.token_to_id(token) != i:
                raise TextVAEError(f"The tokenizer must map {token} to id {i}.")
        self._id_to_token = [tokenizer.id_to_token(i) for i in range(tokenizer.get_vocab_size())]
        self._byte_level = isinstance(tokenizer.decoder, decoders.ByteLevel)
        if None in self._id_to_token:
            raise TextVAEError(
                f"The tokenizer has no token for id {self._id_to_token.index(None)}; "
                "its ids must run from 0 without gaps."
            )

    # ------------------------------------------------------------ building
    @classmethod
    def train(
        cls,
        sentences: Iterable[str],
        kind: str = "bpe",
        vocab_size: int = 10_000,
        min_frequency: int = 1,
        lowercase: bool = False,
    ) -> TextTokenizer:
        """Learn a vocabulary: "bpe" (byte-level, open vocabulary) or "word" (capped vocabulary)."""
        sentences = _check_training_args(sentences, vocab_size, min_frequency, lowercase)
        if kind == "word":
            tok = Tokenizer(models.WordLevel(unk_token=UNK))
            trainer = trainers.WordLevelTrainer(
                vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=list(SPECIAL_TOKENS)
            )
            _word_pipeline(tok, lowercase)
        elif kind == "bpe":
            tok = Tokenizer(models.BPE())  # every byte is in the alphabet: nothing is ever unknown
            trainer = trainers.BpeTrainer(
                vocab_size=vocab_size,
                min_frequency=max(min_frequency, 2),
                special_tokens=list(SPECIAL_TOKENS),
                initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                show_progress=False,
            )
            _byte_pipeline(tok, lowercase)
        else:
            raise TextVAEError(f"Tokenizer kind must be one of {', '.join(KINDS)}, not {kind!r}.")
        tok.train_from_iterator((unicode_form(s) for s in sentences), trainer)
        return cls(tok)

    @classmethod
    def from_json(cls, text: str) -> TextTokenizer:
        try:
            return cls(Tokenizer.from_str(text))
        except TextVAEError:
            raise
        except Exception as exc:  # tokenizers raises plain Exception subclasses on bad JSON
            raise TextVAEError(f"tokenizer.json is not a valid tokenizer: {str(exc)[:200]}") from exc

    def to_json(self) -> str:
        return self._tok.to_str()

    @property
    def kind(self) -> str:
        return "bpe" if json.loads(self._tok.to_str())["model"]["type"] == "BPE" else "word"

    @property
    def vocab_size(self) -> int:
        return len(self._id_to_token)

    # ------------------------------------------------------------ use
    def encode(self, sentence: str) -> list[int]:
        if not isinstance(sentence, str):
            raise TextVAEError(f"Only text can be tokenised, not {type(sentence).__name__}.")
        return self._tok.encode(unicode_form(sentence), add_special_tokens=False).ids

    def encode_batch(self, sentences: list[str]) -> list[list[int]]:
        try:
            return [
                e.ids for e in self._tok.encode_batch([unicode_form(s) for s in sentences], add_special_tokens=False)
            ]
        except TypeError as exc:  # raised by tokenizers for anything but a list of strings
            raise TextVAEError("Only a list of sentences (strings) can be tokenised.") from exc

    def tokens(self, sentence: str) -> list[str]:
        """Token strings for display, with the word-start mark shown as nothing."""
        return [self.token_text(i) for i in self.encode(sentence)]

    def token_text(self, token_id: int) -> str:
        if token_id == self.unk_id:
            return "<unk>"
        if self._byte_level:  # "Ġthe" -> "the"; a piece of a multi-byte character shows as "�"
            return bytes(_BYTE_OF[c] for c in self._id_to_token[token_id]).decode("utf-8", "replace").strip()
        return self._id_to_token[token_id].replace(WORD_START, "")

    def piece_bytes(self, token_id: int) -> bytes:
        """The UTF-8 bytes a token adds when decoded, spaces included (none for the special tokens); a byte-level
        token may hold part of a character."""
        if token_id < len(SPECIAL_TOKENS):
            return b""
        if self._byte_level:
            return bytes(_BYTE_OF[c] for c in self._id_to_token[token_id])
        return self._id_to_token[token_id].replace(WORD_START, " ").encode("utf-8")

    def with_guards(self, words: frozenset[str], shape: SentenceShape | None) -> TextTokenizer:
        """The same tokenizer (shared, not copied) carrying other known words and sentence shape."""
        return TextTokenizer(self._tok, words, shape)

    def decode(self, ids: Iterable[int]) -> str:
        """ids -> natural text. Stops at eos; pad and bos are skipped; unknown words read "<unk>"."""
        pieces = []
        for i in ids:
            i = int(i)
            if i == self.eos_id:
                break
            if i in (self.pad_id, self.bos_id) or not 0 <= i < len(self._id_to_token):
                continue
            pieces.append(WORD_START + "<unk>" if i == self.unk_id else self._id_to_token[i])
        if self._byte_level:  # bytes that do not form whole characters (a model's odd choice) are dropped
            raw = bytes(_BYTE_OF[c] for piece in pieces if piece != WORD_START + "<unk>" for c in piece)
            return " ".join(raw.decode("utf-8", "ignore").split())
        return " ".join("".join(pieces).replace(WORD_START, " ").split())

    def decode_batch(self, batch: Iterable[Iterable[int]]) -> list[str]:
        return [self.decode(ids) for ids in batch]

    def unknown_rate(self, sentences: list[str]) -> float:
        encoded = self.encode_batch(sentences)
        total = sum(len(e) for e in encoded)
        return sum(e.count(self.unk_id) for e in encoded) / total if total else 0.0
