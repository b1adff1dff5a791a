"""Schedules over training progress in [0, 1]: the KL weight beta and the learning rate.

Progress is the larger of the share of steps done and the share of the time budget used, so with
``max_minutes`` both schedules follow the clock. Plain arithmetic: no torch here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import TextVAEError
from .validation import check_fields, check_range

SCHEDULES = ("constant", "linear", "logistic", "cyclical")  # KL weight schedules
LR_SCHEDULES = ("constant", "cosine")
COSINE_FLOOR = 0.05  # cosine decay ends at this fraction of lr, not 0: the last steps still learn


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
        what = "KL schedule setting"
        check_fields(self, what)
        if self.kind not in SCHEDULES:
            raise TextVAEError(f"KL schedule must be one of {', '.join(SCHEDULES)}, not {self.kind!r}.")
        check_range(what, "beta_max", self.beta_max, 0.0, 10.0)
        check_range(what, "ratio", self.ratio, 0.0, 1.0, low_open=True)
        check_range(what, "cycles", self.cycles, 1, 1000)
        check_range(what, "warmup", self.warmup, 0.0, 1.0)
        check_range(what, "steepness", self.steepness, 0.0, 100.0, low_open=True)

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


def learning_rate(schedule: str, lr: float, progress: float) -> float:
    """The step size at ``progress`` in [0, 1] under ``schedule`` (one of LR_SCHEDULES).

    Cosine decay (to COSINE_FLOOR * lr) lets the last epochs settle into a minimum instead of
    bouncing around it at full step size.
    """
    if schedule not in LR_SCHEDULES:
        raise TextVAEError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, not {schedule!r}.")
    if schedule == "constant":
        return lr
    t = min(max(progress, 0.0), 1.0)
    return lr * (COSINE_FLOOR + (1.0 - COSINE_FLOOR) * 0.5 * (1.0 + math.cos(math.pi * t)))
