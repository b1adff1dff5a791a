"""Reading text files into a clean list of sentences, with statistics.

Handles .txt (one sentence per line, or prose split with pysbd), .md (markup
stripped, then prose), .csv/.tsv (a text column and an optional label column).
Every problem with the input is raised as :class:`TextVAEError`.
"""

from __future__ import annotations

import csv
import io
import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import TextVAEError
from .limits import get_limits
from .validation import check_fields, check_range

TEXT_SUFFIXES = (".txt", ".md", ".csv", ".tsv")
MAX_PARAGRAPH_CHARS = 20_000  # pysbd is quadratic-ish on huge paragraphs: chunk them first
MAX_LINE_CHARS = (
    100_000  # a longer line is cut here (and counted): no sentence needs more, and splitting it costs seconds
)
MAX_WORDS = 1000  # longest sentence a corpus setting may ask for

_BINARY_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"PK\x03\x04": "a zip archive",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"\x7fELF": "a program (ELF binary)",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x80\x04\x95": "a Python pickle",
    b"\x80\x02": "a Python pickle",
}
_TEXT_COLUMN_NAMES = ("text", "sentence", "sentences", "review", "content", "body", "message", "utterance")
_LABEL_COLUMN_NAMES = ("label", "labels", "class", "category", "sentiment", "target")


@dataclass
class CorpusOptions:
    """How to turn a file into sentences."""

    lowercase: bool = False
    max_words: int = 40  # longer sentences are truncated (or dropped, see drop_long)
    min_words: int = 1
    drop_long: bool = False
    dedupe: bool = False
    split: str = "auto"  # auto | lines | prose
    text_column: str | None = None  # csv/tsv; None picks the likeliest column
    label_column: str | None = None  # csv/tsv; None picks one named like "label", "" means none
    max_sentences: int | None = None

    def __post_init__(self) -> None:
        check_fields(self, "Corpus setting")
        if self.split not in ("auto", "lines", "prose"):
            raise TextVAEError(f"split must be auto, lines or prose, not {self.split!r}")
        check_range("Corpus setting", "max_words", self.max_words, 1, MAX_WORDS)
        check_range("Corpus setting", "min_words", self.min_words, 1, self.max_words)
        if self.max_sentences is not None:
            check_range("Corpus setting", "max_sentences", self.max_sentences, 1, 10**9)


@dataclass
class Corpus:
    """Sentences (and optional labels) ready for tokenising, plus what cleaning did."""

    sentences: list[str]
    labels: list[str] | None = None
    name: str = "corpus"
    encoding: str = "utf-8"
    warnings: list[str] = field(default_factory=list)
    report: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sentences)

    def subset(self, indices: list[int], name: str | None = None) -> Corpus:
        labels = [self.labels[i] for i in indices] if self.labels is not None else None
        return Corpus(
            [self.sentences[i] for i in indices],
            labels,
            name or self.name,
            self.encoding,
            list(self.warnings),
            dict(self.report),
        )


# ---------------------------------------------------------------- decoding


def decode_bytes(data: bytes) -> tuple[str, str, list[str]]:
    """Decode file bytes: BOM-marked UTF-8/UTF-16, then UTF-8, then cp1252 with a warning."""
    warnings: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        text, encoding = data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(data):
        encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else _utf16_without_bom(data)
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise TextVAEError(
                "The file looks like UTF-16 text but is not valid UTF-16; save it as UTF-8 and upload it again."
            ) from exc
    else:
        for magic, what in _BINARY_MAGIC.items():
            if data.startswith(magic):
                raise TextVAEError(f"This looks like {what}, not text. Upload a .txt, .md, .csv or .tsv file.")
        if b"\x00" in data[:65536]:
            raise TextVAEError(
                "This looks like a binary file (it contains NUL bytes), not text. Upload a .txt, .md, .csv or .tsv file."
            )
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = data.decode("cp1252", errors="replace"), "cp1252"
            warnings.append(
                "The file is not valid UTF-8; it was read as Windows-1252 (cp1252). Check accented letters."
            )
    sample = text[:65536]
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t")
    if sample and controls / len(sample) > 0.05:
        raise TextVAEError(
            "This looks like a binary file (many control characters), not text. Upload a .txt, .md, .csv or .tsv file."
        )
    return text, encoding, warnings


