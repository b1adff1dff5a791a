"""Trainings on a Ray cluster, for a class that outgrows one machine (``TEXTVAE_RAY_ADDRESS``).

``train_on_ray`` has the signature of :func:`textvae.worker.train_in_worker`, so a :class:`textvae.jobs.TrainingJob`
runs the same way on either back end (``textvae.executors`` picks one). The job's input travels as the worker's
JSON job data and the base model's files as bytes; on the cluster a :class:`TrainingActor` trains with
``textvae.worker.run_job`` in a thread, keeps the events, and obeys ``stop`` and ``threads N`` as a local worker
does. The app polls the events a few times a second and, at the end, receives the bundle's files (safetensors
and JSON, never pickled weights), which it writes to a temporary folder and loads with the same checks as an
upload. Queued trainings wait in Ray's scheduler until a node has the CPUs they ask for.

``TEXTVAE_RAY_ADDRESS``: ``auto`` (the cluster this machine belongs to), ``ray://HEAD:10001`` (a remote
cluster's client port), or ``local`` (a Ray instance started in this process: for trying it out and the tests).
Ray is optional: ``pip install -r requirements-ray.txt``.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .config import TokenizerConfig, TrainConfig
from .corpus import Corpus
from .errors import TextVAEError
from .worker import (
    BASE_DIR,
    PROTOCOL_EVENTS,
    RESULT_DIR,
    STOP_LINE,
    THREADS_LINE,
    applying_threads,
    job_data,
    load_result,
    raise_for_outcome,
    run_job,
    write_job,
)

log = logging.getLogger(__name__)

ADDRESS_VARIABLE = "TEXTVAE_RAY_ADDRESS"
POLL_S = 0.25
CALL_TIMEOUT_S = 60.0  # an actor call that takes longer than this: the cluster is gone
KILL_AFTER_STOP_S = 120.0  # as a local worker: a training that ignores stop this long is killed
_connect_lock = threading.Lock()


def ray_address() -> str | None:
    """The Ray cluster trainings go to (TEXTVAE_RAY_ADDRESS), or None: local worker processes."""
    return os.environ.get(ADDRESS_VARIABLE, "").strip() or None


def _ray():
    try:
        import ray
    except ImportError as exc:
        raise TextVAEError(
            f"{ADDRESS_VARIABLE} is set but Ray is not installed: pip install -r requirements-ray.txt"
        ) from exc
    return ray


def connect(address: str | None = None):
    """Connect this process to the cluster once (thread-safe); returns the ``ray`` module.

    The textvae package travels with every training (``py_modules``), so cluster nodes need Ray, PyTorch and
    the requirements, not a copy of this repository."""
    ray = _ray()
    address = address or ray_address() or "local"
    with _connect_lock:
        if not ray.is_initialized():
            package = str(Path(__file__).resolve().parent)
            options = {"runtime_env": {"py_modules": [package]}, "log_to_driver": False, "configure_logging": False}
            options["address"] = address  # "local" said outright: Ray would join any cluster it finds on the machine
            if address == "local":
                options.update(include_dashboard=False, object_store_memory=100 * 2**20)
            try:
                ray.init(**options)
            except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
                raise TextVAEError(f"Cannot reach the Ray cluster at {address} ({type(exc).__name__}: {exc}).") from exc
    return ray


def _read_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _write_files(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True)
    for name, data in files.items():
        if Path(name).name != name or name.startswith("."):
            raise TextVAEError(f"The cluster sent a bundle file with a bad name: {name!r}.")
        (folder / name).write_bytes(data)
    return folder


def _where() -> dict:
    """This process's host name and, inside Ray, its node's id: where a training runs, for the Train page."""
    try:
        import ray

        node = ray.get_runtime_context().get_node_id()
    except Exception:  # outside a Ray worker: no node
        node = None
    return {"host": socket.gethostname(), "node_id": node}


class TrainingActor:
    """One training on a cluster node: ``run_job`` in a thread, its events kept for the app to poll."""

    def __init__(self, job: dict, base_files: dict[str, bytes] | None):
        self.folder = Path(tempfile.mkdtemp(prefix="textvae-ray-"))
        if base_files is not None:
            job = {**job, "base": str(_write_files(self.folder / BASE_DIR, base_files))}
        write_job(self.folder, job)
        self.events: list[dict] = []
        self.where = _where()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads: list[int] = []
        self.thread = threading.Thread(target=self._run, daemon=True, name="textvae-ray-training")
        self.thread.start()

    def _emit(self, message: dict) -> None:
        if message.get("type") == "start":  # the Train page says where it runs
            message = {**message, "ray_node": self.where}
        with self.lock:
            self.events.append(message)

    def _run(self) -> None:
        run_job(self.folder, applying_threads(self._emit, self.threads), self.stop)

    def poll(self, since: int) -> list[dict]:
        """The events from index ``since`` on."""
        with self.lock:
            return self.events[since:]

    def send(self, line: str) -> None:
        """``stop``, or ``threads N``: the worker protocol's lines."""
        words = line.split()
        if words == [STOP_LINE]:
            self.stop.set()
        elif len(words) == 2 and words[0] == THREADS_LINE and words[1].isdigit():
            self.threads.append(max(1, int(words[1])))

    def result_files(self) -> dict[str, bytes]:
        """The finished bundle's files (safetensors and JSON), then its folder is removed."""
        try:
            return _read_files(self.folder / RESULT_DIR)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def train_on_ray(
    corpus: Corpus,
    valid: Corpus | None = None,
    model: dict | None = None,
    training: TrainConfig | None = None,
    tokenizer: TokenizerConfig | None = None,
    callbacks: list[Callable[[dict], None]] | None = None,
    stop: threading.Event | None = None,
    name: str | None = None,
    base=None,
    cpu_share: Callable[[], int] | None = None,
    on_actor: Callable[[object], None] | None = None,
):
    """Train as ``train_in_worker`` does, on the Ray cluster; returns ``(bundle, None)``.

    The training asks Ray for ``training.threads`` CPUs (1 when unset) and keeps that many threads: the cluster
    shares its cores, so ``cpu_share`` (this machine's fair share) is not used. A cluster or actor failure is
    raised as a ``TextVAEError`` that says so."""
    from .bundle import save_bundle

    ray = connect()
    training, tokenizer = training or TrainConfig(), tokenizer or TokenizerConfig()
    local = Path(tempfile.mkdtemp(prefix="textvae-ray-result-"))
    actor = None
    try:
        base_files = None
        if base is not None:  # its files as they are on disk, or saved as they are in memory
            on_disk = base.path is not None and Path(base.path).is_dir()
            base_files = _read_files(Path(base.path) if on_disk else save_bundle(base, local / BASE_DIR))
        job = job_data(corpus, valid, model, training, tokenizer, name, None)
        remote = ray.remote(num_cpus=training.threads or 1, max_concurrency=4)(TrainingActor)
        actor = remote.remote(job, base_files)
        if on_actor is not None:
            on_actor(actor)
        outcome, seen, stop_sent_at = None, 0, None
        while outcome is None:
            if stop is not None and stop.is_set() and stop_sent_at is None:
                ray.get(actor.send.remote(STOP_LINE), timeout=CALL_TIMEOUT_S)
                stop_sent_at = time.monotonic()
            if stop_sent_at is not None and time.monotonic() - stop_sent_at > KILL_AFTER_STOP_S:
                raise TextVAEError(f"The training on the Ray cluster ignored stop for {KILL_AFTER_STOP_S:.0f} s.")
            for message in ray.get(actor.poll.remote(seen), timeout=CALL_TIMEOUT_S):
                seen += 1
                if message.get("type") in PROTOCOL_EVENTS:
                    outcome = message
                    break
                for fn in callbacks or []:
                    fn(message)
            else:
                time.sleep(POLL_S)
        raise_for_outcome(outcome, "Training on the Ray cluster")
        files = ray.get(actor.result_files.remote(), timeout=CALL_TIMEOUT_S)
        return load_result(_write_files(local / RESULT_DIR, files)), None
    except TextVAEError:
        raise
    except Exception as exc:  # the actor died, the node went away, a call timed out
        log.exception("Training on the Ray cluster failed")
        raise TextVAEError(f"The training on the Ray cluster ended unexpectedly ({type(exc).__name__}).") from exc
    finally:
        if actor is not None:
            ray.kill(actor)
        shutil.rmtree(local, ignore_errors=True)
