import itertools
import threading

import pytest
import torch

from tests.helpers import TINY_MODEL, make_sentences
from textvae import TextVAEError, TokenizerConfig, TrainConfig, train_model
from textvae.corpus import Corpus
from textvae.data import encode_sentences
from textvae.evaluation import reconstruction_quality
from textvae.schedules import COSINE_FLOOR

FIFTY = Corpus(make_sentences(50), name="fifty")
OVERFIT_MODEL = dict(TINY_MODEL, embed_dim=64, hidden_dim=128, latent_dim=16)


def _train(corpus=FIFTY, valid=FIFTY, model=None, **training):
    settings = dict(epochs=2, batch_size=10, threads=1, seed=0)
    settings.update(training)
    return train_model(
        corpus, valid, model or TINY_MODEL, TrainConfig(**settings), TokenizerConfig(kind="word", vocab_size=200)
    )


def test_fifty_sentences_are_reconstructed_with_90_percent_token_accuracy():
    bundle, _ = _train(
        model=OVERFIT_MODEL, epochs=60, free_bits=1.0, kl_schedule="constant", lr=3e-3, lr_schedule="constant"
    )
    accuracy, bleu = reconstruction_quality(
        bundle.model, bundle.tokenizer, encode_sentences(bundle.tokenizer, FIFTY.sentences, 64)
    )
    assert accuracy >= 0.9 and bleu > 70


def test_free_bits_keep_every_dimension_near_the_floor_instead_of_collapsing():
    # The hard floor has no restoring force from below and Adam overshoots it, so the KL
    # settles a little under lambda per dimension (measured: 70-90%); without free bits it collapses.
    floor, dims = 0.5, OVERFIT_MODEL["latent_dim"]
    bundle, _ = _train(model=OVERFIT_MODEL, epochs=20, free_bits=floor, kl_schedule="constant")
    collapsed, _ = _train(model=OVERFIT_MODEL, epochs=20, free_bits=0.0, kl_schedule="constant")
    kl = bundle.metrics["valid"]["kl_per_dim"]
    assert sum(kl) >= 0.6 * floor * dims and min(kl) >= 0.25 * floor
    assert sum(kl) > 3 * collapsed.metrics["valid"]["kl"]


def test_the_final_metrics_are_the_kept_weights_without_validating_them_again(monkeypatch):
    from textvae.evaluation import elbo_metrics
    from textvae.training import Trainer

    calls = []
    validate = Trainer.validate
    monkeypatch.setattr(Trainer, "validate", lambda self: calls.append(self.step) or validate(self))
    bundle, _ = _train(epochs=3, lr=3e-2)  # a high rate: some validations are no improvement
    assert len(calls) == 3  # one a round, none after the end
    valid_ids = encode_sentences(bundle.tokenizer, FIFTY.sentences, bundle.model.config.max_length)
    again = elbo_metrics(bundle.model, valid_ids, seed=0)
    assert bundle.metrics["valid"]["elbo"] == again["elbo"] and bundle.metrics["valid"]["au"] == again["au"]
    assert {"elbo", "recon", "kl", "kl_per_dim", "au", "recon_token_acc"} <= set(bundle.metrics["valid"])
    assert "step" not in bundle.metrics["valid"]


def test_events_are_plain_data_in_order():
    events = []
    bundle, _ = train_model(
        FIFTY,
        FIFTY,
        TINY_MODEL,
        TrainConfig(epochs=2, batch_size=10, log_every=1, threads=1),
        TokenizerConfig(kind="word", vocab_size=200),
        callbacks=[events.append],
    )
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("valid") == 2 and kinds.count("step") == 10
    step = next(e for e in events if e["type"] == "step")
    assert {"step", "epoch", "loss", "recon", "kl", "beta", "tokens_per_s", "eta_s", "progress"} <= set(step)
    assert step["threads"] == 1
    valid = next(e for e in events if e["type"] == "valid")
    assert len(valid["kl_per_dim"]) == TINY_MODEL["latent_dim"] and "au" in valid
    assert all(isinstance(v, (int, float, str, bool, list, dict, type(None))) for e in events for v in e.values())
    assert bundle.metrics["result"]["reason"] == "completed"


def test_same_seed_same_model_different_seed_different_model():
    a, _ = _train(seed=1)
    b, _ = _train(seed=1)
    c, _ = _train(seed=2)
    wa, wb, wc = (m.model.output.weight for m in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)


def test_a_stop_event_from_another_thread_ends_training():
    stop = threading.Event()

    def stop_after_first_step(event):
        if event["type"] == "step":
            stop.set()

    bundle, trainer = train_model(
        FIFTY,
        FIFTY,
        TINY_MODEL,
        TrainConfig(epochs=50, batch_size=10, log_every=1, threads=1),
        TokenizerConfig(kind="word", vocab_size=200),
        callbacks=[stop_after_first_step],
        stop=stop,
    )
    assert bundle.metrics["result"]["reason"] == "stopped" and trainer.step == 1


