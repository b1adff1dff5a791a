"""How good is a text VAE: ELBO, importance-weighted NLL, mutual information, active units, reconstruction.

All numbers are per sentence in nats unless named otherwise; perplexity counts every
predicted token, end-of-sentence included.
"""

from __future__ import annotations

import math

import torch

from .data import iterate_batches
from .model import SentenceVAE
from .objective import gaussian_kl
from .word_guard import is_unspaced

AU_THRESHOLD = 0.01  # Burda et al. 2016: a unit is active if Var_x(E_q[z_u]) >= 0.01


@torch.no_grad()
def posterior_stats(
    model: SentenceVAE, sequences: list[list[int]], batch_size: int = 256
) -> tuple[torch.Tensor, torch.Tensor]:
    """mu and logvar for every sequence, in input order."""
    model.eval()
    mus = torch.empty(len(sequences), model.config.latent_dim)
    logvars = torch.empty_like(mus)
    for batch in iterate_batches(sequences, batch_size):
        batch = batch.to(model.device)
        mu, logvar = model.encode(batch.tokens, batch.lengths)
        mus[batch.index.cpu()] = mu.float().cpu()
        logvars[batch.index.cpu()] = logvar.float().cpu()
    return mus, logvars


def active_units(mu: torch.Tensor, threshold: float = AU_THRESHOLD) -> int:
    return int((mu.var(0, unbiased=False) >= threshold).sum()) if len(mu) > 1 else 0


@torch.no_grad()
def elbo_metrics(model: SentenceVAE, sequences: list[list[int]], batch_size: int = 256, seed: int = 0) -> dict:
    """-ELBO, reconstruction, KL (total and per dimension) and active units, one posterior sample each."""
    model.eval()
    gen = torch.Generator(device=model.device).manual_seed(seed)
    recon_sum, kl_dims, tokens = 0.0, torch.zeros(model.config.latent_dim), 0
    mus = []
    for batch in iterate_batches(sequences, batch_size):
        batch = batch.to(model.device)
        mu, logvar = model.encode(batch.tokens, batch.lengths)
        z = model.reparameterize(mu, logvar, gen)
        recon_sum += float(model.reconstruction_nll(z, batch.dec_input, batch.target, batch.mask).sum())
        kl_dims += gaussian_kl(mu, logvar).sum(0).float().cpu()
        tokens += batch.n_predicted
        mus.append(mu.float().cpu())
    n = len(sequences)
    kl_per_dim = kl_dims / n
    recon, kl = recon_sum / n, float(kl_per_dim.sum())
    return {
        "elbo": recon + kl,
        "recon": recon,
        "kl": kl,
        "kl_per_dim": kl_per_dim.tolist(),
        "au": active_units(torch.cat(mus)),
        "ppl_elbo": math.exp(min(50.0, (recon + kl) * n / tokens)),
        "n_sentences": n,
    }


def _repeat(t: torch.Tensor, k: int) -> torch.Tensor:
    """``t`` stacked ``k`` times along the batch axis: (B, ...) -> (k * B, ...)."""
    return t.unsqueeze(0).expand(k, *t.shape).reshape(-1, *t.shape[1:])


@torch.no_grad()
def importance_weighted_nll(
    model: SentenceVAE,
    sequences: list[list[int]],
    samples: int = 500,
    batch_size: int = 64,
    chunk: int = 50,
    seed: int = 0,
) -> tuple[float, float]:
    """-log p(x) estimated with K importance samples from q(z|x) (Burda et al. 2016).

    log p(x) ~= logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log K.
    Returns (mean NLL per sentence, perplexity per predicted token).
    """
    model.eval()
    gen = torch.Generator(device=model.device).manual_seed(seed)
    total_nll, total_tokens = 0.0, 0
    log2pi = math.log(2 * math.pi)
    for batch in iterate_batches(sequences, batch_size):
        batch = batch.to(model.device)
        mu, logvar = model.encode(batch.tokens, batch.lengths)
        log_weights = []
        remaining = samples
        while remaining > 0:
            k = min(chunk, remaining)
            remaining -= k
            eps = torch.randn((k, *mu.shape), generator=gen, device=mu.device)
            z = mu + eps * torch.exp(0.5 * logvar)  # (k, B, D)
            flat = z.reshape(-1, z.size(-1))
            dec_input, target, mask = (_repeat(t, k) for t in (batch.dec_input, batch.target, batch.mask))
            log_px_z = -model.reconstruction_nll(flat, dec_input, target, mask).view(k, -1)
            log_pz = (-0.5 * (z.pow(2) + log2pi)).sum(-1)
            log_qz = (-0.5 * (eps.pow(2) + log2pi + logvar)).sum(-1)
            log_weights.append(log_px_z + log_pz - log_qz)
        log_px = torch.logsumexp(torch.cat(log_weights), dim=0) - math.log(samples)
        total_nll -= float(log_px.sum())
        total_tokens += batch.n_predicted
    n = len(sequences)
    return total_nll / n, math.exp(min(50.0, total_nll / total_tokens))


