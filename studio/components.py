"""Widgets every page shares: the page header, the sidebar card, the decoding controls and CSV downloads."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from studio.jobs import collect_finished_job, job_status_line, polling
from studio.messages import md_escape, show_notice
from studio.models import active_model_info
from studio.state import keep

if TYPE_CHECKING:
    import pandas as pd

    from textvae import DecodeOptions


def page_header(title: str, intro: str | None = None) -> None:
    st.title(title)
    if intro:
        st.caption(intro)
    show_notice()


def _fmt_params(n: int) -> str:
    return f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n / 1e3:.0f} k"


SIDEBAR_POLL_S = 4.0


def sidebar_card() -> None:
    """The active model and training status, on every page. Polls while a job runs: every few seconds is enough
    here (the Train page's own panel polls every second), and each poll is a script run on a shared server."""

    @st.fragment(run_every=SIDEBAR_POLL_S if polling() else None)
    def card() -> None:
        if collect_finished_job():
            st.rerun()  # the whole page: the active model changed
        info = active_model_info()
        with st.container(border=True):
            st.caption("ACTIVE MODEL")
            if info is None:
                st.markdown("**No model loaded**")
                st.caption("Train one or upload a bundle.")
            else:
                st.markdown(f"**{md_escape(info['name'])}**")
                kl = f"{info['kl']:.2f} nats" if info["kl"] is not None else "–"
                au = f"{info['au']}/{info['latent_dim']}" if info["au"] is not None else "–"
                origin = md_escape(st.session_state.get("model_origin", ""))
                how = f"{md_escape(info['base'])} fine-tuned" if info["base"] else "trained"
                st.caption(
                    f"{origin} · {how} on {md_escape(info['corpus'])}  \n"
                    f"{_fmt_params(info['parameters'])} parameters · {info['latent_dim']} latent dims  \n"
                    f"KL {kl} · active units {au}",
                    help="KL: average KL(q(z|x) || p(z)) per validation sentence; near 0 means posterior collapse. "
                    "Active units: latent dimensions the encoder actually uses (Burda et al. 2016).",
                )
            running = st.session_state.get("job")
            if running is None:
                for _ in range(4):  # the same number of elements in every run (see studio.training_panel)
                    st.empty()
            else:
                from textvae.jobs import JobStatus  # imports torch: a session with a job has it already

                st.divider()
                st.caption("TRAINING")
                st.markdown(job_status_line(running))
                step = running.last("step")
                if running.status == JobStatus.RUNNING and step is not None:
                    st.progress(min(1.0, step["progress"]))
                else:
                    st.empty()

    with st.sidebar:
        card()


# The display guards' checkboxes: (DecodeOptions field, label, help). Each is on by default; off shows what the
# model itself prefers.
_GUARD_BOXES = (
    (
        "known_words",
        "Only words the model has read",
        "Greedy and sampling: a model that writes words piece by piece may join pieces into words that do not exist "
        "(“perceious”). On, every word it writes is one of its training text (and base model). Off shows what the "
        "model itself prefers.",
    ),
    (
        "sentence_shape",
        "Begin, end and punctuate sentences as the training text does",
        "A model trained for a minute sometimes stops on a word (“…and the monster was in the”), begins in lower "
        "case, writes a word twice (“and and”) or marks no text has (“,,”). On, when nearly all its training "
        "sentences end with a mark (. ? ! ” 。) a sentence ends only after one of those marks, when nearly all begin "
        "with a capital none begins in lower case, a word follows itself only where the training text doubles it, "
        "two marks meet only as they do there, and a word inside a sentence has a capital only where the training "
        "text gives it one. Off shows what the model itself prefers.",
    ),
)


def decode_controls(prefix: str, default: str = "greedy", container=None) -> DecodeOptions:
    """Decoding strategy widgets (use inside a form), starting at DecodeOptions' defaults. Returns DecodeOptions."""
    from textvae import DecodeOptions

    start = DecodeOptions()

    c = container or st
    labels = {"greedy": "Greedy", "sample": "Sample", "beam": "Beam search"}
    method = c.radio(
        "Decoding",
        list(labels),
        format_func=labels.get,
        horizontal=True,
        key=keep(f"{prefix}.method", default),
        help="Greedy: always the likeliest next word. "
        "Sample: draw words at random (temperature, top-k, top-p). Beam: keep the best few partial sentences.",
    )
    with c.expander("Sampling and beam settings"):
        cols = st.columns(5)
        temperature = cols[0].slider(
            "Temperature",
            0.1,
            2.0,
            start.temperature,
            0.05,
            key=keep(f"{prefix}.temperature", start.temperature),
            help="Sampling only. 1 draws from the model's own distribution; below 1: safer, more repetitive (0.8, the "
            "default, breaks fewer sentences); above 1: more surprising.",
        )
        top_k = cols[1].number_input(
            "Top-k",
            0,
            1000,
            start.top_k,
            key=keep(f"{prefix}.top_k", start.top_k),
            help="Sampling only. Draw from the k likeliest words (0: no limit).",
        )
        top_p = cols[2].slider(
            "Top-p",
            0.05,
            1.0,
            start.top_p,
            0.05,
            key=keep(f"{prefix}.top_p", start.top_p),
            help="Sampling only. Draw from the smallest set of words holding this much probability.",
        )
        beam = cols[3].number_input(
            "Beam width",
            1,
            16,
            start.beam_width,
            key=keep(f"{prefix}.beam", start.beam_width),
            help="Beam search only. More beams: slower, often more fluent.",
        )
        no_repeat = cols[4].number_input(
            "No repeated n-gram",
            0,
            8,
            start.no_repeat_ngram,
            key=keep(f"{prefix}.no_repeat", start.no_repeat_ngram),
            help="Never repeat a run of this many tokens within a sentence, so decoding cannot loop "
            "(“I am sure, I am sure, …”). 0 turns the guard off and shows what the model itself prefers.",
        )
        guards = {
            field: st.checkbox(
                label, getattr(start, field), key=keep(f"{prefix}.{field}", getattr(start, field)), help=why
            )
            for field, label, why in _GUARD_BOXES
        }
    return DecodeOptions(
        method=method,
        temperature=float(temperature),
        top_k=int(top_k),
        top_p=float(top_p),
        beam_width=int(beam),
        no_repeat_ngram=int(no_repeat),
        **{field: bool(on) for field, on in guards.items()},
    )


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def sentence_table(frame: pd.DataFrame, height: int | None = None, hide_index: bool = True) -> None:
    """Sentences shown whole: ``st.table`` wraps them where ``st.dataframe`` cuts a long one. ``st.table`` reads
    Markdown in its cells, so text cells are escaped and show exactly as written. With ``height`` (pixels) the
    table scrolls inside a box of that height."""
    shown = frame.copy()  # column by column: DataFrame.map's per-cell apply cost 0.1 s on a busy server
    for column in shown.columns:
        shown[column] = [md_escape(v) if isinstance(v, str) else v for v in shown[column]]
    box = st.container(height=height, border=False) if height else st.container()
    box.table(shown, border="horizontal", hide_index=hide_index)


def table_with_download(frame: pd.DataFrame, file_name: str, key: str) -> None:
    """A table of sentences, every row shown and every sentence whole (wrapped), and its CSV download."""
    sentence_table(frame)
    csv_download(frame, file_name, key=key)


def csv_download(frame: pd.DataFrame, file_name: str, key: str | None = None, label: str = "Download CSV") -> None:
    """A download button for a table, as CSV (made on the spot: no rerun when clicked)."""
    st.download_button(
        label,
        csv_bytes(frame),
        file_name,
        "text/csv",
        on_click="ignore",
        icon=":material/download:",
        key=key,
    )
