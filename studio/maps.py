"""Latent maps: the corpus encoded, projected (PCA/t-SNE) and clustered, cached per model and corpus;
and the plain arithmetic of the Latent space page (search, selection, neighbour queries)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from studio import path_chart
from studio.messages import md_escape
from studio.models import active_model_id
from studio.projections import MAP_POINT_CAP, PROJECTIONS, tsne
from textvae.errors import TextVAEError

if TYPE_CHECKING:
    import pandas as pd

    from textvae import Corpus, ModelBundle, latent

TYPED_SENTENCE = "(the sentence typed above)"


@dataclass
class MapData:
    indices: np.ndarray  # positions of the mapped sentences in the corpus
    sentences: list[str]
    labels: list[str] | None
    z: np.ndarray  # posterior means, one row per mapped sentence
    capped: bool


@st.cache_data(max_entries=16, ttl=3600, show_spinner="Encoding sentences…")
def _encode(model_id: str, corpus_id: str, cap: int, _bundle: ModelBundle, _corpus: Corpus) -> MapData:
    from textvae import latent

    idx = latent.map_sample(len(_corpus), cap)
    sentences = [_corpus.sentences[i] for i in idx]
    labels = [_corpus.labels[i] for i in idx] if _corpus.labels is not None else None
    z = latent.encode_corpus(_bundle.model, _bundle.tokenizer, sentences)
    return MapData(idx, sentences, labels, z, len(_corpus) > cap)


def encoded(
    bundle: ModelBundle, corpus: Corpus, corpus_id: str, cap: int = MAP_POINT_CAP, model_id: str | None = None
) -> MapData:
    """The corpus's codes (at most ``cap`` sentences), cached per model and corpus; ``model_id`` for callers
    outside a session (the warm-up), else the session's active model."""
    return _encode(model_id or active_model_id(), corpus_id, cap, bundle, corpus)


def _projection(
    model_id: str, corpus_id: str, cap: int, method: str, dims: int, z: np.ndarray, progress=None
) -> latent.Projection:
    from textvae import latent

    return PROJECTIONS.get_or_compute(
        (model_id, corpus_id, cap, method, dims), lambda: latent.project(z, method, dims, seed=0, progress=progress)
    )


def projection(
    data: MapData, corpus_id: str, method: str, dims: int, cap: int = MAP_POINT_CAP, axis: tuple[str, str] | None = None
) -> latent.Projection:
    """PCA, t-SNE or (with ``axis``, two labels) the label axis of the encoded corpus. A t-SNE map not computed
    yet is started in the background and PCA is returned meanwhile: ``tsne_progress`` says how far it is."""
    if axis is not None:
        return axis_projection(data, corpus_id, dims, cap, *axis)
    key = (active_model_id(), corpus_id, cap, method, dims)
    found = PROJECTIONS.get(key)
    if found is not None:
        return found
    if method == "tsne":
        if problem := PROJECTIONS.failure(key):
            raise TextVAEError(f"The t-SNE map could not be computed ({problem}); the PCA map works.")
        z = data.z
        PROJECTIONS.start(key, lambda progress: tsne(z, dims, progress))
        key = (*key[:3], "pca", dims)
    return _projection(*key, data.z)


def tsne_progress(corpus_id: str, dims: int, cap: int = MAP_POINT_CAP) -> float | None:
    """How far the background t-SNE map of the active model and this corpus is, or None (done or not asked)."""
    return PROJECTIONS.progress((active_model_id(), corpus_id, cap, "tsne", dims))


@st.fragment(run_every=1.0)
def tsne_refining(corpus_id: str, dims: int, cap: int) -> None:
    """While the t-SNE map computes in the background: its progress; when it is ready, the page again (with it)."""
    fraction = tsne_progress(corpus_id, dims, cap)
    if fraction is None:
        st.rerun()
    st.progress(
        fraction,
        text=f"t-SNE is computing in the background: {fraction:.0%}. The PCA map is shown "
        "meanwhile; the map changes by itself when t-SNE is ready (only the first time for this model and corpus).",
    )


@st.cache_data(max_entries=32, ttl=3600, show_spinner="Clustering…")
def clusters(model_id: str, corpus_id: str, cap: int, k: int, _z: np.ndarray) -> latent.ClusterSummary:
    from textvae import latent

    return latent.cluster_summary(_z, k, seed=0)


