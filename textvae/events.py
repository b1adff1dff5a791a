"""What a Trainer reports while it trains: five kinds of event, each a plain dict with a "type".

The TypedDicts name the keys for the readers (the command line's progress bar, the app's
training page, ``TrainingJob``'s log) and for type checkers; at run time an event is an
ordinary dict, so it can be stored as JSON in a bundle's metrics.json (``history``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypedDict

Phase = Literal["pretrain", "train"]  # autoencoder pretraining (Li et al. 2019), then the VAE proper
StopReason = Literal["completed", "stopped", "time_limit", "early_stopping"]


class StartEvent(TypedDict):
    """Once, before the first step."""

    type: Literal["start"]
    total_steps: int  # pretraining included
    steps_per_epoch: int
    epochs: int  # pretraining epochs included
    n_train: int
    n_valid: int
    seed: int
    threads: int
    device: str
    precision: str  # "fp32" or "bf16" (textvae.precision)
    precision_why: str  # "auto: this CPU has no native bf16"
    parameters: int


class StepEvent(TypedDict):
    """Every ``log_every`` steps: means over the steps since the last one (nats per sentence)."""

    type: Literal["step"]
    step: int
    epoch: int  # counted from 1
    phase: Phase
    loss: float
    recon: float
    kl: float
    elbo: float
    beta: float
    lr: float
    tokens_per_s: float
    threads: int  # torch's threads for these steps: a server's worker gets more cores while it trains alone
    elapsed_s: float
    eta_s: float
    progress: float  # 0..1, by steps or by the time budget, whichever is further


class _ValidEventRequired(TypedDict):
    type: Literal["valid"]
    step: int
    epoch: int
    phase: Phase
    elapsed_s: float
    best: bool  # the best -ELBO so far: these weights are kept


class ValidEvent(_ValidEventRequired, total=False):
    """After each validation; the metrics (``evaluation.elbo_metrics``) are absent without validation data."""

    elbo: float
    recon: float
    kl: float
    kl_per_dim: list[float]
    au: int
    ppl_elbo: float
    n_sentences: int


class EndEvent(TypedDict):
    """Once, when training ends for whatever reason."""

    type: Literal["end"]
    reason: StopReason
    steps: int
    epochs_done: int
    elapsed_s: float
    best_valid: dict | None  # the best validation's metrics with its step and epoch


class _LatentEventRequired(TypedDict):
    type: Literal["latent"]
    step: int
    means: list[list[float]]  # posterior means of the probe sentences (textvae.latent_history), 3 decimals


class LatentEvent(_LatentEventRequired, total=False):
    """Every ``latent_every`` steps, at the start and at the end (the kept weights): the live map's frames."""

    sentences: list[str]  # the probe sentences, in the first latent event only
    final: bool  # the end's frame: the best weights, which the finished model keeps


TrainEvent = StartEvent | StepEvent | ValidEvent | EndEvent | LatentEvent
EventType = Literal["start", "step", "valid", "end", "latent"]
Callback = Callable[[TrainEvent], None]
