"""Corpora: the bundled ones, the demo corpus, the session's active corpus, uploads, table columns and stats."""

from __future__ import annotations

import hashlib
import io
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from studio import resume
from studio.paths import DEMO_CORPUS, corpora_dir
from studio.runtime import ensure_library, log

if TYPE_CHECKING:
    from textvae import Corpus, CorpusOptions, ModelBundle

BUNDLED_MAX_BYTES = 2**30  # the largest bundled corpus read (the upload limit is for uploads)


def corpus_fingerprint(corpus: Corpus) -> str:
    h = hashlib.sha1()
    for s in corpus.sentences:
        h.update(s.encode("utf-8", "replace") + b"\n")
    for label in corpus.labels or []:
        h.update(label.encode("utf-8", "replace") + b"\t")
    return h.hexdigest()[:16]


def bundled_corpora() -> list[Path]:
    from textvae.corpus import TEXT_SUFFIXES

    folder = corpora_dir()
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in TEXT_SUFFIXES
        and p.is_file()
        and not p.stem.upper().endswith("SOURCE")
        and p.stem.upper() not in ("README", "LICENSE")
    )  # attribution files are not corpora


def _options_key(options: CorpusOptions) -> tuple:
    return tuple(sorted(asdict(options).items()))


@st.cache_resource(show_spinner="Reading the bundled corpus…", max_entries=8)
def _bundled_corpus(path: str, mtime: float, options_key: tuple) -> tuple[Corpus, str]:
    from textvae import CorpusOptions, load_corpus

    # The server's own files: TEXTVAE_MAX_UPLOAD_MB limits what people upload, not these.
    corpus = load_corpus(path, options=CorpusOptions(**dict(options_key)), max_bytes=BUNDLED_MAX_BYTES)
    return corpus, "bundled:" + corpus_fingerprint(corpus)


def bundled_corpus(path: Path, options: CorpusOptions | None = None) -> tuple[Corpus, str]:
    """A bundled corpus, read once per server, with its id. Shared read-only."""
    from textvae import CorpusOptions

    ensure_library()
    options = options or CorpusOptions()
    return _bundled_corpus(str(path), path.stat().st_mtime, _options_key(options))


def demo_corpus() -> tuple[Corpus, str] | None:
    """The bundled demo corpus, or None when there is none (or it cannot be read: the pages then ask for one)."""
    from textvae import TextVAEError

    path = corpora_dir() / DEMO_CORPUS
    corpora = bundled_corpora()
    if not path.exists():
        if not corpora:
            return None
        path = corpora[0]
    try:
        return bundled_corpus(path)
    except TextVAEError as exc:
        log.warning("The demo corpus %s cannot be used: %s", path, exc)
        return None


def active_corpus() -> tuple[Corpus, str] | None:
    """(corpus, id): the one chosen on the Data page, else the demo corpus."""
    if st.session_state.get("corpus") is not None:
        return st.session_state.corpus, st.session_state.corpus_id
    return demo_corpus()


def set_active_corpus(corpus: Corpus, corpus_id: str | None = None) -> None:
    st.session_state.corpus = corpus
    st.session_state.corpus_id = corpus_id or "upload:" + corpus_fingerprint(corpus)
    resume.remember()


@dataclass
class TableColumns:
    columns: list[str]
    text_column: str
    label_column: str | None


def table_columns(data: bytes, suffix: str) -> TableColumns:
    """Header and the likeliest text/label columns of a CSV/TSV (TextVAEError if unreadable)."""
    import csv

    from textvae import TextVAEError
    from textvae.corpus import choose_label_column, choose_text_column, decode_bytes

    text, _, _ = decode_bytes(data)
    rows = list(csv.reader(io.StringIO(text[:2_000_000]), delimiter="\t" if suffix == ".tsv" else ","))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise TextVAEError("The table needs a header row and at least one row of data.")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) < len(header) or not all(header):
        raise TextVAEError("Every column needs a distinct, non-empty name in the header row.")
    body = [r for r in rows[1:1001] if len(r) == len(header)]
    columns = {name: [r[i] for r in body] for i, name in enumerate(header)}
    text_col = choose_text_column(columns, None)
    return TableColumns(header, text_col, choose_label_column(columns, None, text_col))


@st.cache_data(max_entries=16, ttl=3600, show_spinner="Reading the file…")
def _parse_upload(name: str, data: bytes, options_key: tuple) -> Corpus:
    from textvae import CorpusOptions, load_corpus

    return load_corpus(data, name=name, options=CorpusOptions(**dict(options_key)))


def load_uploaded_corpus(name: str, data: bytes, options: CorpusOptions) -> Corpus:
    """Uploaded bytes -> Corpus (cached by content and options). Raises TextVAEError for bad input."""
    from textvae.validation import readable_name

    ensure_library()
    return _parse_upload(readable_name(name), data, _options_key(options))


@st.cache_data(max_entries=32, ttl=3600, show_spinner="Counting…")
def _stats(corpus_id: str, model_id: str, _sentences: list[str], _tokenizer):
    from textvae import corpus_stats

    return corpus_stats(_sentences, _tokenizer)


def stats_for(corpus: Corpus, corpus_id: str, bundle: ModelBundle | None, model_id: str):
    return _stats(
        corpus_id,
        model_id if bundle is not None else "none",
        corpus.sentences,
        bundle.tokenizer if bundle is not None else None,
    )


def report_line(report: dict) -> str:
    """What cleaning did: "Removed 300 lines of licence text, …; joined 5,595 hard-wrapped lines. Read 120 units,
    kept 100; dropped empty: 20." ("" for no report)."""
    from textvae.corpus.cleaning import REPORT_PREFIX, summary_from_counts
    from textvae.corpus.loading import split_summary

    if not report:
        return ""
    dropped = {
        k.replace("dropped_", "dropped ").replace("_", " "): v
        for k, v in report.items()
        if k not in ("read", "kept", "joined_lines", "split_long", "split_pieces")
        and not k.startswith(REPORT_PREFIX)
        and v
    }
    cleaned, split = summary_from_counts(report), split_summary(report)
    return (
        (cleaned + " " if cleaned else "")
        + f"Read {report.get('read', 0):,} units, kept {report.get('kept', 0):,}"
        + ("; " + ", ".join(f"{k}: {v:,}" for k, v in dropped.items()) if dropped else "")
        + (f"; {split}" if split else "")
        + "."
    )
