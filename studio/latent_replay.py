"""The latent space forming: the live map on the Train page, and the replay of a finished model's training.

Both draw the probe sentences' posterior means (``textvae.latent_history``) in one shared projection, coloured
by their k-means clusters at the moment the cloud was most spread (at the end, a collapsed model has none).

The Train page redraws the live map every second while a model trains, and new frames arrive only every few
steps: the figure of the frames seen last is kept (per server, a few of them), so a redraw without a new frame
costs no clustering (about 0.4 s of the server's CPU on 500 sentences) and no figure building.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from collections import OrderedDict

import numpy as np
import streamlit as st

from studio import figures

CLUSTERS = 6
KEPT_FIGURES = 8  # the live maps of a few trainings watched at once, and a replay or two
_figures: OrderedDict[tuple, object] = OrderedDict()
_figures_lock = threading.Lock()
CAPTION = (
    "Each point is a held-out sentence's code (its posterior mean), drawn in one projection for every step, "
    "the **×** marks the origin. With KL annealing, free bits or BN-VAE the cloud spreads and keeps its clusters; "
    "without them it can fall onto the origin: posterior collapse, the decoder ignoring z."
)


def _colours(frames: np.ndarray) -> np.ndarray:
    from textvae.latent import cluster_summary

    widest = frames[int(np.argmax(frames.var(axis=1).sum(axis=1)))]
    with warnings.catch_warnings():  # identical points (a collapsed frame) make k-means warn
        warnings.simplefilter("ignore")
        return cluster_summary(widest, k=min(CLUSTERS, len(widest)), seed=0).labels


def latent_replay(steps: list[int], frames: np.ndarray, sentences: list[str], animate: bool, key: str) -> None:
    """Draw the frames (snapshots x sentences x latent_dim); ``animate`` adds play / pause and a scrubber."""
    from textvae.latent_history import project_frames

    frames = np.asarray(frames, dtype=np.float32)
    digest = hashlib.sha1(frames.tobytes()).hexdigest()
    signature = (digest, frames.shape, tuple(steps), len(sentences), sentences[0] if sentences else "", animate)
    with _figures_lock:
        fig = _figures.get(signature)
        if fig is not None:
            _figures.move_to_end(signature)
    if fig is None:
        fig = figures.latent_frames_figure(steps, project_frames(frames), sentences, _colours(frames), animate)
        with _figures_lock:
            _figures[signature] = fig
            while len(_figures) > KEPT_FIGURES:
                _figures.popitem(last=False)
    st.plotly_chart(fig, width="stretch", key=key)
    st.caption(CAPTION)


def frames_from_events(events: list[dict]) -> tuple[list[int], np.ndarray, list[str]] | None:
    """(steps, frames, sentences) from a job's latent events, or None before the first one."""
    latent = [e for e in events if e["type"] == "latent"]
    if not latent or "sentences" not in latent[0]:
        return None
    by_step = {e["step"]: e["means"] for e in latent}  # the end's frame (the kept weights) replaces its step's
    return list(by_step), np.stack(list(by_step.values())), latent[0]["sentences"]
