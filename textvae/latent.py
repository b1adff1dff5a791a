"""The latent space as a map: posterior means of a corpus, projected to 2D/3D with PCA or
t-SNE (openTSNE, which can also place new points), k-means summaries, nearest neighbours.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .data import encode_sentences
from .errors import TextVAEError
from .evaluation import posterior_stats
from .model import SentenceVAE
from .tokenizer import TextTokenizer


def map_sample(n: int, cap: int, seed: int = 0) -> np.ndarray:
    """Which of ``n`` sentences a map shows when it shows at most ``cap``: a seeded sample, in corpus order."""
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, cap, replace=False))


def encode_corpus(
    model: SentenceVAE, tokenizer: TextTokenizer, sentences: list[str], batch_size: int = 512
) -> np.ndarray:
    """Posterior means E_q[z|x], one row per sentence, in input order."""
    if not sentences:
        raise TextVAEError("There are no sentences to encode.")
    mu, _ = posterior_stats(model, encode_sentences(tokenizer, sentences, model.config.max_length), batch_size)
    return mu.numpy()


@dataclass
class Projection:
    """2D/3D coordinates for each encoded sentence, and a way to place new points on the same map."""

    method: str
    coords: np.ndarray  # (N, dims)
    explained_variance: list[float] | None
    _fitted: object

    def transform(self, z: np.ndarray) -> np.ndarray:
        z = np.atleast_2d(np.asarray(z, dtype=np.float64 if self.method == "tsne" else np.float32))
        return np.asarray(self._fitted.transform(z))


# t-SNE settings, measured on 5,000 points of 32 dimensions (8 clusters), 2 threads, 2026-11-30: Barnes-Hut with
# theta 0.8 and 250 + 300 iterations took 9.5 s against 31.8 s for the FFT method with 250 + 500 on one thread, at
# nearly the same KL divergence (2.27 against 2.25). The FFT method slows down as the embedding spreads out.
# 2026-12-01: 100 + 150 iterations (PCA start, openTSNE's learning rate n / exaggeration, as in opt-SNE, Belkina et
# al. 2019) keep the same neighbourhoods as 250 + 300 (10-NN recall 0.465 vs 0.468 on the demo model's 5,000 SNLI
# codes, 0.247 vs 0.250 on the base model's codes of 5,000 Frankenstein lines; KL 1.5 % higher) in 55 % of the time.
TSNE_EARLY_ITERATIONS = 100  # early exaggeration
TSNE_ITERATIONS = 150  # after it
# Exact nearest neighbours for the affinities up to this many points (the map's most): 0.3 s for 5,000 against
# 1.75 s for Annoy's approximate ones (openTSNE's choice above 1,000 points), 2.5 s for 20,000 against 8.7 s.
TSNE_EXACT_NEIGHBOURS = 20_000
TSNE_THETA = 0.8


def project(
    z: np.ndarray,
    method: str = "pca",
    dims: int = 2,
    seed: int = 0,
    perplexity: float = 30.0,
    progress: Callable[[float], None] | None = None,
) -> Projection:
    """PCA (instant, linear, distances meaningful) or t-SNE (slower, keeps neighbourhoods)."""
    from sklearn.decomposition import PCA

    if dims not in (2, 3):
        raise TextVAEError("The map has 2 or 3 dimensions.")
    n = len(z)
    if n < 3:
        raise TextVAEError("A map needs at least 3 sentences.")
    if method == "pca":
        dims_eff = min(dims, z.shape[1], n)
        pca = PCA(n_components=dims_eff, random_state=seed).fit(z)
        coords = pca.transform(z)
        if dims_eff < dims:
            coords = np.pad(coords, ((0, 0), (0, dims - dims_eff)))
        return Projection("pca", coords, pca.explained_variance_ratio_.tolist(), pca)
    if method == "tsne":
        from openTSNE import TSNE

        perplexity = float(min(perplexity, max(2.0, (n - 1) / 3)))
        n_iter = TSNE_ITERATIONS
        callbacks = None
        if progress is not None:
            total = TSNE_EARLY_ITERATIONS + n_iter

            class _Progress:
                done = 0

                def __call__(self, iteration, error, embedding):  # openTSNE callback signature
                    self.done += 50
                    progress(min(1.0, self.done / total))
                    return False

            callbacks = _Progress()
        tsne = TSNE(
            n_components=dims,
            perplexity=perplexity,
            random_state=seed,
            n_jobs=min(2, os.cpu_count() or 1),
            n_iter=n_iter,
            early_exaggeration_iter=TSNE_EARLY_ITERATIONS,
            neighbors="exact" if n <= TSNE_EXACT_NEIGHBOURS else "auto",
            negative_gradient_method="bh",
            theta=TSNE_THETA,
            callbacks=callbacks,
            callbacks_every_iters=50,
            verbose=False,
        )
        embedding = tsne.fit(np.asarray(z, dtype=np.float64))
        if progress is not None:
            progress(1.0)
        return Projection("tsne", np.asarray(embedding), None, embedding)
    raise TextVAEError(f"Projection method must be 'pca' or 'tsne', not {method!r}.")


@dataclass
class ClusterSummary:
    labels: np.ndarray  # cluster of each sentence
    representatives: list[int]  # index of the sentence nearest each centre
    sizes: list[int]


def cluster_summary(z: np.ndarray, k: int = 8, seed: int = 0) -> ClusterSummary:
    """k-means on the latent means; each cluster is summarised by its most central sentence."""
    from sklearn.cluster import KMeans

    k = max(1, min(k, len(z)))
    km = KMeans(n_clusters=k, random_state=seed, n_init=4).fit(z)
    reps = [
        int(np.argmin(np.where(km.labels_ == c, np.linalg.norm(z - km.cluster_centers_[c], axis=1), np.inf)))
        for c in range(k)
    ]
    return ClusterSummary(km.labels_, reps, np.bincount(km.labels_, minlength=k).tolist())


def nearest_neighbors(
    z: np.ndarray, query: np.ndarray, k: int = 10, exclude: int | None = None
) -> list[tuple[int, float]]:
    """Indices of the k rows of z closest to query (Euclidean, as the posterior means are compared), with distances."""
    dist = np.linalg.norm(z - np.asarray(query).reshape(1, -1), axis=1)
    if exclude is not None:
        dist[exclude] = np.inf
    order = np.argsort(dist)[: min(k, len(z))]
    return [(int(i), float(dist[i])) for i in order if np.isfinite(dist[i])]


@dataclass
class LatentMap:
    """A corpus on the map: the sentences shown, their coordinates and clusters (the app's map, as data)."""

    indices: np.ndarray  # positions of the mapped sentences in the corpus
    sentences: list[str]
    labels: list[str] | None
    coords: np.ndarray  # one row per sentence, 2 or 3 columns
    clusters: np.ndarray  # k-means cluster of each sentence (on z, not on the coordinates)

    def cluster_keywords(self) -> list[list[str]]:
        """Each cluster's most distinctive words (textvae.cluster_labels), for the legend and the CSV."""
        from .cluster_labels import cluster_keywords

        return cluster_keywords(self.sentences, self.clusters, int(np.max(self.clusters)) + 1)


def latent_map(
    model: SentenceVAE,
    tokenizer: TextTokenizer,
    sentences: list[str],
    labels: list[str] | None = None,
    method: str = "pca",
    dims: int = 2,
    limit: int = 5000,
    k: int = 8,
    seed: int = 0,
) -> LatentMap:
    """Encode (a seeded sample of at most ``limit``) sentences, lay them out and cluster them, as the app does."""
    idx = map_sample(len(sentences), limit, seed)
    chosen = [sentences[i] for i in idx]
    z = encode_corpus(model, tokenizer, chosen)
    proj = project(z, method, dims, seed=seed)
    summary = cluster_summary(z, min(k, len(chosen)), seed=seed)
    return LatentMap(idx, chosen, [labels[i] for i in idx] if labels is not None else None, proj.coords, summary.labels)
