"""The server's map projections (PCA, t-SNE), shared by every session: keyed by model, corpus, point cap, method
and dimensions. A t-SNE map computes in the background, started when the map asks for it or right after a model
becomes active (``start_tsne``), so it is ready when someone opens the map. Not an st.cache_*: t-SNE reports its
progress, which a cached function must not draw (see studio.computed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from studio.computed import SharedResults

if TYPE_CHECKING:
    from textvae import Corpus, ModelBundle, latent

MAP_POINT_CAP = 5000  # sentences on a map: more is slow to draw and to project
PROJECTIONS: SharedResults[latent.Projection] = SharedResults(max_entries=12)


def tsne(z: np.ndarray, dims: int, progress) -> latent.Projection:
    from textvae import latent

    return latent.project(z, "tsne", dims, seed=0, progress=progress)


def start_tsne(model_id: str, corpus_id: str, bundle: ModelBundle, corpus: Corpus) -> None:
    """Right after a model is trained or loaded: its t-SNE map of the active corpus, in the background (encoding
    included), so the map is ready when someone asks for it."""
    from textvae import latent

    def compute(progress) -> latent.Projection:
        sentences = [corpus.sentences[i] for i in latent.map_sample(len(corpus), MAP_POINT_CAP)]
        return tsne(latent.encode_corpus(bundle.model, bundle.tokenizer, sentences), 2, progress)

    PROJECTIONS.start((model_id, corpus_id, MAP_POINT_CAP, "tsne", 2), compute)
