"""Training: a Trainer that fits a SentenceVAE on token ids and reports plain-data events to callbacks.

Events (:mod:`textvae.events`) are dicts with a "type" of start, step, valid or end, so a CLI
progress bar and a web page are just two callbacks. A ``threading.Event`` stops training from
another thread. ``textvae.pipeline.train_model`` is the one call from a corpus to a model bundle.
Under torchrun each process trains on its part of every batch (:mod:`textvae.distributed`).
"""

from __future__ import annotations

import contextlib
import math
import random
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from .config import TrainConfig
from .data import Batch
from .distributed import (
    Shard,
    agree,
    broadcast_parameters,
    check_same_data,
    current_world,
    from_main,
    sharded_batches,
)
from .distributed import step_loss as make_step_loss
from .errors import TextVAEError
from .evaluation import elbo_metrics
from .events import Callback, EndEvent, LatentEvent, StartEvent, StepEvent, StopReason, TrainEvent, ValidEvent
from .latent_history import LatentRecorder
from .model import SentenceVAE
from .objective import free_bits_kl
from .optimizer import FusedAdam
from .precision import resolve_precision


def resolve_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise TextVAEError("CUDA was asked for but no GPU is available; use --device cpu or auto.")
    return torch.device("cuda" if name == "cuda" or (name == "auto" and torch.cuda.is_available()) else "cpu")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@dataclass
class TrainResult:
    reason: StopReason
    steps: int
    epochs_done: int
    elapsed_s: float
    best_valid: dict | None
    history: list[dict] = field(default_factory=list)