def _utf16_without_bom(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" when every other byte is NUL, as in ASCII text saved as UTF-16 without a BOM."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


# Control characters (and lone surrogates) separate words; invisible formatting marks (soft hyphen,
# byte-order mark, direction marks) are dropped. Other format characters stay: the zero-width
# joiners spell words and emoji (Persian and Hindi text, "👩\u200d💻"), tag characters spell flags.
_INVISIBLE = {
    **{c: " " for c in (*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000), 0x200B)},
    **{c: None for c in (0x00AD, 0xFEFF, 0x200E, 0x200F, *range(0x202A, 0x202F), 0x2060, *range(0x2066, 0x206A))},
    0x2581: "_",  # reserved by the tokenizer as its word-start mark
}


def normalize_text(text: str, lowercase: bool = False) -> str:
    """NFKC, controls to spaces, invisible marks dropped, white space collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = " ".join(text.split())
    return text.lower() if lowercase else text


# ---------------------------------------------------------------- splitting

_segmenter = None


def split_sentences(paragraph: str) -> list[str]:
    """Split prose into sentences with pysbd (rule-based, handles "Mr.", "e.g.", quotes)."""
    global _segmenter
    if _segmenter is None:
        import pysbd

        _segmenter = pysbd.Segmenter(language="en", clean=False)
    out: list[str] = []
    for chunk in _chunks(paragraph, MAX_PARAGRAPH_CHARS):
        out.extend(s.strip() for s in _segmenter.segment(chunk) if s.strip())
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
    """Cut every line longer than ``limit`` characters (at a space when there is one); return the text and how many were cut."""
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


def text_to_units(text: str, split: str = "auto") -> list[str]:
    """Raw text -> candidate sentences (one per line, or sentence-split paragraphs)."""
    blocks = _paragraphs(text)
    prose = split == "prose" or (split == "auto" and _looks_like_prose(blocks))
    if prose:
        return [s for block in blocks for s in split_sentences(" ".join(block))]
    units: list[str] = []
    for block in blocks:
        for line in block:
            # A long line holding several sentences is split rather than truncated.
            if split == "auto" and len(line) > 300:
                units.extend(split_sentences(line))
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


# ---------------------------------------------------------------- tables


def read_table(
    text: str, delimiter: str, text_column: str | None, label_column: str | None
) -> tuple[list[str], list[str] | None, list[str]]:
    """Rows of a CSV/TSV -> (texts, labels, warnings). Ragged rows are skipped and counted."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = [row for row in reader]
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise TextVAEError(
                f"A field of the table is longer than {csv.field_size_limit():,} characters; "
                "check the quotes (an unclosed quote swallows the rest of the file)."
            ) from exc
        raise TextVAEError(f"The table could not be parsed: {exc}.") from exc
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise TextVAEError("The table is empty.")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    width = len(header)
    good = [r for r in body if len(r) == width]
    warnings = []
    if len(good) < len(body):
        warnings.append(
            f"Skipped {len(body) - len(good)} rows whose number of fields differs from the header's {width}."
        )
    if not good:
        raise TextVAEError(f"The table has a header ({', '.join(header)}) but no complete rows.")
    columns = {name: [r[i] for r in good] for i, name in enumerate(header)}
    text_col = choose_text_column(columns, text_column)
    label_col = choose_label_column(columns, label_column, text_col)
    return columns[text_col], (columns[label_col] if label_col else None), warnings


