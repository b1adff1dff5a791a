from pathlib import Path

import streamlit as st

from studio import corpora, corpus_view
from studio.components import page_header
from studio.jobs import too_small_to_train
from studio.messages import md_escape, show_error
from studio.models import active_bundle, active_model_id
from studio.runtime import server_limits
from studio.state import keep
from textvae import CorpusOptions, TextVAEError
from textvae.corpus import TEXT_SUFFIXES

page_header("Data", "Choose the sentences to train on and to map. Files stay in this browser session.")

active = st.session_state.corpus
if active is not None:
    st.success(
        f"Active corpus: **{md_escape(active.name)}** ({len(active):,} sentences).", icon=":material/check_circle:"
    )
else:
    st.info(
        "No corpus chosen yet: training and the maps use the bundled demo sentences until you choose one.",
        icon=":material/info:",
    )

source = (
    st.segmented_control("Source", ["Upload a file", "Bundled corpus"], key=keep("data.source", "Upload a file"))
    or "Upload a file"
)
options = corpus_view.cleaning_options()

candidate, candidate_id = None, None
if source == "Bundled corpus":
    bundled = corpora.bundled_corpora()
    if not bundled:
        st.warning("No bundled corpora were found in assets/corpora/.")
    else:
        path = st.selectbox("Corpus", bundled, format_func=lambda p: p.name, key="data.bundled")
        table_options = {}
        try:
            keys = f"data.bundled.text.{path.name}", f"data.bundled.label.{path.name}"
            table_options = corpus_view.table_column_picker(path, path.suffix, *keys)
        except TextVAEError as exc:
            show_error(exc)
        try:
            candidate, candidate_id = corpora.bundled_corpus(path, CorpusOptions(**options, **table_options))
        except TextVAEError as exc:
            show_error(exc)
else:
    upload = st.file_uploader(
        "Upload sentences",
        type=[suffix.lstrip(".") for suffix in TEXT_SUFFIXES],
        key="data.upload",
        help="A .txt with one sentence per line (or prose), a .md document, or a .csv/.tsv table with a text "
        f"column. Up to {server_limits().max_upload_mb:.3g} MB.",
    )
    if upload is None:
        st.caption(
            "Best: one sentence per line, a few thousand lines or more. Prose is split into sentences; "
            "tables let you pick the text and label columns. No file at hand? Pick a bundled corpus above."
        )
        if active is not None:  # back on this page after choosing one: its numbers and sentences, not a blank
            candidate, candidate_id = active, st.session_state.corpus_id
    else:
        data, suffix = upload.getvalue(), Path(upload.name).suffix.lower()
        try:
            table_options = corpus_view.table_column_picker(data, suffix, "data.upload.text", "data.upload.label")
            candidate = corpora.load_uploaded_corpus(upload.name, data, CorpusOptions(**options, **table_options))
            candidate_id = "upload:" + corpora.corpus_fingerprint(candidate)
            if candidate_id != st.session_state.get("data.auto_used"):
                # An upload is an explicit choice: use it at once (a bundled corpus needs the button).
                st.session_state["data.auto_used"] = candidate_id
                corpora.set_active_corpus(candidate, candidate_id)
                st.rerun()
        except TextVAEError as exc:
            show_error(exc, prefix=f"{upload.name}: ")

if candidate is not None:
    for warning in candidate.warnings:
        st.warning(md_escape(warning), icon=":material/warning:")
    if problem := too_small_to_train(candidate):
        st.warning(problem, icon=":material/warning:")
    if st.session_state.corpus_id != candidate_id:
        c1, c2 = st.columns([1, 4], vertical_alignment="center")
        if c1.button("Use this corpus", type="primary", icon=":material/check:", key="data.use"):
            corpora.set_active_corpus(candidate, candidate_id)
            st.rerun()
        c2.caption("Preview below; click to use it for training and the latent map.")

    bundle = active_bundle()
    stats = corpora.stats_for(candidate, candidate_id, bundle, active_model_id())
    corpus_view.corpus_numbers(candidate, stats, bundle)
    corpus_view.corpus_tabs(candidate, stats)