class Trainer:
    """Fits a SentenceVAE on token id sequences. Knows nothing about who is watching."""

    def __init__(
        self,
        model: SentenceVAE,
        train: list[list[int]],
        valid: list[list[int]],
        config: TrainConfig,
        probe_sentences: list[str] | None = None,
    ):
        """``probe_sentences``: the texts of ``valid``; with ``config.latent_every``, the first of them are
        encoded every few steps for the live latent map (``self.latent``)."""
        if not train:
            raise TextVAEError("There is nothing to train on.")
        self.model, self.train_seqs, self.valid_seqs, self.config = model, train, valid, config
        self.world = current_world()  # several processes under torchrun (textvae.distributed)
        check_same_data(train, valid)
        self.latent = (
            LatentRecorder(valid, probe_sentences, config.latent_every)
            if config.latent_every and probe_sentences and valid and self.world.is_main
            else None
        )
        self.device = resolve_device(config.device)
        if self.device.type == "cuda" and self.world.size > 1:
            self.device = torch.device("cuda", self.world.local_rank)
        self.precision = resolve_precision(config.precision, self.device)
        self.model.to(self.device)
        self.step_loss = make_step_loss(self.model, self.world, self.device)
        self.noise = torch.Generator(device=self.device)  # z's noise, drawn alike in every process
        self.callbacks: list[Callback] = []
        self.optimizer = self._make_optimizer()
        self.step = 0
        self.epoch = 0
        self.elapsed_before = 0.0
        self.best_valid: dict | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.history: list[dict] = []  # the valid and end events and every 5th logged step event
        self.resumed_step = 0
        self._last_validated_step = 0
        self.steps_per_epoch = math.ceil(len(train) / (config.batch_size * self.world.size))

    def add_callback(self, fn: Callback) -> None:
        self.callbacks.append(fn)

    def _emit(self, event: TrainEvent) -> None:
        if not self.world.is_main:
            return
        if event["type"] in ("valid", "end") or (
            event["type"] == "step" and self.step % (self.config.log_every * 5) == 0
        ):
            self.history.append(
                {k: v for k, v in event.items() if k != "kl_per_dim"} if event["type"] == "step" else event
            )
        for fn in self.callbacks:
            fn(event)

    def _make_optimizer(self) -> FusedAdam:
        return FusedAdam(list(self.model.parameters()), lr=self.config.lr)

    def _autocast(self):
        if self.precision.name == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _train_step(self, batch: Batch, beta: float, pretraining: bool, part: Shard | None = None) -> dict[str, float]:
        """One optimizer step on this process's ``part`` of a global batch (default: all of ``batch``);
        returns the global batch's loss parts."""
        part = part or Shard(0, batch.size, 1.0, batch.n_predicted)
        self.step_loss.train()
        free_bits, noise = (0.0, None) if pretraining else (self.config.free_bits, self.noise)
        self.optimizer.zero_grad()
        with self._autocast():
            loss, means = self.step_loss(batch.to(self.device), part, beta, free_bits, noise)
        loss.backward()
        if self.config.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        means = means.cpu()
        recon, kl_per_dim = float(means[0]), means[1:]
        kl = float(kl_per_dim.sum())
        loss_value = recon + beta * float(free_bits_kl(kl_per_dim.unsqueeze(0), free_bits))
        return {"loss": loss_value, "recon": recon, "kl": kl, "elbo": recon + kl}

    def validate(self) -> dict:
        with self._autocast():
            metrics = elbo_metrics(self.model, self.valid_seqs, seed=self.config.seed) if self.valid_seqs else {}
        return metrics

    def fit(self, stop: threading.Event | None = None) -> TrainResult:
        cfg = self.config
        seed_everything(cfg.seed + self.epoch)
        self.noise.manual_seed(cfg.seed + self.epoch)
        if self.world.rank:  # dropout masks differ between processes; z's noise (self.noise) does not
            torch.manual_seed(int(np.random.SeedSequence([cfg.seed, self.epoch, self.world.rank]).generate_state(1)[0]))
        schedule = cfg.schedule()
        total_epochs = cfg.pretrain_epochs + cfg.epochs
        total_steps = cfg.epochs * self.steps_per_epoch
        budget = cfg.max_minutes * 60 if cfg.max_minutes else None
        self._emit(
            StartEvent(
                type="start",
                total_steps=total_steps + cfg.pretrain_epochs * self.steps_per_epoch,
                steps_per_epoch=self.steps_per_epoch,
                epochs=total_epochs,
                n_train=len(self.train_seqs),
                n_valid=len(self.valid_seqs),
                seed=cfg.seed,
                threads=torch.get_num_threads(),
                device=str(self.device),
                precision=self.precision.name,
                precision_why=self.precision.why,
                parameters=sum(p.numel() for p in self.model.parameters()),
            )
        )
        self._snapshot(first=True)
        start = time.perf_counter() - self.elapsed_before  # the budget is for training: the first frame is not in it
        reason: StopReason = "completed"
        bad_validations = 0
        window_tokens, window_start = 0, time.perf_counter()
        running: dict[str, float] = {}
        while self.epoch < total_epochs and reason == "completed":
            pretraining = self.epoch < cfg.pretrain_epochs
            if (
                self.epoch == cfg.pretrain_epochs
                and cfg.pretrain_epochs
                and self.step == cfg.pretrain_epochs * self.steps_per_epoch
            ):
                self.model.reset_decoder()
                broadcast_parameters(self.model)  # each process drew its own new decoder: take rank 0's
                self.optimizer = self._make_optimizer()
            rng = np.random.default_rng([cfg.seed, self.epoch])
            limit = self.model.config.max_length
            for batch, part in sharded_batches(self.train_seqs, cfg.batch_size, self.world, rng, limit):
                stopped, elapsed = agree(stop is not None and stop.is_set(), time.perf_counter() - start, self.device)
                if stopped:
                    reason = "stopped"
                    break
                if budget and elapsed >= budget and self.step > self.resumed_step:  # at least one step a run
                    reason = "time_limit"
                    break
                train_step = self.step - cfg.pretrain_epochs * self.steps_per_epoch
                progress = max(train_step / total_steps, elapsed / budget if budget else 0.0)
                beta = 0.0 if pretraining else schedule(progress)
                lr = cfg.lr if pretraining else cfg.learning_rate(progress)
                self.optimizer.lr = lr
                parts = self._train_step(batch, beta, pretraining, part)
                self.step += 1
                window_tokens += part.global_tokens
                for k, v in parts.items():
                    running[k] = running.get(k, 0.0) + v
                running["n"] = running.get("n", 0) + 1
                if self.step % cfg.log_every == 0:
                    now = time.perf_counter()
                    rate = window_tokens / max(now - window_start, 1e-9)
                    steps_left = (total_epochs * self.steps_per_epoch) - self.step
                    eta = steps_left * (now - start) / max(self.step - self.resumed_step, 1)
                    if budget:
                        eta = min(eta, budget - (now - start))
                    n = running.pop("n")
                    self._emit(
                        StepEvent(
                            type="step",
                            step=self.step,
                            epoch=self.epoch + 1,
                            phase="pretrain" if pretraining else "train",
                            **{k: v / n for k, v in running.items()},  # loss, recon, kl, elbo
                            beta=beta,
                            lr=lr,
                            tokens_per_s=rate,
                            threads=torch.get_num_threads(),
                            elapsed_s=now - start,
                            eta_s=max(eta, 0.0),
                            progress=min(
                                1.0,
                                max(
                                    self.step / (total_epochs * self.steps_per_epoch),
                                    (now - start) / budget if budget else 0.0,
                                ),
                            ),
                        )
                    )
                    running, window_tokens, window_start = {}, 0, now
                if self.latent is not None and self.latent.due(self.step):
                    self._snapshot()
                if cfg.valid_every and self.step % cfg.valid_every == 0 and not pretraining:
                    if self._validation_round(pretraining, start):
                        bad_validations = 0
                    else:
                        bad_validations += 1
                    if cfg.patience and bad_validations >= cfg.patience:
                        reason = "early_stopping"  # now, not at the end of a long epoch
                        break
            else:
                self.epoch += 1
                if not cfg.valid_every or pretraining:
                    if self._validation_round(pretraining, start):
                        bad_validations = 0
                    elif not pretraining:
                        bad_validations += 1
            if cfg.patience and bad_validations >= cfg.patience and reason == "completed":
                reason = "early_stopping"
        if reason == "time_limit" and self.epoch >= cfg.pretrain_epochs and self.step > self._last_validated_step:
            self._validation_round(False, start)  # else the steps since the last validation would be thrown away below
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        self._snapshot(final=True)
        elapsed = time.perf_counter() - start
        self.elapsed_before = elapsed
        self._emit(
            EndEvent(
                type="end",
                reason=reason,
                steps=self.step,
                epochs_done=self.epoch,
                elapsed_s=elapsed,
                best_valid=self.best_valid,
            )
        )
        return TrainResult(reason, self.step, self.epoch, elapsed, self.best_valid, self.history)

    def _snapshot(self, first: bool = False, final: bool = False) -> None:
        """Encode the probe sentences for the live map and report them (no-op without a recorder)."""
        if self.latent is None:
            return
        means = self.latent.record(self.model, self.step)
        event = LatentEvent(type="latent", step=self.step, means=np.round(means, 3).tolist())
        if first:
            event["sentences"] = self.latent.history.sentences
        if final:
            event["final"] = True
        self._emit(event)

    def _validation_round(self, pretraining: bool, start: float) -> bool:
        """Validate; keep a copy of the weights if this is the best -ELBO so far. True if improved.

        Rank 0 validates and every process takes its numbers, so all decide alike (they hold the same weights)."""
        metrics = from_main(self.validate() if self.world.is_main else None)
        self._last_validated_step = self.step
        if not metrics:
            improved = not pretraining
        else:
            improved = not pretraining and (self.best_valid is None or metrics["elbo"] < self.best_valid["elbo"])
        if improved:
            self.best_valid = {**metrics, "step": self.step, "epoch": self.epoch}
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self._emit(
            ValidEvent(
                type="valid",
                step=self.step,
                epoch=self.epoch,
                phase="pretrain" if pretraining else "train",
                elapsed_s=time.perf_counter() - start,
                best=improved,
                **metrics,
            )
        )
        return improved

    # ------------------------------------------------------------ resuming
    def training_state(self) -> dict[str, torch.Tensor]:
        """Optimizer moments and counters as plain tensors (saved as safetensors, never pickled)."""
        return {
            "counters": torch.tensor([self.step, self.epoch], dtype=torch.long),
            "elapsed": torch.tensor([self.elapsed_before], dtype=torch.float64),
            **self.optimizer.state_tensors(),
        }

    def load_training_state(self, state: dict[str, torch.Tensor]) -> None:
        if "counters" not in state or state["counters"].shape != (2,) or bool((state["counters"] < 0).any()):
            raise TextVAEError("The training state has no valid counters; it cannot be resumed.")
        self.optimizer.load_state_tensors(state)
        self.step, self.epoch = (int(x) for x in state["counters"].tolist())
        self.elapsed_before = float(state["elapsed"][0]) if "elapsed" in state else 0.0
        self.resumed_step = self.step
