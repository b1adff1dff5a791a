"""The live view of the session's training job on the Train page (a fragment that polls while it runs)."""

from __future__ import annotations

import streamlit as st

from studio import figures
from studio.jobs import collect_finished_job, fmt_seconds, job_status_line, polling
from studio.latent_replay import frames_from_events, latent_replay
from studio.messages import md_escape, show_error
from textvae.jobs import JobStatus
from textvae.verdict import verdict


def _progress(job, start: dict | None, last: dict | None) -> None:
    if job.status == JobStatus.RUNNING:
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
    if start:
        threads = start["threads"]
        st.caption(
            f"{start['n_train']:,} training and {start['n_valid']:,} validation sentences · "
            f"{start['parameters']:,} parameters · "
            f"{start['device']} with {threads} thread{'s' if threads != 1 else ''} · "
            f"{start.get('precision', 'fp32')} ({start.get('precision_why', '')}) · seed {start['seed']}"
        )


def _metrics(last: dict, valids: list[dict]) -> None:
    best = next((e for e in reversed(valids) if e.get("best")), None)
    m = st.columns(5)
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
    """Live view of the session's job; polls once a second while it runs (the worker never calls st.*)."""

    @st.fragment(run_every=1.0 if polling() else None)
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
        if job.status == JobStatus.QUEUED:
            st.info(job_status_line(job), icon=":material/hourglass_top:")
            return
        if job.status == JobStatus.FAILED:
            show_error(job.error or "Training failed.")
            return
        last = steps[-1] if steps else None
        _progress(job, start, last)
        if last is not None:
            _metrics(last, valids)
            loss_fig, kl_fig = figures.loss_figures(steps, valids)
            c1, c2 = st.columns(2)
            c1.plotly_chart(loss_fig, width="stretch", key="train.loss")
            c2.plotly_chart(kl_fig, width="stretch", key="train.kl")
        left, right = st.columns(2)
        with left:
            if valids and valids[-1].get("kl_per_dim"):
                kl_fig = figures.kl_per_dim_figure(valids[-1]["kl_per_dim"])
                st.plotly_chart(kl_fig, width="stretch", key="train.kldim")
                st.caption(
                    "Grey bars: dimensions the encoder no longer uses (posterior collapse). "
                    "Free bits, KL annealing and BN-VAE keep them alive."
                )
            elif job.status == JobStatus.RUNNING:
                st.caption("The KL per dimension appears after the first validation.")
        with right:
            if (frames := frames_from_events(events)) is not None:
                latent_replay(*frames, animate=job.status != JobStatus.RUNNING, key="train.latent")

    panel()
