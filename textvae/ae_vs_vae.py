"""Autoencoder against VAE: one corpus, one model size, trained briefly with KL weight 0 and with the VAE objective.

The teaching point (Bowman et al. 2016, section 4): an autoencoder places each sentence where it likes, leaving
holes between them, so a code drawn from the prior N(0, I) decodes to nonsense; the VAE's KL term pulls the codes
into the prior's region, so random points decode to sentences. Both start from scratch with the default preset's
sizes and tokenizer and differ only in the KL weight. ``prior_fit`` puts a number on the holes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import TokenizerConfig, TrainConfig
from .presets import DEFAULT_PRESET, PRESETS

KINDS = ("autoencoder", "vae")
MINUTES = 0.75  # each: long enough for a readable VAE on a few thousand sentences, short enough for a class
# KL weight 0 from the first step; free bits only act through the KL term, so they go too.
AUTOENCODER = {"kl_schedule": "constant", "beta_max": 0.0, "free_bits": 0.0}


def settings(kind: str, seed: int = 0) -> tuple[dict, TrainConfig, TokenizerConfig]:
    """The model, training and tokenizer settings of one side (``kind``: autoencoder or vae)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    preset = PRESETS[DEFAULT_PRESET]
    training = {**preset.training, "max_minutes": MINUTES, "patience": None, "seed": seed}
    if kind == "autoencoder":
        training.update(AUTOENCODER)
    return dict(preset.model), TrainConfig(**training), TokenizerConfig(**preset.tokenizer)


@dataclass
class PriorFit:
    """How well the codes fill the prior: the KL of the posteriors from N(0, I), and how far random prior
    points fall from the nearest sentence's code compared with how far sentences are from each other."""

    kl: float  # mean KL(q(z|x) || N(0, I)) per sentence, nats
    gap_ratio: float  # median distance from a prior sample to its nearest code / median code-to-code nearest

    def describe(self) -> str:
        return (
            f"KL from the prior {self.kl:,.1f} nats a sentence; a random point lies {self.gap_ratio:.1f}x as far "
            "from the nearest sentence's code as sentences lie from each other"
        )


def prior_fit(mu: np.ndarray, logvar: np.ndarray, seed: int = 0, samples: int = 500) -> PriorFit:
    """PriorFit of posterior means ``mu`` and log-variances ``logvar`` (sentences x latent_dim)."""
    mu, logvar = np.asarray(mu, dtype=np.float64), np.asarray(logvar, dtype=np.float64)
    kl = float(np.mean(0.5 * np.sum(mu**2 + np.exp(logvar) - 1.0 - logvar, axis=1)))
    z = np.random.default_rng(seed).standard_normal((samples, mu.shape[1]))
    to_codes = np.sqrt(((z[:, None, :] - mu[None, :, :]) ** 2).sum(-1)).min(1)
    between = np.sqrt(((mu[:, None, :] - mu[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(between, np.inf)
    return PriorFit(kl, float(np.median(to_codes) / max(np.median(between.min(1)), 1e-12)))
