"""Text -> candidate sentences: normalising, markdown stripping, long lines, prose detection, sentence splitting."""

from __future__ import annotations

import math
import re

import numpy as np

from ..unicode_form import unicode_form
from .language import detect_language, is_cjk, split_cjk

MAX_PARAGRAPH_CHARS = 20_000  # pysbd is quadratic-ish on huge paragraphs: chunk them first
MAX_LINE_CHARS = 100_000  # a longer line is cut here (and counted): no sentence needs more, and splitting costs seconds
SPLIT_MODES = ("auto", "lines", "prose")
_LONG_LINE = 300  # in "auto" mode a line longer than this is split into sentences rather than truncated

# Control characters (and lone surrogates) separate words; invisible formatting marks (soft hyphen,
# byte-order mark, direction marks) are dropped. Other format characters stay: the zero-width
# joiners spell words and emoji (Persian and Hindi text, "👩\u200d💻"), tag characters spell flags.
_INVISIBLE = {
    **{c: " " for c in (*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000), 0x200B)},
    **{c: None for c in (0x00AD, 0xFEFF, 0x200E, 0x200F, *range(0x202A, 0x202F), 0x2060, *range(0x2066, 0x206A))},
    0x2581: "_",  # reserved by the tokenizer as its word-start mark
}


def normalize_text(text: str, lowercase: bool = False) -> str:
    """NFKC (full-width punctuation kept: ``unicode_form``), controls to spaces, invisible marks dropped, white
    space collapsed."""
    text = unicode_form(text).translate(_INVISIBLE)
    text = " ".join(text.split())
    return text.lower() if lowercase else text


_segmenters: dict[str, object] = {}


def split_sentences(paragraph: str, language: str = "en") -> list[str]:
    """Split prose into sentences: pysbd's rules for ``language`` (handles "Mr.", "e.g.", quotes),
    Chinese and Japanese at their own sentence marks (see :mod:`.language`)."""
    if is_cjk(language):
        return split_cjk(paragraph)
    segmenter = _segmenters.get(language)
    if segmenter is None:
        import pysbd

        try:
            segmenter = pysbd.Segmenter(language=language, clean=False)
        except ValueError:  # a language pysbd does not know
            segmenter = _segmenters.get("en") or pysbd.Segmenter(language="en", clean=False)
        _segmenters[language] = segmenter
    out: list[str] = []
    for chunk in _chunks(paragraph, MAX_PARAGRAPH_CHARS):
        out.extend(s.strip() for s in segmenter.segment(chunk) if s.strip())
    return out


def _chunks(text: str, size: int) -> list[str]:
    if len(text) <= size:
        return [text]
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > start else end
        pieces.append(text[start:end])
        start = end
    return pieces


# Where a sentence over the word limit is cut: after a word ending a clause. A model trained on pieces cut
# mid-clause learns to stop mid-clause (15 % of Frankenstein's sentences are over 40 words).
_STRONG_BREAK = re.compile(r"[;:—–.!?…][\"”’)\]]*$")
_COMMA_BREAK = re.compile(r",[\"”’)\]]*$")


