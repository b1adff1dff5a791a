"""Training jobs: starting the session's background training, collecting its model, and saying how it is doing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from studio import ownership, resume
from studio.messages import md_escape, notice
from studio.models import set_active_model
from studio.runtime import ensure_library

if TYPE_CHECKING:
    from textvae import Corpus, ModelBundle, TokenizerConfig, TrainConfig
    from textvae.jobs import TrainingJob


def too_small_to_train(corpus: Corpus) -> str | None:
    """Why a corpus cannot be trained on (too few sentences), or None."""
    from textvae.config import MIN_SENTENCES, VALID_FRACTION, min_corpus_sentences

    needed = min_corpus_sentences()
    if len(corpus) >= needed:
        return None
    return (
        f"This corpus has {len(corpus):,} sentence{'s' if len(corpus) != 1 else ''}; "
        f"training needs at least {needed}: {MIN_SENTENCES} to learn from, plus {VALID_FRACTION:.0%} held out "
        "to validate. Add sentences or choose a bigger corpus."
    )


def start_training(
    corpus: Corpus,
    model: dict,
    training: TrainConfig,
    tokenizer: TokenizerConfig,
    name: str,
    base: ModelBundle | None = None,
) -> TrainingJob:
    """Start a background job for this session (fine-tuning ``base`` when given); a job it replaces is stopped first."""
    from textvae import TextVAEError
    from textvae.jobs import TrainingJob

    ensure_library()
    problem = too_small_to_train(corpus)
    if problem:
        raise TextVAEError(problem)
    old = st.session_state.get("job")
    if old is not None and old.active:
        old.stop("replaced by a new training")
    job = TrainingJob(
        corpus,
        model=model,
        training=training,
        tokenizer=tokenizer,
        name=name,
        save_dir=ownership.save_dir(),
        base=base,
        quota=ownership.quota(),
    )
    st.session_state.job = job
    st.session_state.job_collected = False
    resume.session_holder().watch(job)
    resume.remember()
    return job.start()


def polling() -> bool:
    """Whether the session's job still needs watching: running, queued, or finished with its model not yet active."""
    job = st.session_state.get("job")
    return job is not None and (job.active or not st.session_state.get("job_collected", True))


def collect_finished_job() -> bool:
    """If the session's job has finished with a model, make it the active model (once). True if it did."""
    job = st.session_state.get("job")
    if job is None or not job.finished or st.session_state.get("job_collected", True):
        return False
    st.session_state.job_collected = True
    resume.remember()
    if job.result is not None:
        set_active_model(job.result, "trained here")
        where = f" and saved as {job.saved_path.name}. {ownership.where_kept()}" if job.saved_path else "."
        unsaved = f" {job.save_error} Use Download .zip on the Models page to keep it." if job.save_error else ""
        if job.saved_path:
            ownership.note_own(job.saved_path)
        notice(f"Training {job.status}: the new model is now active{md_escape(where)}{md_escape(unsaved)}")
        return True
    return False


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "–"
    s = round(s)
    return f"{s // 60}:{s % 60:02d}"


def _ray_node(job: TrainingJob) -> str:
    """Where on the Ray cluster a job trains: "on the Ray cluster, node 1306f4e8 (host-b)"."""
    node = (job.last("start") or {}).get("ray_node") or {}
    if not node.get("node_id"):
        return "on the Ray cluster"
    return f"on the Ray cluster, node {md_escape(str(node['node_id'])[:8])} ({md_escape(str(node.get('host')))})"


def job_status_line(job: TrainingJob) -> str:
    """One line (markdown) on where a job stands: queued, preparing, training with its ETA, or how it ended."""
    from textvae.jobs import JobStatus  # imports torch: a session with a job has it already

    if job.status == JobStatus.QUEUED:
        ahead = job.queue_ahead
        return (
            f"Queued: {job.slots.running} of {job.slots.capacity} training slots on this server are busy — "
            f"{ahead} ahead of you. It starts by itself."
        )
    if job.status == JobStatus.RUNNING:
        step = job.last("step")
        if step is None:
            if job.on_ray:
                return "Preparing on the Ray cluster: waiting for a node with free CPUs, then tokenising…"
            return "Preparing: tokenising and building the model…"
        return (
            f"Training: {step['progress']:.0%} · ETA {fmt_seconds(step['eta_s'])} · "
            f"{step['tokens_per_s']:,.0f} tokens/s" + (f" · {_ray_node(job)}" if job.on_ray else "")
        )
    if job.status == JobStatus.FAILED:
        return "Failed: " + md_escape(job.error or "unknown error")
    end = job.last("end") or {}
    return f"{'Finished' if job.status == JobStatus.DONE else 'Stopped'} after {fmt_seconds(end.get('elapsed_s'))}" + (
        f" ({md_escape(job.stop_reason)})" if job.status == JobStatus.STOPPED and job.stop_reason else ""
    )
