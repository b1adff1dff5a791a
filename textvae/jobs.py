"""Background training jobs for the web app: each training runs in its own worker process
(textvae.worker), a server-wide cap says how many train at once (the rest wait in a first-come
queue), and a plain event log the page polls.

A small supervising thread per job waits for its slot, starts the worker and relays its events
(the dicts that ``Trainer`` emits) into ``TrainingJob.events`` under a lock; the page reads them with
``TrainingJob.snapshot()``. Plain Python, no streamlit, so it is unit-testable.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import traceback
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum
from pathlib import Path

import numpy as np

from .bundle import ModelBundle
from .config import TokenizerConfig, TrainConfig
from .corpus import Corpus
from .errors import TextVAEError
from .events import EventType, TrainEvent
from .latent_history import MAX_SNAPSHOTS, kept_after_thinning
from .limits import get_limits
from .model_store import save_new
from .quota import Quota, QuotaError
from .ray_executor import ray_address, train_on_ray
from .worker import train_in_worker

log = logging.getLogger(__name__)


class JobStatus(StrEnum):
    """queued -> running -> done | stopped | failed; each compares equal to its lower-case name."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    STOPPED = "stopped"
    FAILED = "failed"


FINISHED = (JobStatus.DONE, JobStatus.STOPPED, JobStatus.FAILED)
MAX_STEP_EVENTS = 4000  # older step events are thinned out so a long run's log stays small


class TrainingSlots:
    """At most ``capacity`` jobs train at once; the others wait in arrival order."""

    def __init__(self, capacity: int):
        self.capacity = max(1, int(capacity))
        self._cond = threading.Condition()
        self._waiting: deque[TrainingJob] = deque()
        self._running: set[TrainingJob] = set()

    def acquire(self, job: TrainingJob, give_up: Callable[[], bool], poll_s: float = 0.25) -> bool:
        """Block until ``job`` may train (True) or ``give_up()`` says to stop waiting (False). ``give_up`` is asked
        before the slot is taken too: a job stopped while it waited never starts, even if a slot frees at once."""
        with self._cond:
            self._waiting.append(job)
            try:
                while True:
                    if give_up():
                        return False
                    if self._waiting[0] is job and len(self._running) < self.capacity:
                        break
                    self._cond.wait(poll_s)
                self._running.add(job)
                return True
            finally:
                self._waiting.remove(job)
                self._cond.notify_all()

    def release(self, job: TrainingJob) -> None:
        with self._cond:
            self._running.discard(job)
            self._cond.notify_all()

    def ahead_of(self, job: TrainingJob) -> int:
        """How many queued jobs will start before this one (0 when it is next, or running)."""
        with self._cond:
            return self._waiting.index(job) if job in self._waiting else 0

    @property
    def running(self) -> int:
        with self._cond:
            return len(self._running)

    def cpu_share(self) -> int:
        """Threads for each running training: the cores split between them (a lone training gets them all)."""
        return cores_each(self.running)

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)


_live_jobs: weakref.WeakSet[TrainingJob] = weakref.WeakSet()


@atexit.register
def _stop_live_jobs() -> None:
    """At interpreter exit, stop running jobs and wait briefly: a thread killed inside torch aborts the process."""
    jobs = [job for job in list(_live_jobs) if job.active]
    for job in jobs:
        job.stop("the server is shutting down")
    for job in jobs:
        job.join(30)


_default_slots: TrainingSlots | None = None
_default_lock = threading.Lock()


def default_slots() -> TrainingSlots:
    """The server-wide cap, read once from TEXTVAE_MAX_TRAININGS (default 2, see textvae.limits)."""
    global _default_slots
    with _default_lock:
        if _default_slots is None:
            _default_slots = TrainingSlots(get_limits().max_trainings)
        return _default_slots


def with_fair_threads(training: TrainConfig, capacity: int) -> TrainConfig:
    """Unless set, a training gets its share of the cores: the slots together never ask for more threads than
    there are cores (more would make torch's threads wait for each other and starve the web server)."""
    if training.threads is not None:
        return training
    return replace(training, threads=cores_each(capacity))