def _is_number(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


def choose_text_column(columns: dict[str, list[str]], wanted: str | None) -> str:
    """The named column, else one named like "text", else the column with the longest strings."""
    names = list(columns)
    if wanted:
        if wanted not in columns:
            raise TextVAEError(f"The table has no column {wanted!r}; its columns are: {', '.join(names)}.")
        values = [v for v in columns[wanted] if v.strip()]
        if values and sum(_is_number(v) for v in values) / len(values) > 0.9:
            raise TextVAEError(f"Column {wanted!r} holds numbers, not text. Pick a column of sentences.")
        return wanted
    for name in names:
        if name.lower() in _TEXT_COLUMN_NAMES:
            return name
    textual = [
        n
        for n in names
        if columns[n] and sum(_is_number(v) or not v.strip() for v in columns[n]) / len(columns[n]) < 0.5
    ]
    if not textual:
        raise TextVAEError(f"No column holds text (columns: {', '.join(names)}). Name the text column.")
    best = max(textual, key=lambda n: sum(len(v) for v in columns[n]) / len(columns[n]))
    if sum(len(v.split()) for v in columns[best]) / len(columns[best]) < 2:
        raise TextVAEError(f"No column holds sentences (columns: {', '.join(names)}). Name the text column.")
    return best


def choose_label_column(columns: dict[str, list[str]], wanted: str | None, text_col: str) -> str | None:
    if wanted == "":
        return None
    if wanted:
        if wanted not in columns:
            raise TextVAEError(f"The table has no column {wanted!r}; its columns are: {', '.join(columns)}.")
        return wanted
    for name in columns:
        if name != text_col and name.lower() in _LABEL_COLUMN_NAMES:
            return name
    return None


# ---------------------------------------------------------------- loading


def load_corpus(
    source: str | Path | bytes,
    name: str | None = None,
    options: CorpusOptions | None = None,
    suffix: str | None = None,
    max_bytes: int | None = None,
) -> Corpus:
    """Read a corpus from a path or from uploaded bytes (give ``suffix`` or a ``name`` with one).

    Files over the upload limit (or ``max_bytes``, say for a server's own bundled files) are refused
    and sentences past the sentence cap left out (both from :mod:`textvae.limits`).
    """
    options = options or CorpusOptions()
    if not isinstance(options, CorpusOptions):
        raise TextVAEError("options must be a CorpusOptions.")
    if (name is not None and not isinstance(name, str)) or (suffix is not None and not isinstance(suffix, str)):
        raise TextVAEError("name and suffix must be text, like 'reviews.csv' and '.csv'.")
    limits = get_limits()
    if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1):
        raise TextVAEError(f"max_bytes must be a whole number of at least 1, not {max_bytes!r}.")
    limit = max_bytes or limits.max_upload_bytes
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        data = _read_file(path, name, limit)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = name or "upload.txt"
    else:
        raise TextVAEError(f"A corpus is a file path or the file's bytes, not {type(source).__name__}.")
    _check_size(len(data), name, limit)
    suffix = (suffix or Path(name).suffix or ".txt").lower()
    suffix = suffix if suffix.startswith(".") else "." + suffix  # "csv" means ".csv"
    if suffix not in TEXT_SUFFIXES:
        raise TextVAEError(f"Unsupported file type {suffix!r}; use one of {', '.join(TEXT_SUFFIXES)}.")
    if not data.strip():
        raise TextVAEError(f"{name} is empty." if not data else f"{name} is empty: it holds only white space.")
    text, encoding, warnings = decode_bytes(data)
    labels: list[str] | None = None
    cut = 0
    if suffix in (".csv", ".tsv"):
        units, labels, table_warnings = read_table(
            text, "\t" if suffix == ".tsv" else ",", options.text_column, options.label_column
        )
        warnings += table_warnings
    else:
        text, cut = cut_long_lines(text)
        if cut:
            warnings.append(
                f"Cut {cut} line{'s' if cut > 1 else ''} longer than {MAX_LINE_CHARS:,} characters to that length."
            )
        if suffix == ".md":
            units = text_to_units(strip_markdown(text), "prose" if options.split == "auto" else options.split)
        else:
            units = text_to_units(text, options.split)
    corpus = clean_sentences(units, labels, options, limits.max_sentences)
    if cut:
        corpus.report["cut_long_lines"] = cut
    corpus.name, corpus.encoding, corpus.warnings = name, encoding, warnings + corpus.warnings
    if not corpus.sentences:
        raise TextVAEError(f"{name} contains no sentences (only white space or symbols).")
    return corpus


def _read_file(path: Path, name: str, limit: int) -> bytes:
    """The file's bytes, refusing folders, devices, pipes and files over ``limit`` bytes before reading them."""
    try:
        if not path.exists():
            raise TextVAEError(f"No such file: {path}")
        if path.is_dir():
            raise TextVAEError(f"{path} is a folder; give a text file.")
        if not path.is_file():
            raise TextVAEError(f"{path} is not a regular file; give a text file.")
        _check_size(path.stat().st_size, name, limit)
        return path.read_bytes()  # the size was checked; load_corpus checks the bytes again in case the file grew
    except OSError as exc:
        raise TextVAEError(f"{path} could not be read: {exc.strerror or exc}.") from exc
    except ValueError as exc:  # e.g. a NUL character in the path
        raise TextVAEError(f"{str(path)!r} is not a valid file path.") from exc


