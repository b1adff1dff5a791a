"""The ELBO and the tricks that keep a text VAE from ignoring z (posterior collapse).

-ELBO = E_q[-log p(x|z)] + beta * KL(q(z|x) || N(0, I)), per sentence, in nats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import Tensor

from .errors import TextVAEError
from .validation import check_fields

SCHEDULES = ("constant", "linear", "logistic", "cyclical")


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """Analytic KL(N(mu, sigma^2) || N(0, 1)) per dimension, shape (B, D) (Kingma & Welling 2014, App. B)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def free_bits_kl(kl_per_dim: Tensor, free_bits: float) -> Tensor:
    """Batch-mean KL summed over dimensions, each dimension floored at ``free_bits`` nats.

    Kingma et al. 2016 (IAF), as used for text by Li et al. 2019: below the floor
    a dimension's KL costs nothing, so the optimiser has no reason to collapse it.
    """
    per_dim = kl_per_dim.mean(0)
    if free_bits > 0:
        per_dim = per_dim.clamp(min=free_bits)
    return per_dim.sum()


def negative_elbo(recon_nll: Tensor, kl_per_dim: Tensor, beta: float, free_bits: float = 0.0) -> dict[str, Tensor]:
    """Training loss and its parts, each a per-sentence mean. ``loss`` is what is minimised."""
    recon = recon_nll.mean()
    kl = kl_per_dim.sum(1).mean()
    loss = recon + beta * free_bits_kl(kl_per_dim, free_bits)
    return {"loss": loss, "recon": recon, "kl": kl, "elbo": recon + kl}


@dataclass
class BetaSchedule:
    """KL weight beta as a function of training progress in [0, 1].

    constant: beta_max. linear: 0 -> beta_max over the first ``warmup`` of training.
    logistic: Bowman et al. 2016's sigmoid, centred at ``warmup``.
    cyclical: Fu et al. 2019; ``cycles`` cycles, each rising linearly during its first ``ratio``.
    """

    kind: str = "cyclical"
    beta_max: float = 1.0
    warmup: float = 0.3
    cycles: int = 4
    ratio: float = 0.5
    steepness: float = 20.0

    def __post_init__(self) -> None:
        check_fields(self, "KL schedule setting")
        if self.kind not in SCHEDULES:
            raise TextVAEError(f"KL schedule must be one of {', '.join(SCHEDULES)}, not {self.kind!r}.")
        if not 0.0 <= self.beta_max <= 10.0:
            raise TextVAEError("beta_max must be in [0, 10].")
        if not 0.0 < self.ratio <= 1.0 or self.cycles < 1 or not 0.0 <= self.warmup <= 1.0:
            raise TextVAEError("KL schedule needs 0 < ratio <= 1, cycles >= 1 and 0 <= warmup <= 1.")
        if self.cycles > 1000 or not 0.0 < self.steepness <= 100.0:
            raise TextVAEError("KL schedule needs at most 1000 cycles and a logistic steepness in (0, 100].")

    def __call__(self, progress: float) -> float:
        t = min(max(progress, 0.0), 1.0)
        if self.kind == "constant":
            return self.beta_max
        if self.kind == "linear":
            return self.beta_max * (min(1.0, t / self.warmup) if self.warmup > 0 else 1.0)
        if self.kind == "logistic":
            return self.beta_max / (1.0 + math.exp(-self.steepness * (t - self.warmup)))
        within = (t * self.cycles) % 1.0 if t < 1.0 else 1.0
        return self.beta_max * min(1.0, within / self.ratio)
