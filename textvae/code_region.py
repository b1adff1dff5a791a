"""Where a corpus's sentences lie in the latent space: a Gaussian fitted to their codes, to sample from instead of
the prior.

A VAE's generative story draws z from the prior N(0, I). After a minute of fine-tuning, the corpus's codes do not
fill the whole prior, and codes far from them still decode as the base model's other texts (captions, news): the
"holes" of the aggregate posterior. The aggregate posterior q(z) = mean over sentences of q(z|x) has the mean of
their posterior means and, by the law of total covariance, the covariance of those means plus their mean posterior
variance; a Gaussian with these two moments samples where the corpus's sentences are. Measured in
benchmarks/README.md ("Samples where your sentences are").
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .data import encode_sentences
from .errors import TextVAEError
from .evaluation import posterior_stats
from .latent import map_sample
from .model import SentenceVAE
from .tokenizer import TextTokenizer

# the codes of at most this many sentences (a seeded sample) estimate the region: enough for a 32 x 32 covariance
FIT_LIMIT = 5000


@dataclass(frozen=True)
class CodeRegion:
    """N(mean, scale @ scale.T) in the latent space, fitted to the codes of ``sentences`` sentences."""

    mean: Tensor  # (D,)
    scale: Tensor  # (D, D), lower triangular
    sentences: int

    def draw(self, eps: Tensor) -> Tensor:
        """Codes for standard normal draws ``eps`` (N, D): the same draws give paired prior and region samples."""
        return self.mean.to(eps) + eps @ self.scale.to(eps).T


def fit_region(mu: Tensor, logvar: Tensor) -> CodeRegion:
    """The Gaussian with the aggregate posterior's mean and covariance, from posterior means and log-variances
    (N, D) of N >= 2 sentences."""
    if mu.dim() != 2 or mu.shape != logvar.shape or len(mu) < 2:
        raise TextVAEError("Fitting where the sentences lie needs the codes of at least two sentences.")
    mu, logvar = mu.double(), logvar.double()
    covariance = torch.cov(mu.T, correction=0).reshape(mu.size(1), mu.size(1)) + torch.diag(logvar.exp().mean(0))
    # a tiny ridge keeps the factorisation defined when the codes barely vary in some direction
    scale = torch.linalg.cholesky(covariance + 1e-6 * torch.eye(mu.size(1), dtype=torch.float64))
    return CodeRegion(mu.mean(0).float(), scale.float(), len(mu))


def corpus_region(
    model: SentenceVAE, tokenizer: TextTokenizer, sentences: list[str], limit: int = FIT_LIMIT
) -> CodeRegion:
    """``fit_region`` of the codes of ``sentences`` (when there are more than ``limit``, the seeded sample the
    latent map shows)."""
    if len(sentences) < 2:
        raise TextVAEError("Sampling where the corpus's sentences lie needs a corpus of at least two sentences.")
    chosen = [sentences[i] for i in map_sample(len(sentences), limit)]
    mu, logvar = posterior_stats(model, encode_sentences(tokenizer, chosen, model.config.max_length))
    return fit_region(mu, logvar)