def mutual_information(mu: torch.Tensor, logvar: torch.Tensor, seed: int = 0, chunk: int = 1024) -> float:
    """I_q(x; z) = E_x E_q(z|x)[log q(z|x)] - E_q(z)[log q(z)], q(z) the aggregate posterior (He et al. 2019)."""
    n, d = mu.shape
    gen = torch.Generator().manual_seed(seed)
    neg_entropy = float((-0.5 * d * math.log(2 * math.pi) - 0.5 * (1 + logvar).sum(-1)).mean())
    z = mu + torch.randn(mu.shape, generator=gen) * torch.exp(0.5 * logvar)
    var = logvar.exp()
    log_qz = []
    for start in range(0, n, chunk):
        zc = z[start : start + chunk].unsqueeze(1)  # (c, 1, d)
        log_dens = -0.5 * (((zc - mu.unsqueeze(0)) ** 2) / var.unsqueeze(0)).sum(-1) - 0.5 * (
            d * math.log(2 * math.pi) + logvar.sum(-1)
        ).unsqueeze(0)
        log_qz.append(torch.logsumexp(log_dens, dim=1) - math.log(n))
    return neg_entropy - float(torch.cat(log_qz).mean())


def _matched_tokens(reference: list[int], decoded: list[int], eos: int) -> tuple[int, int]:
    """(tokens right, tokens in the reference), position by position, end of sentence appended to both."""
    ref, hyp = [*reference, eos], [*decoded, eos]
    return sum(1 for i, t in enumerate(ref) if i < len(hyp) and hyp[i] == t), len(ref)


def token_accuracy(reference: list[int], decoded: list[int], eos: int) -> float:
    """Position-wise share of the reference's tokens (end of sentence included) that the decoder got right."""
    correct, total = _matched_tokens(reference, decoded, eos)
    return correct / total


def reconstruction_quality(
    model: SentenceVAE, tokenizer, sequences: list[list[int]], batch_size: int = 256
) -> tuple[float, float]:
    """Greedy decoding from the posterior mean: token accuracy over all tokens (see ``token_accuracy``) and BLEU
    (over characters for text mostly in a script without spaces, where BLEU's words would be whole clauses)."""
    import sacrebleu

    from .generation import UNGUARDED, DecodeOptions, decode_latent

    mu, _ = posterior_stats(model, sequences, batch_size)
    decoded: list[list[int]] = []
    for start in range(0, len(sequences), batch_size):
        longest = max(len(s) for s in sequences[start : start + batch_size])
        decoded += decode_latent(
            model, mu[start : start + batch_size], DecodeOptions(method="greedy", max_length=longest + 1, **UNGUARDED)
        )
    correct = total = 0
    for ref, hyp in zip(sequences, decoded, strict=False):
        right, count = _matched_tokens(ref, hyp, tokenizer.eos_id)
        correct += right
        total += count
    refs = tokenizer.decode_batch(sequences)
    hyps = tokenizer.decode_batch(decoded)
    bleu = sacrebleu.corpus_bleu(hyps, [refs], tokenize=bleu_tokenizer(refs)).score
    return correct / max(total, 1), bleu


def bleu_tokenizer(texts: list[str]) -> str:
    """sacrebleu's "char" for text whose letters are mostly of scripts without spaces (Chinese, Japanese, Thai),
    else its default "13a" (words)."""
    letters = [c for text in texts for c in text if c.isalpha()]
    unspaced = sum(map(is_unspaced, letters))
    return "char" if letters and unspaced >= 0.5 * len(letters) else "13a"


def bits_per_character(nll: float, tokenizer, sequences: list[list[int]]) -> float:
    """A mean per-sentence NLL (nats) as bits per character of the text the sequences hold, one separator per
    sentence counted: comparable across tokenizers, unlike perplexity per token."""
    characters = sum(len(tokenizer.decode(ids)) + 1 for ids in sequences)
    return nll * len(sequences) / math.log(2) / max(1, characters)


def evaluate(model: SentenceVAE, tokenizer, sequences: list[list[int]], iw_samples: int = 50, seed: int = 0) -> dict:
    """Every metric the CLI's ``evaluate --json`` promises."""
    metrics = elbo_metrics(model, sequences, seed=seed)
    nll, ppl = importance_weighted_nll(model, sequences, samples=iw_samples, seed=seed)
    mu, logvar = posterior_stats(model, sequences)
    acc, bleu = reconstruction_quality(model, tokenizer, sequences)
    metrics.update(
        nll_iw=nll,
        ppl=ppl,
        bits_per_char=bits_per_character(nll, tokenizer, sequences),
        mi=mutual_information(mu, logvar, seed=seed),
        recon_token_acc=acc,
        bleu=bleu,
        iw_samples=iw_samples,
    )
    return metrics
