"""The ELBO and the tricks that keep a text VAE from ignoring z (posterior collapse).

-ELBO = E_q[-log p(x|z)] + beta * KL(q(z|x) || N(0, I)), per sentence, in nats.
The schedule of beta over training is in :mod:`textvae.schedules`.
"""

from __future__ import annotations

from torch import Tensor


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
