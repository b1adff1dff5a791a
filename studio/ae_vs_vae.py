"""The AE vs VAE page's work: two short trainings in worker processes, their results shared by every session
on the same corpus and seed (a class sees them at once after the first run), and what each model makes of z."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from studio.runtime import ensure_library

if TYPE_CHECKING:
    from textvae import Corpus, ModelBundle
    from textvae.ae_vs_vae import PriorFit
    from textvae.jobs import TrainingJob

SESSION_KEY = "ae_vs_vae"
KEPT_RESULTS = 4  # corpora whose pair of models this server keeps in memory
MAP_SENTENCES = 1000
PRIOR_POINTS = 6  # shown of the random points


@st.cache_resource
def _shared() -> dict[tuple[str, int], dict[str, ModelBundle]]:
    """Finished pairs by (corpus id, seed), for every session of this server (oldest dropped first)."""
    return {}


def start(corpus: Corpus, corpus_id: str, seed: int) -> None:
    """Start both trainings for this session (they queue for the server's training slots like any other)."""
    from textvae.ae_vs_vae import KINDS, settings
    from textvae.jobs import TrainingJob

    ensure_library()
    stop_jobs()
    jobs = {}
    for kind in KINDS:
        model, training, tokenizer = settings(kind, seed)
        jobs[kind] = TrainingJob(corpus, model=model, training=training, tokenizer=tokenizer, name=kind)
    st.session_state[SESSION_KEY] = {"key": (corpus_id, seed), "jobs": jobs}
    for job in jobs.values():
        job.start()


def stop_jobs() -> None:
    for job in (st.session_state.get(SESSION_KEY) or {}).get("jobs", {}).values():
        if job.active:
            job.stop("replaced by a new comparison")


def running_jobs(corpus_id: str, seed: int) -> dict[str, TrainingJob] | None:
    """This session's jobs for this corpus and seed, or None."""
    mine = st.session_state.get(SESSION_KEY)
    return mine["jobs"] if mine and mine["key"] == (corpus_id, seed) else None


def results(corpus_id: str, seed: int) -> dict[str, ModelBundle] | None:
    """Both finished models, from this server's shared results or this session's finished jobs."""
    shared = _shared()
    if (corpus_id, seed) in shared:
        return shared[(corpus_id, seed)]
    jobs = running_jobs(corpus_id, seed)
    if not jobs or not all(job.finished and job.result is not None for job in jobs.values()):
        return None
    pair = {kind: job.result for kind, job in jobs.items()}
    while len(shared) >= KEPT_RESULTS:
        shared.pop(next(iter(shared)))
    shared[(corpus_id, seed)] = pair
    return pair


@dataclass
class View:
    coords: np.ndarray  # the corpus sentences on a 2-D PCA map of this model's z
    sentences: list[str]
    prior_coords: np.ndarray  # random prior points on the same map
    prior_texts: list[str]  # what the decoder makes of them
    fit: PriorFit
    well_formed: float  # share of the random points whose decoding reads as a finished sentence
    random_points: int  # how many were decoded


@st.cache_data(show_spinner="Encoding the corpus and decoding random points…", max_entries=16, ttl=3600)
def view(corpus_id: str, seed: int, kind: str, _bundle: ModelBundle, _sentences: list[str]) -> View:
    """One model's map, random prior points decoded greedily (the first few shown, all counted), and how well its
    codes fill the prior. The display guards stay off (as for metrics): they would dress the autoencoder's nonsense
    as sentences, hiding the point."""
    from textvae.ae_vs_vae import RANDOM_POINTS, prior_fit, well_formed_share
    from textvae.data import encode_sentences
    from textvae.evaluation import posterior_stats
    from textvae.generation import UNGUARDED, DecodeOptions, sample_prior
    from textvae.latent import map_sample, project

    rows = map_sample(len(_sentences), MAP_SENTENCES, seed)
    sentences = [_sentences[i] for i in rows]
    ids = encode_sentences(_bundle.tokenizer, sentences, _bundle.config.max_length)
    mu, logvar = (t.numpy() for t in posterior_stats(_bundle.model, ids))
    projection = project(mu, "pca", 2, seed)
    options = DecodeOptions(method="greedy", **{**UNGUARDED, "tidy": True})
    texts, z = sample_prior(_bundle.model, _bundle.tokenizer, RANDOM_POINTS, options, seed)
    shown = projection.transform(z[:PRIOR_POINTS].numpy())
    return View(
        projection.coords,
        sentences,
        shown,
        texts[:PRIOR_POINTS],
        prior_fit(mu, logvar, seed),
        well_formed_share(texts),
        len(texts),
    )
