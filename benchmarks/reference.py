"""Speed baseline: a sentence VAE trained the way the most used PyTorch reproduction of
Bowman et al. 2016 (timbmg/Sentence-VAE) trains it, written from its description, timed like
``benchmarks.ptb --mode throughput``.

    python -m benchmarks.reference --data ../shared/data/ptb --threads 1 --seconds 20

What makes it the baseline (its defaults): unidirectional GRU encoder and decoder, embedding 300,
hidden 256, latent 16; shuffled batches of 32 sentences cut at 60 tokens and padded to the longest;
``pack_padded_sequence`` through both GRUs, then logits and ``log_softmax`` on every padded position,
``NLLLoss(reduction="sum", ignore_index=pad)``; embedding dropout 0.5; logistic KL annealing;
plain (per-tensor, unfused) Adam. Predicted tokens are counted as in ``benchmarks.ptb``: every
target token, end-of-sentence included. It has no DataLoader worker processes and no logging,
so it is, if anything, faster than the original.

``train_reference`` and ``reference_elbo`` run the same loop on token ids given to it, for a number
of steps or seconds, and measure held-out -ELBO as ``textvae.evaluation.elbo_metrics`` does
(``benchmarks.sweep`` uses them to compare the presets with this loop on the same ids).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils import rnn as rnn_utils

from benchmarks.machine import load_average, peak_rss_mb
from benchmarks.ptb import read_split

MAX_SEQUENCE_LENGTH = 60
PAD, UNK, SOS, EOS = 0, 1, 2, 3


class BaselineVAE(nn.Module):
    def __init__(
        self, vocab: int, embed: int = 300, hidden: int = 256, latent: int = 16, embedding_dropout: float = 0.5
    ):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.embedding_dropout = nn.Dropout(embedding_dropout)
        self.encoder = nn.GRU(embed, hidden, batch_first=True)
        self.decoder = nn.GRU(embed, hidden, batch_first=True)
        self.to_mean, self.to_logv = nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.to_hidden = nn.Linear(latent, hidden)
        self.to_vocab = nn.Linear(hidden, vocab)

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor):
        """inputs (B, T) padded -> log-probabilities over the vocabulary at every padded position, mean, logv."""
        lengths, order = torch.sort(lengths, descending=True)
        inputs = inputs[order]
        embedded = self.embedding(inputs)
        _, h = self.encoder(rnn_utils.pack_padded_sequence(embedded, lengths.tolist(), batch_first=True))
        mean, logv = self.to_mean(h[-1]), self.to_logv(h[-1])
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logv)
        packed = rnn_utils.pack_padded_sequence(self.embedding_dropout(embedded), lengths.tolist(), batch_first=True)
        outputs, _ = self.decoder(packed, self.to_hidden(z).unsqueeze(0))
        padded = rnn_utils.pad_packed_sequence(outputs, batch_first=True)[0][torch.argsort(order)]
        logp = torch.log_softmax(self.to_vocab(padded.reshape(-1, padded.size(-1))), dim=-1)
        return logp.view(padded.size(0), padded.size(1), -1), mean, logv


def encode(lines: list[str], vocab: dict[str, int]) -> list[list[int]]:
    return [[vocab.get(w, UNK) for w in line.split()][: MAX_SEQUENCE_LENGTH - 1] for line in lines]


def batches(ids: list[list[int]], batch_size: int, rng: np.random.Generator | None):
    """Padded batches (shuffled when given ``rng``): input <sos> w1..wn, target w1..wn <eos>."""
    order = rng.permutation(len(ids)) if rng is not None else np.arange(len(ids))
    for start in range(0, len(ids), batch_size):
        chosen = [ids[i] for i in order[start : start + batch_size]]
        width = max(len(s) for s in chosen) + 1
        inputs = torch.full((len(chosen), width), PAD)
        targets = torch.full((len(chosen), width), PAD)
        for row, s in enumerate(chosen):
            inputs[row, : len(s) + 1] = torch.tensor([SOS, *s])
            targets[row, : len(s) + 1] = torch.tensor([*s, EOS])
        yield inputs, targets, torch.tensor([len(s) + 1 for s in chosen])


def logistic_beta(step: int, k: float = 0.0025, x0: int = 2500) -> float:
    return float(1 / (1 + math.exp(-k * (step - x0))))


def kl_divergence(mean: torch.Tensor, logv: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) summed over latent dimensions, per sentence."""
    return -0.5 * torch.sum(1 + logv - mean.pow(2) - logv.exp(), dim=-1)


