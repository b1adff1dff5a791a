"""The two training back ends: local worker processes (textvae.worker) and a Ray cluster (textvae.ray_executor).

What a job relies on is tested on both; the Ray cluster is a local Ray instance started here."""

from __future__ import annotations

import sys
import threading

import pytest

from tests.helpers import TINY_MODEL, make_sentences
from textvae import Corpus, TextVAEError, TokenizerConfig, TrainConfig, jobs
from textvae.jobs import JobStatus, TrainingJob, TrainingSlots
from textvae.pipeline import train_model
from textvae.ray_executor import ADDRESS_VARIABLE, connect, train_on_ray
from textvae.worker import train_in_worker

CORPUS = Corpus(make_sentences(200), name="tiny.txt")
TOKENIZER = TokenizerConfig(vocab_size=200)
TRAINING = TrainConfig(epochs=1, batch_size=16, threads=1)


@pytest.fixture(scope="module")
def cluster():
    """A local Ray instance for this module, as TEXTVAE_RAY_ADDRESS=local starts one."""
    ray = connect("local")
    yield ray
    ray.shutdown()


def test_without_the_setting_trainings_run_in_local_workers(monkeypatch):
    monkeypatch.delenv(ADDRESS_VARIABLE, raising=False)
    assert jobs.default_executor() is train_in_worker
    monkeypatch.setenv(ADDRESS_VARIABLE, "auto")
    assert jobs.default_executor() is train_on_ray


def test_a_job_trains_on_the_cluster_and_its_bundle_comes_back(cluster, monkeypatch):
    monkeypatch.setenv(ADDRESS_VARIABLE, "local")
    job = TrainingJob(
        CORPUS, model=TINY_MODEL, training=TRAINING, tokenizer=TOKENIZER, name="on ray", slots=TrainingSlots(1)
    ).start()
    assert job.join(300)
    assert job.status == JobStatus.DONE, job.error
    assert job.events[0]["type"] == "start" and job.last("end")["reason"] == "completed"
    bundle = job.result
    assert bundle.name == "on ray" and bundle.path is None and bundle.metrics["result"]["steps"] >= 1
    assert bundle.tokenizer.encode(CORPUS.sentences[0])


@pytest.fixture(params=["worker", "ray"])
def executor(request):
    """Each back end, called as a job calls it."""
    if request.param == "ray":
        request.getfixturevalue("cluster")
        return train_on_ray
    return train_in_worker


def test_stop_reaches_the_training_and_its_best_weights_come_back(executor):
    stop = threading.Event()

    def stop_after_first_step(event: dict) -> None:
        if event["type"] == "step":
            stop.set()

    bundle, _ = executor(
        CORPUS,
        model=TINY_MODEL,
        training=TrainConfig(epochs=500, batch_size=16, threads=1, log_every=1),
        tokenizer=TOKENIZER,
        callbacks=[stop_after_first_step],
        stop=stop,
    )
    assert bundle.metrics["result"]["reason"] == "stopped" and bundle.metrics["result"]["epochs_done"] < 500
    assert bundle.path is None  # its folder was temporary


def test_a_library_error_is_raised_with_its_message(executor):
    with pytest.raises(TextVAEError, match="training needs at least"):
        executor(Corpus(make_sentences(5)), model=TINY_MODEL, tokenizer=TOKENIZER)


def test_a_killed_training_is_a_clear_error_not_a_hang(cluster):
    with pytest.raises(TextVAEError, match="Ray cluster ended unexpectedly"):
        train_on_ray(
            CORPUS,
            model=TINY_MODEL,
            training=TrainConfig(epochs=500, batch_size=16, threads=1),
            tokenizer=TOKENIZER,
            on_actor=cluster.kill,
        )


def test_fine_tuning_sends_the_base_model_to_the_cluster(cluster):
    base, _ = train_model(CORPUS, model=TINY_MODEL, training=TRAINING, tokenizer=TOKENIZER)
    tuned, _ = train_on_ray(Corpus(make_sentences(120, seed=1)), training=TRAINING, base=base)
    assert tuned.config == base.config and tuned.metrics["base"] == base.name
    assert tuned.tokenizer.to_json() == base.tokenizer.to_json()


def test_without_ray_installed_the_setting_gets_a_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails
    with pytest.raises(TextVAEError, match=r"pip install -r requirements-ray\.txt"):
        train_on_ray(CORPUS, model=TINY_MODEL, tokenizer=TOKENIZER)


def test_the_train_page_says_a_training_runs_on_the_cluster(monkeypatch):
    from studio.jobs import job_status_line

    monkeypatch.setenv(ADDRESS_VARIABLE, "auto")
    job = TrainingJob(CORPUS, slots=TrainingSlots(1))
    job.status = JobStatus.RUNNING
    assert job.on_ray and "Ray cluster" in job_status_line(job)
    monkeypatch.delenv(ADDRESS_VARIABLE)
    local = TrainingJob(CORPUS, slots=TrainingSlots(1))
    local.status = JobStatus.RUNNING
    assert not local.on_ray and job_status_line(local) == "Preparing: tokenising and building the model…"


def test_local_starts_its_own_instance_and_never_joins_a_cluster_found_on_the_machine(monkeypatch):
    import ray

    calls = []
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", lambda **options: calls.append(options))
    connect("local")  # unsaid, Ray joins whatever /tmp/ray/ray_current_cluster or a running GCS points to
    assert calls[0]["address"] == "local" and "object_store_memory" in calls[0]
    connect("10.0.0.5:6379")
    assert calls[1]["address"] == "10.0.0.5:6379" and "object_store_memory" not in calls[1]
