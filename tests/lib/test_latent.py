import numpy as np
import pytest

from textvae import TextVAEError, latent
from textvae.latent import cluster_summary, encode_corpus, nearest_neighbors, project


@pytest.fixture(scope="module")
def z(trained):
    bundle, _, corpus = trained
    return encode_corpus(bundle.model, bundle.tokenizer, corpus.sentences[:200])


def test_encode_corpus_gives_one_mean_per_sentence(z, trained):
    bundle, _, _ = trained
    assert z.shape == (200, bundle.config.latent_dim) and np.isfinite(z).all()


@pytest.mark.parametrize("dims", [2, 3])
def test_pca_projects_and_places_new_points_consistently(z, dims):
    proj = project(z, "pca", dims)
    assert proj.coords.shape == (200, dims) and len(proj.explained_variance) == dims
    assert np.allclose(proj.transform(z[:5]), proj.coords[:5], atol=1e-4)


def test_tsne_projects_and_reports_progress(z):
    seen = []
    proj = project(z[:120], "tsne", 2, perplexity=10, progress=seen.append)
    assert proj.coords.shape == (120, 2) and seen[-1] == 1.0
    assert proj.transform(z[:3]).shape == (3, 2)


def test_cluster_representatives_belong_to_their_cluster(z):
    summary = cluster_summary(z, k=5)
    assert sum(summary.sizes) == 200 and len(summary.representatives) == 5
    assert all(summary.labels[rep] == c for c, rep in enumerate(summary.representatives))


def test_nearest_neighbours_exclude_the_query_itself(z):
    hits = nearest_neighbors(z, z[0], k=3, exclude=0)
    assert len(hits) == 3 and 0 not in [i for i, _ in hits] and hits[0][1] <= hits[1][1]
    assert nearest_neighbors(z, z[0], k=1)[0][0] == 0


def test_bad_projection_requests_are_refused(z):
    with pytest.raises(TextVAEError):
        project(z, "umap")
    with pytest.raises(TextVAEError):
        project(z[:2], "pca")


def test_map_sample_caps_and_sorts():
    assert latent.map_sample(5, 10).tolist() == [0, 1, 2, 3, 4]
    picked = latent.map_sample(1000, 10)
    assert len(picked) == 10 and picked.tolist() == sorted(set(picked.tolist()))
