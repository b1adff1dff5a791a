"""The live latent map's frames: recorded while training, thinned, saved in the bundle, checked on load."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import TINY_MODEL
from textvae import Corpus, TextVAEError, TrainConfig, load_bundle, load_corpus, save_bundle, train_model
from textvae.latent_history import MAX_SNAPSHOTS, LatentHistory, LatentRecorder, project_frames
from textvae.safe_files import LATENT_HISTORY


@pytest.fixture(scope="module")
def recorded(corpus_file):
    events = []
    bundle, trainer = train_model(
        load_corpus(corpus_file),
        model=TINY_MODEL,
        training=TrainConfig(epochs=2, batch_size=16, threads=1, seed=0, latent_every=5, lr_schedule="constant"),
        callbacks=[events.append],
    )
    return bundle, trainer, events


def test_frames_are_recorded_at_the_start_every_few_steps_and_at_the_end(recorded):
    bundle, trainer, events = recorded
    frames = [e for e in events if e["type"] == "latent"]
    steps = [e["step"] for e in frames]
    assert steps[0] == 0 and steps[1:-1] == list(range(5, trainer.step + 1, 5))[: len(steps) - 2]
    assert frames[-1].get("final") and frames[-1]["step"] == trainer.step
    assert "sentences" in frames[0] and all("sentences" not in e for e in frames[1:])
    n_valid = bundle.metrics["corpus"]["valid_sentences"]
    assert np.asarray(frames[3]["means"]).shape == (n_valid, TINY_MODEL["latent_dim"])
    history = bundle.latent_history
    assert history.steps == steps and history.sentences == frames[0]["sentences"]
    # the frames move: training changes the codes
    assert not np.allclose(history.stacked()[0], history.stacked()[-1], atol=1e-2)


def test_the_last_frame_is_the_kept_model_encoding_its_probe_sentences(recorded):
    from textvae.latent import encode_corpus

    bundle, _, _ = recorded
    history = bundle.latent_history
    expected = encode_corpus(bundle.model, bundle.tokenizer, history.sentences)
    np.testing.assert_allclose(history.stacked()[-1], expected, atol=2e-2)  # float16 storage


def test_the_history_is_saved_in_the_bundle_and_loaded_back(recorded, tmp_path):
    bundle, _, _ = recorded
    directory = save_bundle(bundle, tmp_path / "m")
    assert (directory / LATENT_HISTORY).is_file()
    loaded = load_bundle(directory).latent_history
    assert loaded.steps == bundle.latent_history.steps
    assert loaded.sentences == bundle.latent_history.sentences
    np.testing.assert_array_equal(loaded.stacked(), bundle.latent_history.stacked())


def test_a_history_that_does_not_match_the_model_is_refused_with_a_message(recorded, tmp_path):
    bundle, _, _ = recorded
    directory = save_bundle(bundle, tmp_path / "m")
    wrong = LatentHistory([0], [np.zeros((2, 3), np.float16)], ["a", "b"])  # latent size 3, the model has 8
    (directory / LATENT_HISTORY).write_bytes(wrong.to_bytes())
    with pytest.raises(TextVAEError, match=r"latent_history\.safetensors does not match"):
        load_bundle(directory)
    (directory / LATENT_HISTORY).write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{garbage")
    with pytest.raises(TextVAEError, match="corrupt"):
        load_bundle(directory)


def test_a_long_training_keeps_at_most_max_snapshots_spread_over_all_of_it():
    import torch

    from textvae import SentenceVAE, VAEConfig

    model = SentenceVAE(VAEConfig(vocab_size=20, embed_dim=8, hidden_dim=8, latent_dim=2))
    recorder = LatentRecorder([[5, 6, 7], [8, 9]], ["a b c", "d e"], every=1)
    torch.manual_seed(0)
    for step in range(0, 1000):
        if recorder.due(step):
            recorder.record(model, step)
    steps = recorder.history.steps
    assert len(steps) <= MAX_SNAPSHOTS and steps[0] == 0 and steps[-1] >= 900
    assert recorder.every > 1 and steps == sorted(steps)


def test_frames_share_one_projection_about_the_origin():
    frames = np.zeros((3, 4, 5), np.float32)
    frames[0] = np.eye(4, 5) * 3  # spread at first...
    frames[2] = 0.0  # ...then collapsed: drawn at the origin, not re-centred
    coords = project_frames(frames)
    assert coords.shape == (3, 4, 2)
    assert np.abs(coords[2]).max() == 0 and np.abs(coords[0]).max() > 1


def test_the_job_log_keeps_the_same_frames_as_the_recorder():
    """A training's event log and its recorder thin the live map alike: the app replays what the bundle keeps."""
    from textvae.jobs import TrainingJob

    job = TrainingJob(Corpus(["a b c"] * 20, name="t"), train_fn=lambda *a, **k: None)
    history = LatentHistory([], [], ["s"])
    for step in range(3 * MAX_SNAPSHOTS):
        means = np.full((1, 2), step, dtype=np.float32)
        job._record({"type": "latent", "step": step, "means": means})
        history.add(step, means)
        if len(history) > MAX_SNAPSHOTS:
            history.thin()
    logged = [e["step"] for e in job.events if e["type"] == "latent"]
    assert logged == history.steps and logged[0] == 0 and logged[-1] == 3 * MAX_SNAPSHOTS - 1