class ReferenceLoop:
    """The reference's training loop (its defaults) over token ids without <sos>/<eos>."""

    def __init__(self, ids: list[list[int]], vocab: int, seed: int = 0, batch_size: int = 32):
        torch.manual_seed(seed)
        self.ids = [s[: MAX_SEQUENCE_LENGTH - 1] for s in ids]
        self.model = BaselineVAE(vocab)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3, foreach=False, fused=False)
        self.nll = nn.NLLLoss(reduction="sum", ignore_index=PAD)
        self.rng, self.step, self.batch_size = np.random.default_rng(seed), 0, batch_size
        self.stream = iter(())

    def train_step(self) -> int:
        """One Adam step on the next batch; returns the tokens predicted (end-of-sentence included)."""
        batch = next(self.stream, None)
        if batch is None:
            self.stream = batches(self.ids, self.batch_size, self.rng)
            batch = next(self.stream)
        inputs, targets, lengths = batch
        self.model.train()
        logp, mean, logv = self.model(inputs, lengths)
        recon = self.nll(logp.reshape(-1, logp.size(-1)), targets[:, : logp.size(1)].reshape(-1))
        loss = (recon + logistic_beta(self.step) * kl_divergence(mean, logv).sum()) / inputs.size(0)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.step += 1
        return int(lengths.sum())


def train_reference(
    ids: list[list[int]], vocab: int, steps: int | None = None, seconds: float | None = None, seed: int = 0
) -> tuple[BaselineVAE, dict]:
    """Train for ``steps`` steps or ``seconds`` of wall time (whichever is given); the final weights, as the loop
    keeps them (it selects no checkpoint)."""
    if (steps is None) == (seconds is None):
        raise ValueError("give steps or seconds")
    loop = ReferenceLoop(ids, vocab, seed)
    start = time.perf_counter()
    while (loop.step < steps) if steps is not None else (time.perf_counter() - start < seconds):
        loop.train_step()
    elapsed = time.perf_counter() - start
    return loop.model, {
        "steps": loop.step,
        "epochs": loop.step / math.ceil(len(ids) / loop.batch_size),
        "seconds": elapsed,
    }


@torch.no_grad()
def reference_elbo(model: BaselineVAE, ids: list[list[int]], seed: int = 0, batch_size: int = 256) -> dict:
    """Held-out -ELBO, recon and KL in nats per sentence, one posterior sample, dropout off; as
    ``textvae.evaluation.elbo_metrics``: every target token counts, end-of-sentence included, KL summed over z."""
    model.eval()
    nll = nn.NLLLoss(reduction="sum", ignore_index=PAD)
    ids = [s[: MAX_SEQUENCE_LENGTH - 1] for s in ids]
    recon = kl = 0.0
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for start in range(0, len(ids), batch_size):
            inputs, targets, lengths = next(batches(ids[start : start + batch_size], batch_size, None))
            logp, mean, logv = model(inputs, lengths)
            recon += float(nll(logp.reshape(-1, logp.size(-1)), targets[:, : logp.size(1)].reshape(-1)))
            kl += float(kl_divergence(mean, logv).sum())
    n = len(ids)
    return {"elbo": (recon + kl) / n, "recon": recon / n, "kl": kl / n, "n_sentences": n}


def run(args) -> dict:
    train = read_split(args.data, "train")
    words = sorted({w for line in train for w in line.split()} - {"<unk>"})
    vocab = {w: i + 4 for i, w in enumerate(words)}
    ids = encode(train, vocab)
    loop = ReferenceLoop(ids, len(vocab) + 4, args.seed, args.batch_size)
    warm_deadline = time.perf_counter() + args.warmup
    while time.perf_counter() < warm_deadline:
        loop.train_step()
    tokens, steps = 0, 0
    start, cpu_start = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < args.seconds:
        tokens += loop.train_step()
        steps += 1
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    epoch_tokens = sum(len(s) + 1 for s in ids)
    return {
        "program": "reference",
        "threads": torch.get_num_threads(),
        "tokens_per_s": round(tokens / elapsed, 1),
        "tokens_per_cpu_s": round(tokens / cpu, 1),
        "steps": steps,
        "timed_s": round(elapsed, 2),
        "seconds_per_epoch": round(epoch_tokens * elapsed / tokens, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "parameters": sum(p.numel() for p in loop.model.parameters()),
        "torch": torch.__version__,
        "load_average": load_average(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.reference", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="folder with ptb.train.txt")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--warmup", type=float, default=4.0)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    args.data = Path(args.data)
    torch.set_num_threads(args.threads)
    print(json.dumps(run(args), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
