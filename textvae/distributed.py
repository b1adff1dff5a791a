"""Training one model in several processes (``torchrun --nproc-per-node N -m textvae train ...``).

Every process reads the same data and walks the same seeded sequence of global batches
(``batch_size`` x processes sentences, bucketed and shuffled exactly as one process would with that
batch size) and trains on its own contiguous part of each; DistributedDataParallel averages the
gradients. Part sizes weight each process's loss, and free bits decide on the global batch's KL,
so N processes train like one process with the global batch, up to the order of float sums.
Decisions that end or change the loop (stop, time budget, validation) are taken once for all.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from .data import Batch, bucketed_batches, collate
from .errors import TextVAEError
from .model import SentenceVAE
from .objective import gaussian_kl


@dataclass(frozen=True)
class World:
    """This process's place among the processes training one model."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0  # the GPU this process uses on its machine

    @property
    def is_main(self) -> bool:
        """Rank 0 prints, reports progress, validates and saves; the others train silently."""
        return self.rank == 0


def launched_world() -> World:
    """The world torchrun describes in the environment (RANK, WORLD_SIZE, LOCAL_RANK); one process without it."""
    try:
        size = int(os.environ.get("WORLD_SIZE", "1"))
        world = World(int(os.environ.get("RANK", "0")), size, int(os.environ.get("LOCAL_RANK", "0")))
    except ValueError as exc:
        raise TextVAEError(f"RANK, WORLD_SIZE and LOCAL_RANK must be whole numbers ({exc}).") from exc
    if size < 1 or not 0 <= world.rank < size:
        raise TextVAEError(f"RANK {world.rank} does not fit WORLD_SIZE {size}.")
    return world


def joined() -> bool:
    """Whether this process is in a process group (see ``process_group``)."""
    return dist.is_available() and dist.is_initialized()


def current_world() -> World:
    """The process group this process has joined (see ``process_group``), else a single process."""
    if not joined():
        return World()
    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


@contextlib.contextmanager
def process_group(device: str) -> Iterator[World]:
    """Join torchrun's processes for the duration (gloo on CPU, NCCL on ``cuda:LOCAL_RANK``) and leave the
    group even on an error; a no-op in a single process."""
    world = launched_world()
    if world.size == 1:
        yield world
        return
    from .training import resolve_device  # imported here: training imports this module

    cuda = resolve_device(device).type == "cuda"
    if cuda:
        torch.cuda.set_device(world.local_rank)
    dist.init_process_group("nccl" if cuda else "gloo")
    try:
        yield current_world()
    finally:
        dist.destroy_process_group()


# ---------------------------------------------------------------- data: each process's part of a global batch


@dataclass(frozen=True)
class Shard:
    """Where this process's rows sit in the global batch, and what its mean loss weighs."""

    start: int  # first row in the global batch
    global_rows: int
    weight: float  # rows x processes / global rows: the ranks' average gradient is the global batch's
    global_tokens: int  # predicted tokens of the whole global batch (for tokens/s)


def shard(indices: list[int], rank: int, size: int) -> tuple[list[int], int, float]:
    """This rank's contiguous part of a global batch: (rows, start, loss weight).

    Parts differ by one row at most. A rank left without rows (a last batch smaller than the world)
    takes the first row with weight 0: it still runs the step, so no process waits for it."""
    n = len(indices)
    start, end = rank * n // size, (rank + 1) * n // size
    if start == end:
        return indices[:1], 0, 0.0
    return indices[start:end], start, (end - start) * size / n


def sharded_batches(
    sequences: list[list[int]], batch_size: int, world: World, rng: np.random.Generator, limit: int | None = None
) -> Iterator[tuple[Batch, Shard]]:
    """One epoch of this rank's parts of the global batches (``batch_size`` x world sentences), shuffled by ``rng``;
    ``limit``: as ``collate``'s (a cut sentence's next token is its last target)."""
    for indices in bucketed_batches([len(s) for s in sequences], batch_size * world.size, shuffle=True, rng=rng):
        rows, start, weight = shard(indices, world.rank, world.size)
        inputs = (len(sequences[i]) if limit is None else min(len(sequences[i]), limit) for i in indices)
        tokens = sum(n + 1 for n in inputs)  # as Batch.n_predicted counts: words and <eos> (or the next token)
        yield collate([sequences[i] for i in rows], rows, limit), Shard(start, len(indices), weight, tokens)


