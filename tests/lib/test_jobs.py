"""textvae.jobs: background training jobs, the server-wide cap and its queue, errors as messages."""

from __future__ import annotations

import threading
import time

import pytest

from tests.helpers import TINY_MODEL, make_sentences
from textvae import Corpus, TextVAEError, TokenizerConfig, TrainConfig, jobs, load_bundle
from textvae.bundle import new_bundle_folder, safe_folder_name
from textvae.jobs import JobStatus, TrainingJob, TrainingSlots

CORPUS = Corpus(make_sentences(200), name="tiny.txt")


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


class FakeTraining:
    """Stands in for train_model: emits events until released or stopped, then returns a marker."""

    def __init__(self, error: Exception | None = None):
        self.release = threading.Event()
        self.error = error
        self.calls = 0

    def __call__(self, corpus, valid, model, training, tokenizer, callbacks, stop, name, cpu_share=None):
        self.calls += 1
        for fn in callbacks:
            fn(
                {
                    "type": "start",
                    "total_steps": 10,
                    "steps_per_epoch": 5,
                    "epochs": 2,
                    "n_train": len(corpus),
                    "n_valid": 0,
                    "seed": 0,
                    "threads": 1,
                    "device": "cpu",
                    "parameters": 1,
                }
            )
        if self.error is not None:
            raise self.error
        step = 0
        while not (self.release.is_set() or stop.is_set()):
            step += 1
            for fn in callbacks:
                fn(
                    {
                        "type": "step",
                        "step": step,
                        "epoch": 1,
                        "loss": 1.0,
                        "recon": 1.0,
                        "kl": 0.5,
                        "elbo": 1.5,
                        "beta": 1.0,
                        "tokens_per_s": 100.0,
                        "elapsed_s": 0.1,
                        "eta_s": 1.0,
                        "progress": 0.5,
                    }
                )
            time.sleep(0.01)
        for fn in callbacks:
            fn({"type": "end", "reason": "stopped" if stop.is_set() else "completed", "steps": step, "elapsed_s": 0.1})
        return f"bundle-{name}", None


def fake_job(fake: FakeTraining, slots: TrainingSlots, name: str = "job", **kwargs) -> TrainingJob:
    return TrainingJob(CORPUS, name=name, slots=slots, train_fn=fake, **kwargs)


def test_job_runs_to_done_and_keeps_the_result():
    fake = FakeTraining()
    job = fake_job(fake, TrainingSlots(2)).start()
    wait_for(lambda: job.status == JobStatus.RUNNING and job.last("step") is not None)
    fake.release.set()
    assert job.join(10)
    assert job.status == JobStatus.DONE and job.result == "bundle-job" and job.error is None
    assert job.events[0]["type"] == "start" and job.last("end")["reason"] == "completed"


def test_stop_ends_a_running_job_and_keeps_its_model():
    job = fake_job(FakeTraining(), TrainingSlots(1)).start()
    wait_for(lambda: job.last("step") is not None)
    job.stop()
    assert job.join(10)
    assert job.status == JobStatus.STOPPED and job.result == "bundle-job" and job.stop_reason == "stopped by the user"


def test_jobs_over_the_cap_wait_in_arrival_order():
    slots = TrainingSlots(1)
    first, second, third = FakeTraining(), FakeTraining(), FakeTraining()
    a = fake_job(first, slots, "a").start()
    wait_for(lambda: a.status == JobStatus.RUNNING)
    b = fake_job(second, slots, "b").start()
    wait_for(lambda: slots.waiting == 1)
    c = fake_job(third, slots, "c").start()
    wait_for(lambda: slots.waiting == 2)
    assert (b.status, b.queue_ahead) == (JobStatus.QUEUED, 0)
    assert (c.status, c.queue_ahead) == (JobStatus.QUEUED, 1)
    first.release.set()
    wait_for(lambda: b.status == JobStatus.RUNNING)
    assert c.status == JobStatus.QUEUED and c.queue_ahead == 0 and third.calls == 0
    second.release.set()
    third.release.set()
    assert b.join(10) and c.join(10)
    assert (a.status, b.status, c.status) == (JobStatus.DONE, JobStatus.DONE, JobStatus.DONE)


def test_a_queued_job_can_be_stopped_before_it_starts():
    slots = TrainingSlots(1)
    running, waiting = FakeTraining(), FakeTraining()
    a = fake_job(running, slots, "a").start()
    wait_for(lambda: a.status == JobStatus.RUNNING)
    b = fake_job(waiting, slots, "b").start()
    wait_for(lambda: slots.waiting == 1)
    b.stop()
    assert b.join(10)
    assert b.status == JobStatus.STOPPED and b.result is None and waiting.calls == 0 and slots.waiting == 0
    running.release.set()
    assert a.join(10) and slots.running == 0


def test_a_job_stopped_while_it_waits_does_not_take_the_slot_that_frees_next():
    # stopped, then the slot frees: the waiting thread wakes to both at once, and the stop wins (before, it took
    # the slot and started a worker process for a training nobody wanted)
    import threading

    slots = TrainingSlots(1)
    holder = object()
    slots.acquire(holder, lambda: False)
    stopped = threading.Event()
    got: list[bool] = []
    waiter = threading.Thread(target=lambda: got.append(slots.acquire(object(), stopped.is_set, poll_s=30)))
    waiter.start()
    wait_for(lambda: slots.waiting == 1)
    stopped.set()
    slots.release(holder)  # wakes the waiting thread
    waiter.join(10)
    assert got == [False] and slots.running == 0 and slots.waiting == 0


