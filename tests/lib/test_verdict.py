"""The end-of-training message says when the time budget cut training short and what the held-out numbers mean."""

from __future__ import annotations

import pytest

from textvae.verdict import budget_note, early_stop_note, quality_note, verdict


def metrics(reason="completed", acc=0.3, kl=5.0, epochs_done=3):
    return {
        "result": {"reason": reason, "epochs_done": epochs_done},
        "training": {"max_minutes": 1.0, "epochs": 20, "patience": 3},
        "valid": {"recon_token_acc": acc, "kl": kl},
    }


def test_a_time_budget_that_cut_training_short_is_said_with_the_epoch():
    assert (
        budget_note(metrics("time_limit", epochs_done=3))
        == "The 1-minute time budget stopped training in epoch 4 of 20."
    )
    assert budget_note(metrics("completed")) is None
    assert budget_note(metrics("early_stopping")) is None


@pytest.mark.parametrize(
    ("acc", "kl", "words"),
    [
        (0.05, 5.0, "rough"),
        (0.25, 5.0, "gist"),
        (0.6, 5.0, "interpolations should read well"),
        (0.4, 0.1, "posterior collapse"),
    ],
)
def test_the_quality_note_follows_the_held_out_reconstruction_accuracy_and_kl(acc, kl, words):
    note = quality_note(metrics(acc=acc, kl=kl))
    assert f"{acc:.0%}" in note and words in note


def test_the_verdict_joins_both_and_survives_missing_metrics():
    assert verdict(metrics("time_limit", acc=0.05)).startswith("The 1-minute time budget")
    assert verdict({}) == "No held-out reconstructions were measured."


def test_early_stopping_is_said_with_its_reason():
    note = early_stop_note(metrics("early_stopping", epochs_done=2))
    assert note.startswith("Stopped early after 2 full epochs of 20") and "for 3 validations" in note
    assert early_stop_note(metrics("time_limit")) is None and early_stop_note(metrics("completed")) is None
    assert verdict(metrics("early_stopping", acc=0.05)).startswith("Stopped early")