def test_time_limit_ends_training():
    bundle, trainer = _train(epochs=10_000, max_minutes=0.02)
    assert bundle.metrics["result"]["reason"] == "time_limit" and trainer.step < 10_000 * 5


def test_a_budget_smaller_than_one_step_still_trains_one_step():
    """On a starved machine the start (the first live-map frame included) can outlast a short budget."""
    bundle, trainer = _train(epochs=3, max_minutes=1e-7)
    assert bundle.metrics["result"]["reason"] == "time_limit" and trainer.step == 1


def test_best_model_by_validation_loss_is_kept():
    bundle, trainer = _train(epochs=4)
    best = trainer.best_valid
    assert best is not None and best["elbo"] == min(e["elbo"] for e in trainer.history if e["type"] == "valid")
    assert bundle.metrics["valid"]["elbo"] == pytest.approx(best["elbo"], rel=1e-4)


def test_early_stopping_after_patience_validations():
    # beta_max=0 and lr tiny: validation hardly moves, so patience runs out.
    bundle, trainer = _train(epochs=50, patience=1, lr=1e-9)
    assert bundle.metrics["result"]["reason"] == "early_stopping" and trainer.epoch < 50


def test_early_stopping_between_validations_stops_within_the_epoch():
    # valid_every=2: the patience runs out mid-epoch, and training stops there, not at the epoch's end
    bundle, trainer = _train(epochs=2, patience=1, lr=1e-9, valid_every=2)
    assert bundle.metrics["result"]["reason"] == "early_stopping" and trainer.steps_per_epoch == 5
    assert trainer.step % 2 == 0 and trainer.step % trainer.steps_per_epoch != 0


def test_autoencoder_pretraining_runs_first_then_resets_the_decoder():
    events = []
    train_model(
        FIFTY,
        FIFTY,
        TINY_MODEL,
        TrainConfig(epochs=1, pretrain_epochs=1, batch_size=10, log_every=1, threads=1),
        TokenizerConfig(kind="word", vocab_size=200),
        callbacks=[events.append],
    )
    phases = [e["phase"] for e in events if e["type"] == "step"]
    assert phases[:5] == ["pretrain"] * 5 and phases[5:] == ["train"] * 5
    assert all(e["beta"] == 0.0 for e in events if e["type"] == "step" and e["phase"] == "pretrain")


def test_resume_continues_from_the_saved_state(tmp_path):
    bundle, trainer = _train(epochs=1)
    state = trainer.training_state()
    resumed, trainer2 = train_model(
        FIFTY, FIFTY, None, TrainConfig(epochs=2, batch_size=10, threads=1), resume=bundle, resume_state=state
    )
    assert trainer2.step == 2 * trainer.step and resumed.metrics["result"]["epochs_done"] == 2


def test_too_small_corpus_says_the_minimum():
    with pytest.raises(TextVAEError, match="at least 20"):
        train_model(Corpus(make_sentences(5)))


def test_bad_training_settings_are_refused():
    with pytest.raises(TextVAEError):
        TrainConfig(epochs=0)
    with pytest.raises(TextVAEError):
        TrainConfig(kl_schedule="wavy")
    with pytest.raises(TextVAEError, match="lr_schedule"):
        TrainConfig(lr_schedule="step")


def test_fine_tuning_takes_its_own_learning_rate_and_only_a_valid_one():
    config = TrainConfig(lr=2e-3, fine_tune_lr=2.5e-4)
    assert config.for_base().lr == 2.5e-4 and config.lr == 2e-3 and TrainConfig(lr=2e-3).for_base().lr == 2e-3
    for bad in (0.0, 2.0, float("nan")):
        with pytest.raises(TextVAEError, match="fine_tune_lr"):
            TrainConfig(fine_tune_lr=bad)


def test_cosine_learning_rate_falls_from_lr_to_its_floor_and_training_follows_it():
    config = TrainConfig(lr=2e-3, lr_schedule="cosine")
    rates = [config.learning_rate(t / 10) for t in range(11)]
    assert rates[0] == pytest.approx(2e-3) and rates[-1] == pytest.approx(2e-3 * COSINE_FLOOR)
    assert all(a > b for a, b in itertools.pairwise(rates))
    assert (
        TrainConfig(lr=2e-3, lr_schedule="constant").learning_rate(0.9) == 2e-3
        and TrainConfig().lr_schedule == "cosine"
    )
    events = []
    train_model(
        FIFTY,
        FIFTY,
        TINY_MODEL,
        TrainConfig(epochs=2, batch_size=10, log_every=1, threads=1, lr=2e-3, lr_schedule="cosine"),
        TokenizerConfig(kind="word", vocab_size=200),
        callbacks=[events.append],
    )
    used = [e["lr"] for e in events if e["type"] == "step"]
    assert used[0] == pytest.approx(2e-3) and used[-1] < 2e-3 * 0.2 and used == sorted(used, reverse=True)
