"""Sampling where a corpus's sentences lie: the fitted Gaussian has the aggregate posterior's two moments."""

import pytest
import torch

from textvae import DecodeOptions, TextVAEError, sample_prior
from textvae.code_region import CodeRegion, corpus_region, fit_region


def test_the_region_has_the_mean_and_covariance_of_the_aggregate_posterior():
    gen = torch.Generator().manual_seed(0)
    mu = torch.randn(400, 3, generator=gen) @ torch.tensor([[1.0, 0.5, 0.0], [0.0, 0.3, 0.0], [0.0, 0.0, 0.1]])
    mu += torch.tensor([2.0, -1.0, 0.5])
    logvar = torch.randn(400, 3, generator=gen) * 0.2 - 1.0
    region = fit_region(mu, logvar)
    expected = torch.cov(mu.T, correction=0) + torch.diag(logvar.exp().mean(0))
    assert torch.allclose(region.mean, mu.mean(0), atol=1e-6)
    assert torch.allclose(region.scale @ region.scale.T, expected, atol=1e-4)
    assert torch.equal(region.scale, region.scale.tril()) and region.sentences == 400
    # draws from it: the same moments, estimated
    z = region.draw(torch.randn(200_000, 3, generator=gen))
    assert torch.allclose(z.mean(0), region.mean, atol=0.02)
    assert torch.allclose(torch.cov(z.T), expected, atol=0.02)


def test_collapsed_dimensions_still_give_a_region():
    mu = torch.zeros(10, 4)  # every code the same: only the posterior variance is left
    region = fit_region(mu, torch.zeros(10, 4))
    assert torch.allclose(region.scale @ region.scale.T, torch.eye(4), atol=1e-5)


@pytest.mark.parametrize("rows", [0, 1])
def test_fewer_than_two_codes_are_refused(rows):
    with pytest.raises(TextVAEError, match="at least two"):
        fit_region(torch.zeros(rows, 4), torch.zeros(rows, 4))


def test_a_corpus_region_samples_reproducibly_with_the_same_draws_as_the_prior(trained):
    bundle, _, corpus = trained
    model, tokenizer = bundle.model, bundle.tokenizer
    region = corpus_region(model, tokenizer, corpus.sentences, limit=50)
    assert region.sentences == 50 and region.mean.shape == (model.config.latent_dim,)
    options = DecodeOptions(method="sample", temperature=0.8)
    texts, z = sample_prior(model, tokenizer, 6, options, seed=3, region=region)
    again, z_again = sample_prior(model, tokenizer, 6, options, seed=3, region=region)
    _, prior_z = sample_prior(model, tokenizer, 6, options, seed=3)
    assert texts == again and torch.equal(z, z_again)
    assert torch.allclose(z, region.draw(prior_z), atol=1e-6)  # the prior's draws, mapped into the region


def test_a_region_of_another_size_is_refused(trained):
    bundle, _, _ = trained
    wrong = CodeRegion(
        torch.zeros(bundle.model.config.latent_dim + 1), torch.eye(bundle.model.config.latent_dim + 1), 2
    )
    with pytest.raises(TextVAEError, match="dimensions"):
        sample_prior(bundle.model, bundle.tokenizer, 2, region=wrong)


def test_a_corpus_of_one_sentence_is_refused(trained):
    bundle, _, _ = trained
    with pytest.raises(TextVAEError, match="at least two sentences"):
        corpus_region(bundle.model, bundle.tokenizer, ["One sentence."])
