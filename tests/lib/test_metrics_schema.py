"""A malformed metrics.json loads with its bad values dropped, so no page breaks on it."""

from __future__ import annotations

import json

from tests.helpers import TINY_MODEL, make_sentences
from textvae import Corpus, TokenizerConfig, TrainConfig, load_bundle, save_bundle, train_model
from textvae.metrics_schema import clean_metrics
from textvae.verdict import verdict


def test_values_of_the_wrong_type_are_dropped_and_the_rest_kept():
    metrics = {
        "name": "ok",
        "valid": {"elbo": 50.0, "kl": "oops", "au": 3, "kl_per_dim": ["a"], "mi": float("nan"), "x": [1.0, 2]},
        "training": {"epochs": 3, "lr": [1e-3], "nested": {"a": 1}},
        "result": "not an object",
        "history": [{"type": "step", "loss": 1.0}, "junk", {"loss": 2.0}, {"type": "valid", "bad": {"a": 1}}],
        "base_sources": [{"name": "snli", "sentences": 10}],
    }
    cleaned = clean_metrics(metrics)
    assert cleaned["valid"] == {"elbo": 50.0, "au": 3, "x": [1.0, 2]}
    assert cleaned["training"] == {"epochs": 3, "lr": [1e-3]}
    assert cleaned["result"] == {} and cleaned["name"] == "ok"
    assert cleaned["history"] == [{"type": "step", "loss": 1.0}]
    assert cleaned["base_sources"] == metrics["base_sources"]
    assert clean_metrics({"valid": "oops", "name": 5}) == {"valid": {}}


def test_a_bundle_with_a_malformed_metrics_file_loads_and_reads(tmp_path):
    bundle, _ = train_model(
        Corpus(make_sentences(60)),
        model=TINY_MODEL,
        training=TrainConfig(epochs=1, batch_size=16, threads=1),
        tokenizer=TokenizerConfig(vocab_size=150),
    )
    folder = save_bundle(bundle, tmp_path / "b")
    (folder / "metrics.json").write_text(json.dumps({"valid": "oops", "result": {"reason": 3}, "history": 7}))
    loaded = load_bundle(folder)
    assert loaded.metrics == {"valid": {}, "result": {"reason": 3}, "history": []}
    assert verdict(loaded.metrics) == "No held-out reconstructions were measured."


def test_names_lose_control_and_direction_characters():
    assert clean_metrics({"name": "my\u202emodel\x00"})["name"] == "mymodel"
    assert clean_metrics({"name": "\x00\u2066"})["name"] == "model"
