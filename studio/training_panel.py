"""The live view of the session's training job on the Train page (a fragment that polls while it runs)."""

from __future__ import annotations

import streamlit as st

from studio import figures
from studio.jobs import collect_finished_job, fmt_seconds, job_status_line, polling
from studio.latent_replay import frames_from_events, latent_replay
from studio.messages import md_escape, show_error
from studio.runtime import server_limits
from textvae.jobs import JobStatus
from textvae.verdict import verdict

# Seconds between polls of the live panel: one person watches every second; on a class's server each training
# tab's poll is a script run and a redraw of four charts in the browser, sharing the CPU with the trainings.
PANEL_POLL_S = {False: 1.0, True: 2.0}


def _status(job, start: dict | None, last: dict | None) -> None:
    """Exactly two elements: the job's state (progress bar, success, queue or error) and a caption of facts."""
    if job.status == JobStatus.QUEUED:
        st.info(job_status_line(job), icon=":material/hourglass_top:")
    elif job.status == JobStatus.FAILED:
        show_error(job.error or "Training failed.")
    elif job.status == JobStatus.RUNNING:
        if last is None:
            st.progress(0.0, text="Preparing: building the vocabulary and the model…")
        else:
            total = start["total_steps"] if start else None
            st.progress(
                min(1.0, last["progress"]),
                text=f"Step {last['step']:,}{f' of {total:,}' if total else ''} · epoch {last['epoch']} · "
                f"ETA {fmt_seconds(last['eta_s'])} · {last['tokens_per_s']:,.0f} tokens/s",
            )
    else:
        end = job.last("end") or {}
        said = verdict(job.result.metrics) if job.result is not None else ""
        st.success(
            f"{job_status_line(job)} — {end.get('steps', 0):,} steps. "
            f"The best model (by validation ELBO) is the active model now. {md_escape(said)}",
            icon=":material/check_circle:",
        )
    if start and job.status != JobStatus.FAILED:
        threads = (last or {}).get("threads", start["threads"])  # the latest: a lone training gets every core
        st.caption(
            f"{start['n_train']:,} training and {start['n_valid']:,} validation sentences · "
            f"{start['parameters']:,} parameters · "
            f"{start['device']} with {threads} thread{'s' if threads != 1 else ''} · "
            f"{start.get('precision', 'fp32')} ({start.get('precision_why', '')}) · seed {start['seed']}"
        )
    else:
        st.empty()


def _metrics(last: dict | None, valids: list[dict]) -> None:
    """Five columns of one element each: the numbers, or empty slots before the first step."""
    m = st.columns(5)
    if last is None:
        for column in m:
            column.empty()
        return
    best = next((e for e in reversed(valids) if e.get("best")), None)
    m[0].metric(
        "Reconstruction",
        f"{last['recon']:.2f}",
        help="−log p(x|z) per sentence, nats (training batch average).",
    )
    m[1].metric(
        "KL",
        f"{last['kl']:.2f}",
        help="KL(q(z|x) || p(z)) per sentence, nats. Near 0 means the code carries no information.",
    )
    m[2].metric("β", f"{last['beta']:.2f}", help="The KL weight from the schedule.")
    m[3].metric(
        "Best valid −ELBO",
        f"{best['elbo']:.2f}" if best else "–",
        help="The model with the lowest validation −ELBO is kept.",
    )
    m[4].metric(
        "Active units",
        f"{valids[-1]['au']}" if valids and "au" in valids[-1] else "–",
        help="Latent dimensions in use on validation data.",
    )


def training_panel() -> None:
    """Live view of the session's job; polls while it runs (PANEL_POLL_S; the worker never calls st.*).

    Every run of the fragment draws the same layout (a container of two elements, then three rows of columns
    with one or two elements each; empty slots where there is nothing yet). Under load a poll can be cut short
    by the next one, and Streamlit's browser side then loses track of a layout whose size changed between
    runs: "Bad delta path index", after which the page stays disconnected (seen with 30 sessions on 2 vCPUs)."""

    @st.fragment(run_every=PANEL_POLL_S[server_limits().classroom] if polling() else None)
    def panel() -> None:
        job = st.session_state.get("job")
        if job is None:
            return
        if collect_finished_job():
            st.rerun()
        events = job.snapshot()
        start = next((e for e in events if e["type"] == "start"), None)
        steps = [e for e in events if e["type"] == "step"]
        valids = [e for e in events if e["type"] == "valid" and e.get("phase") != "pretrain"]
        shown = job.status not in (JobStatus.QUEUED, JobStatus.FAILED)
        last = steps[-1] if steps and shown else None
        with st.container():
            _status(job, start, last)
        _metrics(last, valids)
        c1, c2 = st.columns(2)
        if last is not None:
            loss_fig, kl_fig = figures.loss_figures(steps, valids)
            c1.plotly_chart(loss_fig, width="stretch", key="train.loss")
            c2.plotly_chart(kl_fig, width="stretch", key="train.kl")
        else:
            c1.empty()
            c2.empty()
        left, right = st.columns(2)
        with left:
            if shown and valids and valids[-1].get("kl_per_dim"):
                st.plotly_chart(figures.kl_per_dim_figure(valids[-1]["kl_per_dim"]), width="stretch", key="train.kldim")
                st.caption(
                    "Grey bars: dimensions the encoder no longer uses (posterior collapse). "
                    "Free bits, KL annealing and BN-VAE keep them alive."
                )
            else:
                st.empty()
                st.caption(
                    "The KL per dimension appears after the first validation."
                    if job.status == JobStatus.RUNNING
                    else ""
                )
        with right:
            if shown and (frames := frames_from_events(events)) is not None:
                latent_replay(*frames, animate=job.status != JobStatus.RUNNING, key="train.latent")
            else:
                st.empty()
                st.empty()

    panel()