def cores_each(trainings: int) -> int:
    """This machine's cores split between ``trainings`` (at least one each)."""
    return max(1, (os.cpu_count() or 1) // max(1, trainings))


def default_executor() -> Callable[..., tuple[ModelBundle, object]]:
    """Where trainings run: on the Ray cluster when TEXTVAE_RAY_ADDRESS is set, else in local worker processes."""
    return train_on_ray if ray_address() else train_in_worker


class TrainingJob:
    """One training run: a supervising thread here, the training itself in a worker process.

    status: a JobStatus, queued -> running -> done | stopped | failed. ``result`` holds the trained bundle
    (the best weights by validation ELBO), also after a stop; ``error`` a message for a person.
    """

    def __init__(
        self,
        corpus: Corpus,
        valid: Corpus | None = None,
        model: dict | None = None,
        training: TrainConfig | None = None,
        tokenizer: TokenizerConfig | None = None,
        name: str | None = None,
        save_dir: str | Path | None = None,
        slots: TrainingSlots | None = None,
        max_lifetime_s: float | None = None,
        train_fn: Callable[..., tuple[ModelBundle, object]] | None = None,
        base: ModelBundle | None = None,
        quota: Quota | None = None,
    ):
        self.corpus, self.valid, self.model_settings = corpus, valid, dict(model or {})
        self.tokenizer = tokenizer or TokenizerConfig()
        self.name = name or corpus.name
        self.base = base  # a pretrained bundle to fine-tune (read only: train_model copies its weights)
        self.save_dir = Path(save_dir) if save_dir else None
        self.quota = quota  # what the save counts against (textvae.quota); None: no limit
        self.slots = slots or default_slots()
        training = training or TrainConfig()
        self._share_cores = training.threads is None  # then the thread count follows how many train at once
        self.training = with_fair_threads(training, self.slots.capacity)
        # A safety net: no job trains longer than the server's limit (TEXTVAE_MAX_TRAIN_MINUTES), with
        # some slack for tokenising and validation; the training's own max_minutes normally ends it first.
        self.max_lifetime_s = (
            max_lifetime_s if max_lifetime_s is not None else get_limits().max_train_minutes * 66 + 120
        )
        self._train_fn = train_fn or default_executor()
        self.on_ray = self._train_fn is train_on_ray  # the Train page says where it runs
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._events: list[TrainEvent] = []
        self._orphaned_at: float | None = None
        self._orphan_grace_s = 0.0
        self.status = JobStatus.QUEUED
        self.stop_reason: str | None = None
        self.result: ModelBundle | None = None
        self.saved_path: Path | None = None
        self.save_error: str | None = None  # the model is kept in memory (active) even when saving it failed
        self.error: str | None = None
        self.created_at = time.time()
        self.started_at: float | None = None
        self.finished_at: float | None = None

    # ------------------------------------------------------------ control
    def start(self) -> TrainingJob:
        if self._thread is not None:
            raise RuntimeError("A TrainingJob can be started once.")
        self._thread = threading.Thread(target=self._run, name=f"textvae-train-{self.name[:20]}", daemon=True)
        _live_jobs.add(self)
        self._thread.start()
        return self

    def stop(self, reason: str = "stopped by the user") -> None:
        """Ask the job to stop; a running job finishes its batch and keeps its best weights."""
        if not self._stop.is_set():
            self.stop_reason = reason
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.finished

    def orphan(self, grace_s: float = 120.0) -> None:
        """Its session went away: stop unless ``adopt()`` is called within ``grace_s`` (a reconnect)."""
        with self._lock:
            self._orphaned_at, self._orphan_grace_s = time.monotonic(), grace_s
        if grace_s <= 0:
            self.stop("the browser session ended")

    def adopt(self) -> None:
        with self._lock:
            self._orphaned_at = None

    # ------------------------------------------------------------ reading
    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def queue_ahead(self) -> int:
        return self.slots.ahead_of(self) if self.status == JobStatus.QUEUED else 0

    def snapshot(self, since: int = 0) -> list[TrainEvent]:
        """A copy of the events from index ``since`` on (safe while the worker appends)."""
        with self._lock:
            return list(self._events[since:])

    @property
    def events(self) -> list[TrainEvent]:
        return self.snapshot()

    def last(self, kind: EventType) -> TrainEvent | None:
        with self._lock:
            return next((e for e in reversed(self._events) if e["type"] == kind), None)

    # ------------------------------------------------------------ worker
    def _should_stop(self) -> bool:
        if self._stop.is_set():
            return True
        with self._lock:
            orphaned, grace = self._orphaned_at, self._orphan_grace_s
        if orphaned is not None and time.monotonic() - orphaned > grace:
            self.stop("the browser session ended")
        elif self.started_at is not None and time.time() - self.started_at > self.max_lifetime_s:
            self.stop(f"the {self.max_lifetime_s / 60:.0f}-minute limit per training was reached")
        return self._stop.is_set()

    def _record(self, event: TrainEvent) -> None:
        if event["type"] == "latent":  # a frame of the live map: 500 x latent_dim numbers, kept compact
            event = {**event, "means": np.asarray(event["means"], dtype=np.float16)}
        with self._lock:
            self._events.append(event)
            if event["type"] == "step" and len(self._events) > MAX_STEP_EVENTS:
                steps = [i for i, e in enumerate(self._events) if e["type"] == "step"]
                drop = set(steps[: len(steps) // 2 : 2])  # halve the resolution of the oldest half
                self._events = [e for i, e in enumerate(self._events) if i not in drop]
            if event["type"] == "latent" and sum(e["type"] == "latent" for e in self._events) > MAX_SNAPSHOTS:
                frames = [i for i, e in enumerate(self._events) if e["type"] == "latent"]
                keep = {frames[i] for i in kept_after_thinning(len(frames))}  # as the recorder thins its own
                self._events = [e for i, e in enumerate(self._events) if e["type"] != "latent" or i in keep]
        self._should_stop()  # also enforces the orphan and lifetime limits while training

    def _run(self) -> None:
        try:
            if not self.slots.acquire(self, self._should_stop):
                self.status = JobStatus.STOPPED
                return
            try:
                self.status, self.started_at = JobStatus.RUNNING, time.time()
                bundle, _ = self._train_fn(
                    self.corpus,
                    self.valid,
                    model=self.model_settings,
                    training=self.training,
                    tokenizer=self.tokenizer,
                    callbacks=[self._record],
                    stop=self._stop,
                    name=self.name,
                    cpu_share=self.slots.cpu_share if self._share_cores else None,
                    **({"base": self.base} if self.base is not None else {}),
                )
                if self.save_dir is not None:
                    self.saved_path = self._save(bundle)
                self.result = bundle
                self.status = JobStatus.STOPPED if self._stop.is_set() else JobStatus.DONE
            finally:
                self.slots.release(self)
        except TextVAEError as exc:
            self.error, self.status = str(exc), JobStatus.FAILED
        except Exception as exc:  # a bug, not the user's fault: say so, keep the trace in the server log
            log.error("Training job %s crashed:\n%s", self.name, traceback.format_exc())
            self.error = f"Training failed unexpectedly ({type(exc).__name__}: {exc})."
            self.status = JobStatus.FAILED
        finally:
            self.finished_at = time.time()

    def _save(self, bundle: ModelBundle) -> Path | None:
        """Save into a folder of its own; over a quota, or on a full or read-only disk, say so and keep the model
        (in memory)."""
        assert self.save_dir is not None
        try:
            return save_new(bundle, self.save_dir, self.name, self.quota)
        except QuotaError as exc:
            self.save_error = str(exc)
            return None
        except (OSError, TextVAEError) as exc:
            log.error("Training job %s: its model could not be saved: %s", self.name, exc)
            self.save_error = f"It could not be saved on the server ({getattr(exc, 'strerror', None) or exc})."
            return None
