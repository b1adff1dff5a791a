from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import ui
from textvae import CorpusOptions, TextVAEError

ui.page_header("Data", "Choose the sentences to train on and to map. Files stay in this browser session.")

active = st.session_state.corpus
if active is not None:
    st.success(
        f"Active corpus: **{ui.md_escape(active.name)}** ({len(active):,} sentences).", icon=":material/check_circle:"
    )
else:
    st.info(
        "No corpus chosen yet: training and the maps use the bundled demo sentences until you choose one.",
        icon=":material/info:",
    )

source = (
    st.segmented_control("Source", ["Upload a file", "Bundled corpus"], key=ui.keep("data.source", "Upload a file"))
    or "Upload a file"
)

with st.expander("Cleaning options", icon=":material/tune:"):
    c1, c2, c3 = st.columns(3)
    max_words = c1.number_input(
        "Max words per sentence",
        1,
        200,
        40,
        key=ui.keep("data.max_words", 40),
        help="Longer sentences are cut to this many words (or dropped, below).",
    )
    min_words = c2.number_input(
        "Min words per sentence",
        1,
        50,
        1,
        key=ui.keep("data.min_words", 1),
        help="Shorter lines are dropped (e.g. headings).",
    )
    max_sentences = c3.number_input(
        "Keep at most (0: all)",
        0,
        1_000_000,
        0,
        step=1000,
        key=ui.keep("data.max_sentences", 0),
        help="Only the first N sentences are kept; useful for a quick try on a big file.",
    )
    c4, c5, c6, c7 = st.columns(4)
    lowercase = c4.toggle(
        "Lowercase", key=ui.keep("data.lowercase", False), help="Fewer distinct words, a smaller vocabulary."
    )
    drop_long = c5.toggle(
        "Drop long sentences",
        key=ui.keep("data.drop_long", False),
        help="Drop sentences over the limit instead of cutting them.",
    )
    dedupe = c6.toggle(
        "Remove duplicates", key=ui.keep("data.dedupe", False), help="Keep only the first copy of repeated sentences."
    )
    split = c7.selectbox(
        "Split text",
        ["auto", "lines", "prose"],
        key=ui.keep("data.split", "auto"),
        help="lines: one sentence per line. prose: paragraphs split into sentences. auto: guess.",
    )

options = dict(
    lowercase=lowercase,
    max_words=int(max_words),
    min_words=int(min_words),
    drop_long=drop_long,
    dedupe=dedupe,
    split=split,
    max_sentences=int(max_sentences) or None,
)

candidate, candidate_id = None, None
if source == "Bundled corpus":
    corpora = ui.bundled_corpora()
    if not corpora:
        st.warning("No bundled corpora were found in assets/corpora/.")
    else:
        path = st.selectbox("Corpus", corpora, format_func=lambda p: p.name, key="data.bundled")
        table_options = {}
        if path.suffix in (".csv", ".tsv"):
            try:
                cols = ui.table_columns(path.read_bytes(), path.suffix)
                t1, t2 = st.columns(2)
                table_options["text_column"] = t1.selectbox(
                    "Text column",
                    cols.columns,
                    index=cols.columns.index(cols.text_column),
                    key=f"data.bundled.text.{path.name}",
                )
                labels = ["(none)"] + cols.columns
                chosen = t2.selectbox(
                    "Label column",
                    labels,
                    index=labels.index(cols.label_column) if cols.label_column else 0,
                    key=f"data.bundled.label.{path.name}",
                    help="Optional: colours the latent map by label.",
                )
                table_options["label_column"] = "" if chosen == "(none)" else chosen
            except TextVAEError as exc:
                ui.show_error(exc)
        try:
            candidate, candidate_id = ui.bundled_corpus(path, CorpusOptions(**options, **table_options))
        except TextVAEError as exc:
            ui.show_error(exc)
