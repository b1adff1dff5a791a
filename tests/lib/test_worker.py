"""textvae.worker: training in a child process, its line protocol, stop, errors and crashes."""

from __future__ import annotations

import io
import json
import sys
import threading

import pytest

from tests.helpers import TINY_MODEL, make_sentences
from textvae import Corpus, TextVAEError, TokenizerConfig, TrainConfig
from textvae.pipeline import train_model
from textvae.worker import JOB_FILE, _watch_stdin, applying_threads, job_data, run_job, train_in_worker, write_job

CORPUS = Corpus(make_sentences(200), name="tiny.txt")
TOKENIZER = TokenizerConfig(vocab_size=200)


def test_a_worker_trains_and_relays_every_event():
    events: list[dict] = []
    bundle, trainer = train_in_worker(
        CORPUS,
        model=TINY_MODEL,
        training=TrainConfig(epochs=1, batch_size=16, threads=1),
        tokenizer=TOKENIZER,
        callbacks=[events.append],
        name="in a worker",
    )
    assert trainer is None and bundle.name == "in a worker" and bundle.path is None
    assert events[0]["type"] == "start" and events[-1]["type"] == "end"
    assert bundle.metrics["result"]["steps"] == events[-1]["steps"]
    assert bundle.tokenizer.encode(CORPUS.sentences[0])  # a usable tokenizer came back


def test_a_killed_worker_is_a_clear_error_not_a_hang():
    def kill_it(proc) -> None:
        proc.kill()

    with pytest.raises(TextVAEError, match="ended unexpectedly"):
        train_in_worker(CORPUS, model=TINY_MODEL, tokenizer=TOKENIZER, on_process=kill_it)


def test_fine_tuning_a_base_that_is_not_on_disk(tmp_path):
    base, _ = train_model(
        CORPUS, model=TINY_MODEL, training=TrainConfig(epochs=1, batch_size=16, threads=1), tokenizer=TOKENIZER
    )
    assert base.path is None
    tuned, _ = train_in_worker(
        Corpus(make_sentences(120, seed=1)), training=TrainConfig(epochs=1, batch_size=16, threads=1), base=base
    )
    assert tuned.config == base.config and tuned.metrics["base"] == base.name
    assert tuned.tokenizer.to_json() == base.tokenizer.to_json()


def test_a_worker_whose_parent_is_gone_leaves_nothing_behind(tmp_path):
    write_job(tmp_path, job_data(CORPUS, None, TINY_MODEL, TrainConfig(epochs=1, batch_size=16), TOKENIZER, "x", None))
    assert json.loads((tmp_path / JOB_FILE).read_text())["corpus"]["name"] == "tiny.txt"
    said: list[dict] = []
    gone = threading.Event()
    gone.set()
    run_job(tmp_path, said.append, threading.Event(), gone)
    assert not tmp_path.exists() and not [m for m in said if m["type"] in ("result", "error")]


def test_the_worker_reads_stop_and_thread_counts_from_its_stdin(monkeypatch):
    stop, gone, threads = threading.Event(), threading.Event(), []
    monkeypatch.setattr(sys, "stdin", io.StringIO("threads 3\nthreads x\nthreads 0\nstop\n"))
    _watch_stdin(stop, gone, threads)
    assert threads == [3, 1] and stop.is_set() and not gone.is_set()
    stop, gone = threading.Event(), threading.Event()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # the parent went away
    _watch_stdin(stop, gone, [])
    assert stop.is_set() and gone.is_set()


def test_a_requested_thread_count_is_applied_on_the_training_thread():
    import torch

    before = torch.get_num_threads()
    said: list[dict] = []
    try:
        applying_threads(said.append, [1])({"type": "step"})
        assert torch.get_num_threads() == 1 and said == [{"type": "step"}]
    finally:
        torch.set_num_threads(before)


def test_the_worker_is_told_its_share_of_the_cores():
    asked: list[int] = []

    def share() -> int:
        asked.append(1)
        return 1

    bundle, _ = train_in_worker(
        CORPUS,
        model=TINY_MODEL,
        training=TrainConfig(epochs=1, batch_size=16, threads=2),
        tokenizer=TOKENIZER,
        cpu_share=share,
    )
    assert asked and bundle.metrics["result"]["reason"] == "completed"
