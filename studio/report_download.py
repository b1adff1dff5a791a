"""The Models page's "Download report" button: the active model's stakeholder report (textvae.report) on the
active corpus, one HTML file that opens offline. Built only when clicked, so visiting the page stays fast."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import streamlit as st

from studio.corpora import active_corpus

if TYPE_CHECKING:
    from textvae import Corpus, ModelBundle


def report_html_bytes(bundle: ModelBundle, corpus: Corpus, seed: int = 0) -> bytes:
    """The report as UTF-8 (st.download_button's deferred data: no Streamlit calls in here)."""
    from textvae.report import build_report

    return build_report(bundle, corpus, seed).encode("utf-8")


def report_button(bundle: ModelBundle) -> None:
    """The button, with what the report holds and which corpus it shows."""
    from textvae.bundle import safe_folder_name

    chosen = active_corpus()
    if chosen is None:
        st.caption("Choose a corpus on the Data page to download a report of this model on it.")
        return
    corpus, _ = chosen
    st.download_button(
        "Download report",
        functools.partial(report_html_bytes, bundle, corpus),
        f"{safe_folder_name(bundle.name)}-report.html",
        "text/html",
        on_click="ignore",
        icon=":material/summarize:",
        key="models.report",
        help=f"One HTML file for people who will not open the app: the model card, the latent map of "
        f"{corpus.name}, samples, interpolations and reconstructions (and its labels, if it has any). It opens "
        "offline in any browser. Made when you click (10-60 s), the same every time (seed 0).",
    )
