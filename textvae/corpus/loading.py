"""Files -> a clean list of sentences: the loading pipeline (size limits, file types, cleaning, splits).

The pieces it uses live beside it: ``decoding`` (bytes -> text), ``segmentation`` (text -> sentences)
and ``tables`` (CSV/TSV columns). Every problem with the input is raised as :class:`TextVAEError`.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..config import min_corpus_sentences
from ..errors import TextVAEError
from ..limits import get_limits
from ..validation import check_fields, check_range
from .cleaning import CleaningReport, clean_text, report_counts, too_few_left
from .decoding import decode_bytes
from .segmentation import (
    MAX_LINE_CHARS,
    SPLIT_MODES,
    cut_long_lines,
    normalize_text,
    split_long,
    strip_markdown,
    text_to_units,
)
from .tables import TABLE_DELIMITERS, read_table

TEXT_SUFFIXES = (".txt", ".md", *TABLE_DELIMITERS)
MAX_WORDS = 1000  # longest sentence a corpus setting may ask for


@dataclass
class CorpusOptions:
    """How to turn a file into sentences."""

    lowercase: bool = False
    max_words: int = 40  # longer sentences are split at clause marks (or dropped, see drop_long)
    min_words: int = 1
    drop_long: bool = False
    dedupe: bool = False
    split: str = "auto"  # one of SPLIT_MODES: auto | lines | prose
    text_column: str | None = None  # csv/tsv; None picks the likeliest column
    label_column: str | None = None  # csv/tsv; None picks one named like "label", "" means none
    max_sentences: int | None = None
    clean: bool = True  # .txt: remove a book's licence, contents, headings... (see cleaning); lists are left alone

    def __post_init__(self) -> None:
        check_fields(self, "Corpus setting")
        if self.split not in SPLIT_MODES:
            modes = f"{', '.join(SPLIT_MODES[:-1])} or {SPLIT_MODES[-1]}"
            raise TextVAEError(f"split must be {modes}, not {self.split!r}")
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
    cleaning = CleaningReport()
    if suffix in TABLE_DELIMITERS:
        units, labels, table_warnings = read_table(
            text, TABLE_DELIMITERS[suffix], options.text_column, options.label_column
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
            text, cleaning = clean_text(text, force=None if options.clean else False)
            units = text_to_units(text, "prose" if cleaning.book and options.split == "auto" else options.split)
    corpus = clean_sentences(units, labels, options, limits.max_sentences)
    if cut:
        corpus.report["cut_long_lines"] = cut
    if cleaning.book:
        _add_cleaning(corpus, cleaning, name)
    corpus.name, corpus.encoding, corpus.warnings = name, encoding, warnings + corpus.warnings
    if not corpus.sentences:
        raise TextVAEError(f"{name} contains no sentences (only white space or symbols).")
    return corpus


def _add_cleaning(corpus: Corpus, cleaning: CleaningReport, name: str) -> None:
    """Cleaning's counts into the report; a warning (or, with nothing left, an error) when it left too little."""
    corpus.report.update(report_counts(cleaning))
    if not corpus.sentences and cleaning.removed_lines:
        raise TextVAEError(f"After cleaning, {name} has no sentences left ({cleaning.summary()[:-1]}).")
    if not corpus.report.get("dropped_over_limit"):  # a cap the user chose is no cleaning problem
        warning = too_few_left(cleaning, len(corpus.sentences), min_corpus_sentences())
        if warning:
            corpus.warnings.append(warning)


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
    """Normalise, split long sentences at clause marks, drop empty/short lines, optionally de-duplicate; count
    each change.

    At most ``options.max_sentences`` and ``cap`` (the deployment's limit) sentences are kept.
    """
    limit = min(n for n in (options.max_sentences, cap) if n) if options.max_sentences or cap else None
    report = Counter(read=len(units))
    sentences: list[str] = []
    kept_labels: list[str] = []
    seen: set[str] = set()
    for i, unit in enumerate(units):
        words = normalize_text(unit, options.lowercase).split()
        if not words:
            report["dropped_empty"] += 1
            continue
        if len(words) < options.min_words:
            report["dropped_short"] += 1
            continue
        pieces = [words]
        if len(words) > options.max_words:
            if options.drop_long:
                report["dropped_long"] += 1
                continue
            pieces = split_long(words, options.max_words)
            report["split_long"] += 1
            report["split_pieces"] += len(pieces)
        for piece in pieces:
            text = " ".join(piece)
            if len(piece) < options.min_words:
                report["dropped_short"] += 1
                continue
            if options.dedupe:
                if text in seen:
                    report["dropped_duplicate"] += 1
                    continue
                seen.add(text)
            sentences.append(text)
            if labels is not None:
                kept_labels.append(normalize_text(labels[i]) or "(none)")
            if limit and len(sentences) >= limit:
                break
        if limit and len(sentences) >= limit:
            report["dropped_over_limit"] = len(units) - i - 1
            break
    report["kept"] = len(sentences)
    warnings = []
    if report["dropped_over_limit"]:
        why = " (the TEXTVAE_MAX_SENTENCES limit)" if cap and limit == cap and cap != options.max_sentences else ""
        warnings.append(
            f"Kept the first {len(sentences)} sentences{why}; {report['dropped_over_limit']} more were left out."
        )
    return Corpus(sentences, kept_labels if labels is not None else None, warnings=warnings, report=dict(report))


def split_summary(report: dict) -> str:
    """'split 414 long sentences into 1,007 parts at clause marks' ("" when none was split): not a warning, no text
    is lost (see ``split_long``)."""
    n = report.get("split_long", 0)
    if not n:
        return ""
    return (
        f"split {n:,} long sentence{'s' if n > 1 else ''} into {report.get('split_pieces', 0):,} parts at clause marks"
    )


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
