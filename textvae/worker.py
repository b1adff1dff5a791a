"""Training in a separate process: a crash, an out-of-memory kill or a runaway training cannot take the
caller (the web server) down, and the memory a training used returns to the system when it ends.

``train_in_worker`` has the signature of :func:`textvae.pipeline.train_model` (the parts a job uses) and
is the default of :class:`textvae.jobs.TrainingJob`. The protocol is small and text-only, no pickle:

- the parent writes ``job.json`` (settings, sentences, the base model's folder) into a private folder and
  starts ``python -m textvae.worker FOLDER``;
- the worker writes one JSON object per line to its stdout: the Trainer's events, then
  ``{"type": "result", "path": ...}`` (a bundle folder it saved, safetensors + JSON) or
  ``{"type": "error", "kind": "user" | "crash", "message": ...}``;
- the parent writes ``stop`` on the worker's stdin to stop it (it finishes its batch and keeps its best
  weights, as in-process); a closed stdin (the parent died) stops it too;
- ``threads N`` on its stdin sets how many threads it trains with from the next step on (a lone training
  gets every core; when a second one starts, they share them).

The worker runs at a lower CPU priority, so pages stay responsive while trainings use the spare cores.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from .config import TokenizerConfig, TrainConfig
from .corpus import Corpus
from .errors import TextVAEError

log = logging.getLogger(__name__)

JOB_FILE = "job.json"
RESULT_DIR = "result"
BASE_DIR = "base"
STOP_LINE = "stop"
THREADS_LINE = "threads"
KILL_AFTER_STOP_S = 120.0  # a worker that has not ended this long after "stop" is killed
WORKER_NICENESS = 10
PROTOCOL_EVENTS = ("result", "error")


def _corpus_data(corpus: Corpus | None) -> dict | None:
    return None if corpus is None else {"sentences": corpus.sentences, "labels": corpus.labels, "name": corpus.name}


def _corpus_from(data: dict | None) -> Corpus | None:
    return None if data is None else Corpus(data["sentences"], data.get("labels"), data.get("name", "corpus"))


def job_data(
    corpus: Corpus,
    valid: Corpus | None,
    model: dict | None,
    training: TrainConfig,
    tokenizer: TokenizerConfig,
    name: str | None,
    base_path: Path | str | None,
) -> dict:
    """A training's whole input, as plain JSON data (``run_job`` reads it back)."""
    return {
        "corpus": _corpus_data(corpus),
        "valid": _corpus_data(valid),
        "model": dict(model or {}),
        "training": asdict(training),
        "tokenizer": asdict(tokenizer),
        "name": name,
        "base": None if base_path is None else str(base_path),
    }


def write_job(folder: Path, job: dict) -> None:
    """The worker's whole input (``job_data``), as its job file."""
    (folder / JOB_FILE).write_text(json.dumps(job), encoding="utf-8")


def _package_root() -> str:
    return str(Path(__file__).resolve().parent.parent)


def start_worker(folder: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_package_root(), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    stderr = open(folder / "worker.log", "w", encoding="utf-8")  # noqa: SIM115 (the child holds it)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "textvae.worker", str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            encoding="utf-8",
            bufsize=1,
            env=env,
        )
    finally:
        stderr.close()


def _read_lines(stream, out: queue.Queue) -> None:
    """Pump the worker's protocol lines into a queue; None marks the end."""
    try:
        for line in stream:
            line = line.strip()
            if not line:
                continue
            try:
                out.put(json.loads(line))
            except json.JSONDecodeError:
                log.warning("Training worker wrote a line that is not JSON: %.200s", line)
    finally:
        out.put(None)


def _send(proc: subprocess.Popen, line: str) -> None:
    try:
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
    except (BrokenPipeError, OSError, ValueError):
        pass  # it has already ended


def _worker_log_tail(folder: Path, chars: int = 2000) -> str:
    try:
        return (folder / "worker.log").read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return ""


def raise_for_outcome(outcome: dict, where: str) -> None:
    """A training's error outcome raised as the ``TextVAEError`` the app shows; a crash's trace goes to the log
    (``where`` names the worker in it). Local workers and Ray actors end the same way."""
    if outcome["type"] != "error":
        return
    if outcome.get("kind") == "crash":
        log.error("%s crashed:\n%s", where, outcome.get("trace", ""))
        raise TextVAEError(f"Training failed unexpectedly ({outcome['message']}).")
    raise TextVAEError(outcome["message"])


def load_result(folder: str | Path):
    """The finished training's bundle, checked as an upload is; its folder is temporary, so ``path`` is None
    and the caller saves it where it belongs."""
    from .bundle import load_bundle

    bundle = load_bundle(folder)
    bundle.path = None
    return bundle