@st.cache_data(max_entries=32, ttl=3600, show_spinner="Naming the clusters…")
def cluster_words(
    model_id: str, corpus_id: str, cap: int, k: int, _sentences: list[str], _clusters: np.ndarray
) -> list[list[str]]:
    """Each cluster's most distinctive words (textvae.cluster_labels), for the legend and the summary."""
    from textvae.cluster_labels import cluster_keywords

    return cluster_keywords(_sentences, _clusters, k)


def axis_projection(data: MapData, corpus_id: str, dims: int, cap: int, source: str, target: str) -> latent.Projection:
    """A map whose x axis runs from ``source``'s mean code (0) to ``target``'s (1); the other axes: PCA of the rest."""
    from textvae.steering import attribute_direction, direction_projection

    key = (active_model_id(), corpus_id, cap, f"axis:{source}>{target}", dims)
    return PROJECTIONS.get_or_compute(
        key, lambda: direction_projection(data.z, attribute_direction(data.z, data.labels, source, target), dims)
    )


def warm_map(model_id: str, corpus_id: str, bundle: ModelBundle, corpus: Corpus) -> None:
    """Compute (into the caches) what the Latent space page shows first: the PCA map and 8 named clusters."""
    data = _encode(model_id, corpus_id, MAP_POINT_CAP, bundle, corpus)
    _projection(model_id, corpus_id, MAP_POINT_CAP, "pca", 2, data.z, None)
    summary = clusters(model_id, corpus_id, MAP_POINT_CAP, 8, data.z)
    cluster_words(model_id, corpus_id, MAP_POINT_CAP, 8, data.sentences, summary.labels)


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def grey_dots(
    model_id: str, corpus_id: str, _data: MapData, _proj: latent.Projection, points: int = 600
) -> pd.DataFrame:
    """The corpus as grey dots under an interpolation path, chosen once per model and corpus."""
    from textvae import latent

    shown = latent.map_sample(len(_data.sentences), points)
    return path_chart.grey_dots(_proj.coords[shown], [_data.sentences[i] for i in shown])


# ---------------------------------------------------------------- the page's arithmetic (plain functions)


def search_mask(sentences: list[str], query: str) -> np.ndarray | None:
    """Which sentences contain ``query`` (case-insensitive); None for a blank query (nothing to highlight)."""
    needle = query.strip().lower()
    if not needle:
        return None
    return np.fromiter((needle in s.lower() for s in sentences), dtype=bool, count=len(sentences))


TYPED = -1  # the neighbour picker's option for the typed sentence (not a map row)


def neighbour_choices(count: int, central: list[int], typed: bool, limit: int = 2000) -> list[int]:
    """The neighbour picker's options, as map rows: the typed sentence (``TYPED``) when there is one, then the
    clusters' most central sentences (``central``, in the order given), then the first ``limit`` of the ``count``
    mapped sentences. A corpus's first sentences are often a title page or a dedication: a central one says more."""
    rows = list(dict.fromkeys([*central, *range(min(count, limit))]))
    return [TYPED, *rows] if typed else rows


def neighbour_query(choice: int, z: np.ndarray, typed_z: np.ndarray | None) -> tuple[np.ndarray, int | None]:
    """(code to search from, map row to leave out) for an option of neighbour_choices()."""
    if choice == TYPED:  # with no typed sentence (it was cleared), the first row
        return (typed_z, None) if typed_z is not None else (z[0], 0)
    return z[choice], choice


def map_note(data: MapData, total: int, proj: latent.Projection, dims: int, axis: tuple[str, str] | None) -> str:
    """The line under the map's controls: how many sentences, and what the axes mean."""
    note = f"{len(data.sentences):,} sentences" + (
        f" (a random sample of {total:,}; raise “Max points” to see more)" if data.capped else ""
    )
    if proj.explained_variance:
        note += f" · the {dims} PCA axes explain {sum(proj.explained_variance):.0%} of the variance of z"
    if axis is not None:
        source, target = (md_escape(label) for label in axis)
        note += f" · x: from the average “{source}” code (0) to the average “{target}” code (1); y: PCA of the rest"
    return note


def map_colours(
    color_by: str, data: MapData, cluster_labels: np.ndarray, cluster_names: list[str]
) -> tuple[list, str, str]:
    """(colour values, "category" or "number", legend title) for colouring the map by cluster (named "3: food,
    waiter, service"), label or length."""
    if color_by == "cluster":
        return [cluster_names[c] for c in cluster_labels], "category", "cluster: top words"
    if color_by == "label":
        return data.labels, "category", "label"
    return [len(s.split()) for s in data.sentences], "number", "words"
