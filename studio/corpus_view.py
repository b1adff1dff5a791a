"""The Data page's widgets: cleaning options, the CSV/TSV column picker, and a corpus's numbers, preview and words."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from studio import figures
from studio.components import sentence_table
from studio.corpora import report_line, table_columns
from studio.messages import md_escape
from studio.state import keep

if TYPE_CHECKING:
    from textvae import Corpus, ModelBundle

NO_LABEL = "(none)"
TABLE_SUFFIXES = (".csv", ".tsv")
PREVIEW_ROWS = 500
UNKNOWN_WARNING = 0.5  # the active model reads half the text as <unk>: its map of it says little
UNKNOWN_NOTE = 0.02  # enough <unk> to notice in a reconstruction: say why, and what gives a model without any


def cleaning_options() -> dict:
    """The cleaning widgets (an expander); their values as CorpusOptions fields."""
    from textvae.corpus.loading import CorpusOptions  # no torch: the corpus package imports none

    with st.expander("Cleaning options", icon=":material/tune:"):
        c1, c2, c3 = st.columns(3)
        max_words = c1.number_input(
            "Max words per sentence",
            1,
            200,
            CorpusOptions.max_words,
            key=keep("data.max_words", CorpusOptions.max_words),
            help="Longer sentences are split into parts of at most this many words, each cut after a clause mark "
            "(; : a dash, else a comma) where there is one, so that the model never learns to stop mid-phrase "
            "(or dropped, below).",
        )
        min_words = c2.number_input(
            "Min words per sentence",
            1,
            50,
            1,
            key=keep("data.min_words", 1),
            help="Shorter lines are dropped (e.g. headings).",
        )
        max_sentences = c3.number_input(
            "Keep at most (0: all)",
            0,
            1_000_000,
            0,
            step=1000,
            key=keep("data.max_sentences", 0),
            help="Only the first N sentences are kept; useful for a quick try on a big file.",
        )
        c4, c5, c6, c7 = st.columns(4)
        lowercase = c4.toggle(
            "Lowercase", key=keep("data.lowercase", False), help="Fewer distinct words, a smaller vocabulary."
        )
        drop_long = c5.toggle(
            "Drop long sentences",
            key=keep("data.drop_long", False),
            help="Drop sentences over the limit instead of splitting them.",
        )
        dedupe = c6.toggle(
            "Remove duplicates", key=keep("data.dedupe", False), help="Keep only the first copy of repeated sentences."
        )
        split = c7.selectbox(
            "Split text",
            ["auto", "lines", "prose"],
            key=keep("data.split", "auto"),
            help="lines: one sentence per line. prose: paragraphs split into sentences. auto: guess.",
        )
    return dict(
        lowercase=lowercase,
        max_words=int(max_words),
        min_words=int(min_words),
        drop_long=drop_long,
        dedupe=dedupe,
        split=split,
        max_sentences=int(max_sentences) or None,
    )


def table_column_picker(source: bytes | Path, suffix: str, text_key: str, label_key: str) -> dict:
    """For a .csv/.tsv (its bytes, or a file read only when it is a table): pickers of the text and label
    columns, the likeliest preselected; their values as CorpusOptions fields ({} for other files).
    TextVAEError if the table cannot be read."""
    if suffix not in TABLE_SUFFIXES:
        return {}
    cols = table_columns(source.read_bytes() if isinstance(source, Path) else source, suffix)
    t1, t2 = st.columns(2)
    text = t1.selectbox("Text column", cols.columns, index=cols.columns.index(cols.text_column), key=text_key)
    labels = [NO_LABEL, *cols.columns]
    chosen = t2.selectbox(
        "Label column",
        labels,
        index=labels.index(cols.label_column) if cols.label_column else 0,
        key=label_key,
        help="Optional: colours the latent map by label.",
    )
    return {"text_column": text, "label_column": "" if chosen == NO_LABEL else chosen}


def corpus_numbers(corpus: Corpus, stats, bundle: ModelBundle | None) -> None:
    """The corpus's counts (metrics), a warning when the active model knows few of its words, the cleaning report."""
    m = st.columns(6)
    m[0].metric("Sentences", f"{stats.sentences:,}")
    m[1].metric(
        "Tokens",
        f"{stats.tokens:,}",
        help="Tokens of the active model's tokenizer." if bundle else "Words (split on spaces).",
    )
    m[2].metric("Distinct words", f"{stats.vocabulary:,}")
    m[3].metric("Mean length", f"{stats.mean_length:.1f}")
    m[4].metric("Longest", stats.max_length)
    m[5].metric(
        "Unknown to model",
        f"{stats.unknown_rate:.1%}" if bundle else "–",
        help="Share of tokens the active model does not know (read as <unk>), not a flaw of the text. A model "
        "trained on this corpus (Train page) knows them all.",
    )
    if bundle is not None and stats.unknown_rate >= UNKNOWN_WARNING:
        st.warning(
            f"{stats.unknown_rate:.0%} of this corpus's tokens are unknown to the active model "
            f"({md_escape(bundle.name)}): it reads them as `<unk>`, so its map and reconstructions of these "
            "sentences say little. Train a model on this corpus on the **Train** page.",
            icon=":material/warning:",
        )
    elif bundle is not None and stats.unknown_rate >= UNKNOWN_NOTE:
        st.caption(
            f":material/info: {stats.unknown_rate:.0%} of these tokens are unknown to the active model "
            f"({md_escape(bundle.name)}, trained on other text); it reads them as `<unk>`. A model trained on "
            "this corpus on the **Train** page reads every one."
        )
    if report := report_line(corpus.report):
        st.caption(report)


def corpus_tabs(corpus: Corpus, stats) -> None:
    """Tabs with the first sentences, the length histogram and the commonest words."""
    tab_preview, tab_lengths, tab_words = st.tabs(["Preview", "Lengths", "Top words"])
    with tab_preview:
        shown = min(PREVIEW_ROWS, len(corpus))
        frame = pd.DataFrame({"sentence": corpus.sentences[:PREVIEW_ROWS]}, index=range(1, shown + 1))
        if corpus.labels is not None:
            frame["label"] = corpus.labels[:PREVIEW_ROWS]
        sentence_table(frame, height=360, hide_index=False)
        if len(corpus) > PREVIEW_ROWS:
            st.caption(f"The first {PREVIEW_ROWS} of {len(corpus):,} sentences.")
    with tab_lengths:
        st.plotly_chart(figures.length_histogram(stats.length_histogram), width="stretch", key="data.hist")
    with tab_words:
        words = pd.DataFrame(stats.top_words, columns=["word", "count"])
        st.dataframe(
            words,
            width="stretch",
            height=360,
            hide_index=True,
            column_config={
                "count": st.column_config.ProgressColumn(
                    "count", format="%d", min_value=0, max_value=int(words["count"].max()) if len(words) else 1
                )
            },
        )
