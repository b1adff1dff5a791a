"""Autoencoder against VAE: one corpus, one model size, trained briefly with KL weight 0 and with the VAE objective.

The teaching point (Bowman et al. 2016, section 4): an autoencoder places each sentence where it likes, leaving
holes between them, so a code drawn from the prior N(0, I) decodes to nonsense; the VAE's KL term pulls the codes
into the prior's region, so random points decode to sentences. Both start from scratch with the default preset's
sizes and tokenizer and differ only in the KL weight. ``prior_fit`` puts a number on the holes, and
``well_formed_share`` on what the decoder makes of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .config import TokenizerConfig, TrainConfig
from .presets import DEFAULT_PRESET, PRESETS
from .word_guard import is_unspaced

KINDS = ("autoencoder", "vae")
MINUTES = 0.75  # each: long enough for a readable VAE on a few thousand sentences, short enough for a class
# KL weight 0 from the first step; free bits only act through the KL term, so they go too.
AUTOENCODER = {"kl_schedule": "constant", "beta_max": 0.0, "free_bits": 0.0}
RANDOM_POINTS = 200  # prior points decoded to count the well-formed ones
SENTENCE_ENDS = frozenset(".!?…。！？")
CLOSERS = "\"'”’»)]」』"  # may follow a sentence's last mark
LOOP = {"words": 3, "characters": 4}  # a run of this many words (characters, without spaces) written twice: a loop
_WORD = re.compile(r"\w+")


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


def well_formed(sentence: str) -> bool:
    """A decoding that reads as a finished sentence: it ends with a sentence mark (closing quotes or brackets may
    follow) and writes no run of 3 words twice (4 characters in a script without spaces). A decoder lost in a hole
    of its latent space loops ("a man a man a man") or runs on to its length limit."""
    text = sentence.strip().rstrip(CLOSERS).rstrip()
    if not text or text[-1] not in SENTENCE_ENDS:
        return False
    if any(map(is_unspaced, text)):
        units, n = [c for c in text if c.isalnum()], LOOP["characters"]
    else:
        units, n = _WORD.findall(text.lower()), LOOP["words"]
    runs = [tuple(units[i : i + n]) for i in range(len(units) - n + 1)]
    return len(runs) == len(set(runs))


def well_formed_share(decoded: Iterable[str]) -> float:
    """The share of ``decoded`` sentences (random prior points, decoded with no display guard) that are well formed."""
    decoded = list(decoded)
    return sum(map(well_formed, decoded)) / max(1, len(decoded))