# ---------------------------------------------------------------- the loss, as a module DDP can wrap


class StepLoss(nn.Module):
    """One training step's loss as a module: DDP averages the gradients of what runs in ``forward``,
    and a step calls the model's ``encode`` and ``reconstruction_nll``, not its ``forward``.

    Returns (the loss to backpropagate, the global batch's means: reconstruction, then KL per dimension)."""

    def __init__(self, model: SentenceVAE):
        super().__init__()
        self.model = model

    def forward(
        self, batch: Batch, part: Shard, beta: float, free_bits: float, noise: torch.Generator | None
    ) -> tuple[Tensor, Tensor]:
        model = self.model
        enc_emb, dec_emb = model.embed(batch.tokens, model.word_dropout(batch.dec_input))  # one lookup, one gradient
        mu, logvar = model.encode(batch.tokens, batch.lengths, enc_emb)
        mu, logvar = mu.float(), logvar.float()
        if noise is None:  # autoencoder pretraining: z is the posterior mean
            z = mu
        else:  # drawn for the global batch, so each row gets the noise it gets in one process
            eps = torch.randn((part.global_rows, mu.size(1)), generator=noise, device=mu.device)
            z = mu + eps[part.start : part.start + batch.size] * torch.exp(0.5 * logvar)
        recon = model.reconstruction_nll(z, batch.dec_input, batch.target, batch.mask, dec_emb).float()
        kl = gaussian_kl(mu, logvar)
        counted = 1.0 if part.weight > 0 else 0.0
        means = all_reduce_sum(torch.cat([recon.sum().reshape(1), kl.sum(0)]).detach() * counted) / part.global_rows
        # free bits floor the global batch's mean KL per dimension; a dimension under the floor gets no gradient
        used = means[1:] >= free_bits if free_bits > 0 else torch.ones_like(means[1:], dtype=torch.bool)
        loss = part.weight * (recon.mean() + beta * (kl.mean(0) * used).sum())
        return loss, means


def step_loss(model: SentenceVAE, world: World, device: torch.device) -> nn.Module:
    """The model's step loss, wrapped in DistributedDataParallel when there are several processes."""
    module = StepLoss(model)
    if world.size == 1:
        return module
    return DistributedDataParallel(module, device_ids=[device.index] if device.type == "cuda" else None)


# ---------------------------------------------------------------- agreeing on decisions


def all_reduce_sum(values: Tensor) -> Tensor:
    """``values`` summed over every process (themselves in a single process)."""
    if joined():
        dist.all_reduce(values)
    return values


def agree(stop: bool, elapsed: float, device: torch.device) -> tuple[bool, float]:
    """(any process was asked to stop, the longest elapsed time): the same answer everywhere, so that every
    process ends at the same step and follows the same clock-driven schedules."""
    if not joined():
        return stop, elapsed
    flags = torch.tensor([float(stop), elapsed], dtype=torch.float64, device=device)
    dist.all_reduce(flags, op=dist.ReduceOp.MAX)
    return bool(flags[0]), float(flags[1])


def from_main(value):
    """Rank 0's ``value`` (any picklable object), on every process."""
    if not joined():
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def check_same_data(*datasets: list[list[int]]) -> None:
    """Fail on every process, with a message, if they tokenised different data (another file, another vocabulary)."""
    if not joined():
        return
    digest = hashlib.sha256()
    for sequences in datasets:
        digest.update(np.array([len(s) for s in sequences], dtype=np.int64).tobytes())
        digest.update(np.fromiter(itertools.chain.from_iterable(sequences), dtype=np.int64).tobytes())
    digests: list[str | None] = [None] * dist.get_world_size()
    dist.all_gather_object(digests, digest.hexdigest())
    if len(set(digests)) > 1:
        raise TextVAEError(
            "The training processes read different data (another corpus or tokenizer); give them the same files."
        )


def broadcast_parameters(module: torch.nn.Module) -> None:
    """Every process takes rank 0's weights (after a re-initialisation drawn from each one's own generator)."""
    if not joined():
        return
    with torch.no_grad():
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor, src=0)