def train_in_worker(
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
    on_process: Callable[[subprocess.Popen], None] | None = None,
):
    """Train as ``train_model`` does, in a child process; returns ``(bundle, None)`` (no Trainer crosses over).

    Events reach ``callbacks`` as they happen; setting ``stop`` stops the worker; ``cpu_share()``, when given,
    is asked a few times a second how many threads the worker should use. A library error in the
    worker is raised here as the same ``TextVAEError`` message; a worker that crashes or is killed raises
    a ``TextVAEError`` that says so (its log goes to this process's log).
    """
    from .bundle import save_bundle

    training, tokenizer = training or TrainConfig(), tokenizer or TokenizerConfig()
    folder = Path(tempfile.mkdtemp(prefix="textvae-job-"))
    proc: subprocess.Popen | None = None
    try:
        base_path = None
        if base is not None:
            base_path = base.path if base.path is not None and Path(base.path).is_dir() else None
            if base_path is None:
                base_path = save_bundle(base, folder / BASE_DIR)
        write_job(folder, job_data(corpus, valid, model, training, tokenizer, name, base_path))
        proc = start_worker(folder)
        if on_process is not None:
            on_process(proc)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True, name="textvae-worker-io").start()
        outcome: dict | None = None
        stop_sent_at: float | None = None
        threads = training.threads
        while True:
            if stop is not None and stop.is_set() and stop_sent_at is None:
                _send(proc, STOP_LINE)
                stop_sent_at = time.monotonic()
            if cpu_share is not None and (share := cpu_share()) != threads:
                _send(proc, f"{THREADS_LINE} {share}")
                threads = share
            if stop_sent_at is not None and time.monotonic() - stop_sent_at > KILL_AFTER_STOP_S:
                log.error("Training worker %s ignored stop for %.0f s: killed", proc.pid, KILL_AFTER_STOP_S)
                proc.kill()
            try:
                message = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if message is None:
                break
            if message.get("type") in PROTOCOL_EVENTS:
                outcome = message
                continue
            for fn in callbacks or []:
                fn(message)
        code = proc.wait()
        if outcome is None:
            log.error("Training worker ended with exit code %s; its log:\n%s", code, _worker_log_tail(folder))
            why = " (killed: the server may have run out of memory)" if code in (-9, 137) else ""
            raise TextVAEError(f"The training process ended unexpectedly with exit code {code}{why}.")
        raise_for_outcome(outcome, "Training worker")
        return load_result(outcome["path"]), None
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- the worker's side


def _watch_stdin(stop: threading.Event, parent_gone: threading.Event, threads: list[int]) -> None:
    """``stop`` on stdin, or stdin closing (the parent is gone), stops the training; ``threads N`` is noted in
    ``threads`` for the training thread to apply (torch's thread count is set by the thread that computes)."""
    for line in sys.stdin:
        words = line.split()
        if words == [STOP_LINE]:
            break
        if len(words) == 2 and words[0] == THREADS_LINE and words[1].isdigit():
            threads.append(max(1, int(words[1])))
    else:
        parent_gone.set()
    stop.set()


def applying_threads(emit: Callable[[dict], None], threads: list[int]) -> Callable[[dict], None]:
    """``emit``, which first applies the latest requested thread count (it runs on the training thread)."""
    import torch

    def emit_and_adjust(message: dict) -> None:
        if threads and threads[-1] != torch.get_num_threads():
            torch.set_num_threads(threads[-1])
        emit(message)

    return emit_and_adjust


def run_job(
    folder: Path, emit: Callable[[dict], None], stop: threading.Event, parent_gone: threading.Event | None = None
) -> None:
    """Read the job, train, save the result; every outcome is emitted as one protocol message.

    When the parent is gone nobody will collect the result: the job's folder is removed instead.
    """
    from .bundle import load_bundle, save_bundle
    from .pipeline import train_model

    try:
        job = json.loads((folder / JOB_FILE).read_text(encoding="utf-8"))
        base = load_bundle(job["base"]) if job.get("base") else None
        bundle, _ = train_model(
            _corpus_from(job["corpus"]),
            _corpus_from(job.get("valid")),
            model=job.get("model") or None,
            training=TrainConfig.from_dict(job["training"]),
            tokenizer=TokenizerConfig(**job["tokenizer"]),
            callbacks=[emit],
            stop=stop,
            name=job.get("name"),
            base=base,
        )
        if parent_gone is not None and parent_gone.is_set():
            shutil.rmtree(folder, ignore_errors=True)
            return
        path = save_bundle(bundle, folder / RESULT_DIR)
        emit({"type": "result", "path": str(path)})
    except TextVAEError as exc:
        emit({"type": "error", "kind": "user", "message": str(exc)})
    except Exception as exc:
        emit(
            {
                "type": "error",
                "kind": "crash",
                "message": f"{type(exc).__name__}: {exc}",
                "trace": traceback.format_exc(),
            }
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m textvae.worker JOB_FOLDER (started by textvae.worker.train_in_worker)", file=sys.stderr)
        return 2
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints go to the log, not into the protocol
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(WORKER_NICENESS)
    lock = threading.Lock()

    def emit(message: dict) -> None:
        with lock:
            protocol.write(json.dumps(message) + "\n")

    stop, parent_gone, threads = threading.Event(), threading.Event(), []
    watch = threading.Thread(
        target=_watch_stdin, args=(stop, parent_gone, threads), daemon=True, name="textvae-worker-stdin"
    )
    watch.start()
    run_job(Path(argv[0]), applying_threads(emit, threads), stop, parent_gone)
    protocol.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