def test_a_library_error_surfaces_as_its_message():
    job = fake_job(
        FakeTraining(TextVAEError("The corpus has 3 sentences; training needs at least 20.")), TrainingSlots(1)
    ).start()
    assert job.join(10)
    assert job.status == JobStatus.FAILED and job.error == "The corpus has 3 sentences; training needs at least 20."


def test_an_unexpected_crash_surfaces_as_a_message_not_a_traceback():
    job = fake_job(FakeTraining(RuntimeError("boom")), TrainingSlots(1)).start()
    assert job.join(10)
    assert job.status == JobStatus.FAILED and "RuntimeError: boom" in job.error and "Traceback" not in job.error


def test_a_failed_job_frees_its_slot():
    slots = TrainingSlots(1)
    fake_job(FakeTraining(TextVAEError("bad")), slots).start().join(10)
    assert slots.running == 0


def test_an_orphaned_job_stops_after_its_grace_period():
    job = fake_job(FakeTraining(), TrainingSlots(1)).start()
    wait_for(lambda: job.status == JobStatus.RUNNING)
    job.orphan(grace_s=0.05)
    assert job.join(10)
    assert job.status == JobStatus.STOPPED and job.stop_reason == "the browser session ended"


def test_adopting_an_orphaned_job_keeps_it_running():
    fake = FakeTraining()
    job = fake_job(fake, TrainingSlots(1)).start()
    wait_for(lambda: job.status == JobStatus.RUNNING)
    job.orphan(grace_s=0.2)
    job.adopt()
    time.sleep(0.4)
    assert job.status == JobStatus.RUNNING
    fake.release.set()
    assert job.join(10) and job.status == JobStatus.DONE


def test_the_lifetime_limit_stops_a_job():
    job = fake_job(FakeTraining(), TrainingSlots(1), max_lifetime_s=0.1).start()
    assert job.join(10)
    assert job.status == JobStatus.STOPPED and "limit" in job.stop_reason


def test_a_job_starts_only_once():
    fake = FakeTraining()
    fake.release.set()
    job = fake_job(fake, TrainingSlots(1)).start()
    with pytest.raises(RuntimeError):
        job.start()
    job.join(10)


def test_the_server_cap_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("TEXTVAE_MAX_TRAININGS", "3")
    monkeypatch.setattr(jobs, "_default_slots", None)
    assert jobs.default_slots().capacity == 3
    assert jobs.default_slots() is jobs.default_slots()


def test_model_names_become_safe_folder_names():
    assert safe_folder_name("../my model: v2!") == "my-model-v2"
    assert safe_folder_name("???") == "model"


def test_two_saves_of_one_name_in_the_same_second_get_two_folders(tmp_path):
    folders = [new_bundle_folder(tmp_path, "race") for _ in range(3)]
    assert len(set(folders)) == 3 and all(f.is_dir() and not any(f.iterdir()) for f in folders)
    assert folders[1].name == folders[0].name + "-2"  # the same second (or, rarely, the next one)


def test_a_model_that_cannot_be_saved_is_kept_and_the_reason_said(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    fake = FakeTraining()
    fake.release.set()
    job = fake_job(fake, TrainingSlots(1), save_dir=blocked).start()
    assert job.join(10)
    assert job.status == JobStatus.DONE and job.result == "bundle-job" and job.saved_path is None
    assert job.save_error and "could not be saved" in job.save_error


def test_a_real_training_saves_its_best_model(tmp_path):
    job = TrainingJob(
        CORPUS,
        model=TINY_MODEL,
        training=TrainConfig(epochs=2, batch_size=16, threads=1),
        tokenizer=TokenizerConfig(vocab_size=200),
        name="tiny run",
        save_dir=tmp_path,
        slots=TrainingSlots(1),
    ).start()
    assert job.join(120)
    assert job.status == JobStatus.DONE, job.error
    assert job.saved_path.parent == tmp_path and job.saved_path.name.startswith("tiny-run-")
    assert load_bundle(job.saved_path).name == "tiny run"
    kinds = {e["type"] for e in job.events}
    assert {"start", "valid", "end"} <= kinds


def test_a_job_status_is_a_string_for_the_app():
    assert [str(status) for status in JobStatus] == ["queued", "running", "done", "stopped", "failed"]
    assert JobStatus.QUEUED == "queued" and f"{JobStatus.FAILED}" == "failed"


def test_trainings_share_the_cores_unless_told_otherwise(monkeypatch):
    monkeypatch.setattr(jobs.os, "cpu_count", lambda: 8)
    assert jobs.with_fair_threads(TrainConfig(), 2).threads == 4
    assert jobs.with_fair_threads(TrainConfig(), 16).threads == 1
    assert jobs.with_fair_threads(TrainConfig(threads=3), 2).threads == 3
    assert TrainingJob(CORPUS, slots=TrainingSlots(4)).training.threads == 2


def test_a_lone_training_gets_every_core_and_two_share_them(monkeypatch):
    monkeypatch.setattr(jobs.os, "cpu_count", lambda: 4)
    slots = TrainingSlots(2)
    first, second = FakeTraining(), FakeTraining()
    a = fake_job(first, slots, "a").start()
    wait_for(lambda: a.status == JobStatus.RUNNING)
    assert slots.cpu_share() == 4
    b = fake_job(second, slots, "b").start()
    wait_for(lambda: b.status == JobStatus.RUNNING)
    assert slots.cpu_share() == 2
    first.release.set()
    second.release.set()
    assert a.join(10) and b.join(10)