def split_long(words: list[str], max_words: int) -> list[list[str]]:
    """A sentence's words as pieces of at most ``max_words``, of even length, each cut after a clause mark
    (; : a dash or a sentence end, else a comma) where one lies between a third of the limit and the limit.
    When the sentence starts with a capital, so does each piece ("a film covered my eyes." -> "A film…"): a model
    learns its sentences' starts from them."""
    first = _first_letter(words[0])
    capital = first is not None and words[0][first].isupper()  # "“Well" yes; "well", "1." or "—" no
    window = range(max(1, max_words // 3), max_words + 1)  # where a cut may fall: after words[:cut]
    pieces = []
    while len(words) > max_words:
        target = math.ceil(len(words) / math.ceil(len(words) / max_words))  # even pieces: no one-word tail
        cut = target
        for mark in (_STRONG_BREAK, _COMMA_BREAK):
            breaks = [i for i in window if mark.search(words[i - 1])]
            if breaks:
                cut = min(breaks, key=lambda i: abs(i - target))
                break
        pieces.append(words[:cut])
        words = words[cut:]
        if capital:
            words = [_capitalised(words[0]), *words[1:]]
    return [*pieces, words]


def _first_letter(word: str) -> int | None:
    """Where the word's first letter is, when only punctuation comes before it ("“well," -> 1; "1st" -> None)."""
    for i, char in enumerate(word):
        if char.isalpha():
            return i
        if char.isalnum():
            return None
    return None


def _capitalised(word: str) -> str:
    """The word with its first letter upper-cased, after any opening punctuation ("“well," -> "“Well,")."""
    i = _first_letter(word)
    return word if i is None else word[:i] + word[i].upper() + word[i + 1 :]


def _paragraphs(text: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _looks_like_prose(blocks: list[list[str]]) -> bool:
    """Hard-wrapped prose: blank-line separated paragraphs whose inner lines are of similar,
    long length and mostly end mid-sentence. One-sentence-per-line files fail the test."""
    if len(blocks) < 2 or sum(1 for b in blocks if len(b) > 1) / len(blocks) < 0.3:
        return False
    inner = [line for b in blocks for line in b[:-1]]
    lengths = np.array([len(line) for line in inner], dtype=float)
    mid_sentence = np.mean(
        [not line.endswith((".", "!", "?", ":", '"', "'", "\u201d", "\u2019", ")")) for line in inner]
    )
    regular = lengths.std() / max(lengths.mean(), 1.0) < 0.3
    return bool(mid_sentence >= 0.5 and np.median(lengths) >= 40 and regular)


def cut_long_lines(text: str, limit: int = MAX_LINE_CHARS) -> tuple[str, int]:
    """Cut every line longer than ``limit`` characters (at a space when there is one).

    Returns the text and how many lines were cut.
    """
    if len(text) <= limit:
        return text, 0
    lines = text.splitlines()
    cut = 0
    for i, line in enumerate(lines):
        if len(line) > limit:
            space = line.rfind(" ", 0, limit)
            lines[i] = line[: space if space > 0 else limit]
            cut += 1
    return ("\n".join(lines), cut) if cut else (text, 0)


def text_to_units(text: str, split: str = "auto", language: str | None = None) -> list[str]:
    """Raw text -> candidate sentences (one per line, or sentence-split paragraphs); ``split`` is a SPLIT_MODES.

    ``language`` (a pysbd code) is detected from the text when not given.
    """
    language = language or detect_language(text)
    blocks = _paragraphs(text)
    prose = split == "prose" or (split == "auto" and _looks_like_prose(blocks))
    if prose:
        return [s for block in blocks for s in split_sentences(" ".join(block), language)]
    units: list[str] = []
    for block in blocks:
        for line in block:
            # A long line holding several sentences is split rather than truncated; so is a Chinese or
            # Japanese line holding several (one a line comes out as it went in).
            if split == "auto" and (len(line) > _LONG_LINE or is_cjk(language)):
                units.extend(split_sentences(line, language))
            else:
                units.append(line)
    return units


_MD_RULES = [
    (re.compile(r"```.*?```", re.S), " "),
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.M), ""),
    (re.compile(r"^\s*([-*+]|\d+[.)])\s+", re.M), ""),
    (re.compile(r"^\s*>\s?", re.M), ""),
    (re.compile(r"(\*\*|__|\*|_)(\S.*?\S|\S)\1"), r"\2"),
    (re.compile(r"<[^>\n]+>"), " "),
    (re.compile(r"^\s*([-*_]\s*){3,}$", re.M), ""),
]


def strip_markdown(text: str) -> str:
    """Remove markdown markup, keeping the words a reader sees; headings become their own paragraph."""
    for pattern, repl in _MD_RULES:
        text = pattern.sub(repl, text)
    return text