def _check_size(size: int, name: str, limit: int) -> None:
    if size > limit:
        raise TextVAEError(
            f"{name} is {size / 2**20:.3g} MB, over the {limit / 2**20:.3g} MB limit. "
            "Use a smaller file (or raise TEXTVAE_MAX_UPLOAD_MB)."
        )


def clean_sentences(
    units: list[str], labels: list[str] | None, options: CorpusOptions, cap: int | None = None
) -> Corpus:
    """Normalise, cap length, drop empty/short lines, optionally de-duplicate; count each change.

    At most ``options.max_sentences`` and ``cap`` (the deployment's limit) sentences are kept.
    """
    limit = min(n for n in (options.max_sentences, cap) if n) if options.max_sentences or cap else None
    report = Counter(read=len(units))
    sentences: list[str] = []
    kept_labels: list[str] = []
    seen: set[str] = set()
    for i, unit in enumerate(units):
        text = normalize_text(unit, options.lowercase)
        words = text.split()
        if not words:
            report["dropped_empty"] += 1
            continue
        if len(words) < options.min_words:
            report["dropped_short"] += 1
            continue
        if len(words) > options.max_words:
            if options.drop_long:
                report["dropped_long"] += 1
                continue
            text = " ".join(words[: options.max_words])
            report["truncated"] += 1
        if options.dedupe:
            if text in seen:
                report["dropped_duplicate"] += 1
                continue
            seen.add(text)
        sentences.append(text)
        if labels is not None:
            kept_labels.append(normalize_text(labels[i]) or "(none)")
        if limit and len(sentences) >= limit:
            report["dropped_over_limit"] = len(units) - i - 1
            break
    report["kept"] = len(sentences)
    warnings = []
    if report["truncated"]:
        warnings.append(f"Truncated {report['truncated']} sentences to {options.max_words} words.")
    if report["dropped_over_limit"]:
        why = " (the TEXTVAE_MAX_SENTENCES limit)" if cap and limit == cap and cap != options.max_sentences else ""
        warnings.append(
            f"Kept the first {len(sentences)} sentences{why}; {report['dropped_over_limit']} more were left out."
        )
    return Corpus(sentences, kept_labels if labels is not None else None, warnings=warnings, report=dict(report))


def train_valid_split(
    corpus: Corpus, valid_fraction: float = 0.1, seed: int = 0, max_valid: int = 5000
) -> tuple[Corpus, Corpus]:
    """Seeded random split; at least one sentence on each side."""
    n = len(corpus)
    if n < 2:
        raise TextVAEError("A corpus needs at least 2 sentences to split into training and validation parts.")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    n_valid = min(max_valid, max(1, round(n * valid_fraction)))
    return corpus.subset(sorted(order[n_valid:]), corpus.name), corpus.subset(
        sorted(order[:n_valid]), corpus.name + " (valid)"
    )


# ---------------------------------------------------------------- statistics


@dataclass
class CorpusStats:
    sentences: int
    tokens: int
    vocabulary: int
    unknown_rate: float  # share of tokens the tokenizer maps to <unk> (0 without a tokenizer)
    mean_length: float
    max_length: int
    length_histogram: dict[int, int]  # tokens per sentence -> count
    top_words: list[tuple[str, int]]


def corpus_stats(sentences: list[str], tokenizer=None, top: int = 30) -> CorpusStats:
    """Counts for the Data page and the CLI. Lengths are in tokenizer tokens when one is given."""
    if tokenizer is not None:
        encoded = tokenizer.encode_batch(sentences)
        lengths = [len(ids) for ids in encoded]
        unk = sum(ids.count(tokenizer.unk_id) for ids in encoded)
    else:
        lengths = [len(s.split()) for s in sentences]
        unk = 0
    words = Counter(w for s in sentences for w in s.split())
    tokens = sum(lengths)
    return CorpusStats(
        sentences=len(sentences),
        tokens=tokens,
        vocabulary=len(words),
        unknown_rate=unk / tokens if tokens else 0.0,
        mean_length=tokens / len(sentences) if sentences else 0.0,
        max_length=max(lengths, default=0),
        length_histogram=dict(sorted(Counter(lengths).items())),
        top_words=words.most_common(top),
    )