else:
    upload = st.file_uploader(
        "Upload sentences",
        type=["txt", "csv", "tsv", "md"],
        key="data.upload",
        help=f"A .txt with one sentence per line (or prose), a .md document, or a .csv/.tsv table with a text column. Up to {ui.server_limits().max_upload_mb:.3g} MB.",
    )
    if upload is None:
        st.caption(
            "Best: one sentence per line, a few thousand lines or more. Prose is split into sentences; tables let you pick the text and label columns. "
            "No file at hand? Pick a bundled corpus above."
        )
    if upload is not None:
        data, suffix = upload.getvalue(), Path(upload.name).suffix.lower()
        table_options = {}
        try:
            if suffix in (".csv", ".tsv"):
                cols = ui.table_columns(data, suffix)
                t1, t2 = st.columns(2)
                table_options["text_column"] = t1.selectbox(
                    "Text column", cols.columns, index=cols.columns.index(cols.text_column), key="data.upload.text"
                )
                labels = ["(none)"] + cols.columns
                chosen = t2.selectbox(
                    "Label column",
                    labels,
                    index=labels.index(cols.label_column) if cols.label_column else 0,
                    key="data.upload.label",
                    help="Optional: colours the latent map by label.",
                )
                table_options["label_column"] = "" if chosen == "(none)" else chosen
            candidate = ui.load_uploaded_corpus(upload.name, data, CorpusOptions(**options, **table_options))
            candidate_id = "upload:" + ui.corpus_fingerprint(candidate)
            if candidate_id != st.session_state.get("data.auto_used"):
                # An upload is an explicit choice: use it at once (a bundled corpus needs the button).
                st.session_state["data.auto_used"] = candidate_id
                ui.set_active_corpus(candidate, candidate_id)
                st.rerun()
        except TextVAEError as exc:
            ui.show_error(exc, prefix=f"{upload.name}: ")

if candidate is not None:
    for warning in candidate.warnings:
        st.warning(ui.md_escape(warning), icon=":material/warning:")
    if problem := ui.too_small_to_train(candidate):
        st.warning(problem, icon=":material/warning:")
    if st.session_state.corpus_id != candidate_id:
        c1, c2 = st.columns([1, 4], vertical_alignment="center")
        if c1.button("Use this corpus", type="primary", icon=":material/check:", key="data.use"):
            ui.set_active_corpus(candidate, candidate_id)
            st.rerun()
        c2.caption("Preview below; click to use it for training and the latent map.")

    bundle = ui.active_bundle()
    stats = ui.stats_for(candidate, candidate_id, bundle, ui.active_model_id())
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
        "Unknown rate",
        f"{stats.unknown_rate:.1%}" if bundle else "–",
        help="Share of tokens the active model does not know (read as <unk>). High: train a model on this corpus.",
    )
    if bundle is not None and stats.unknown_rate >= 0.5:
        st.warning(
            f"{stats.unknown_rate:.0%} of this corpus's tokens are unknown to the active model ({ui.md_escape(bundle.name)}): it reads them as "
            "`<unk>`, so its map and reconstructions of these sentences say little. Train a model on this corpus on the **Train** page.",
            icon=":material/warning:",
        )

    report = candidate.report
    if report:
        dropped = {
            k.replace("dropped_", "dropped ").replace("_", " "): v
            for k, v in report.items()
            if k not in ("read", "kept") and v
        }
        st.caption(
            f"Read {report.get('read', 0):,} units, kept {report.get('kept', 0):,}"
            + ("; " + ", ".join(f"{k}: {v:,}" for k, v in dropped.items()) if dropped else "")
            + "."
        )

    tab_preview, tab_lengths, tab_words = st.tabs(["Preview", "Lengths", "Top words"])
    with tab_preview:
        frame = pd.DataFrame({"sentence": candidate.sentences[:500]}, index=range(1, min(500, len(candidate)) + 1))
        if candidate.labels is not None:
            frame["label"] = candidate.labels[:500]
        st.dataframe(frame, width="stretch", height=360)
        if len(candidate) > 500:
            st.caption(f"The first 500 of {len(candidate):,} sentences.")
    with tab_lengths:
        hist = stats.length_histogram
        fig = go.Figure(
            go.Bar(
                x=list(hist),
                y=list(hist.values()),
                marker_color="#4F46E5",
                hovertemplate="%{x} tokens: %{y} sentences<extra></extra>",
            )
        )
        fig.update_layout(
            height=320,
            margin=dict(l=10, r=10, t=10, b=10),
            xaxis_title="tokens per sentence",
            yaxis_title="sentences",
            bargap=0.05,
        )
        st.plotly_chart(fig, width="stretch", key="data.hist")
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
