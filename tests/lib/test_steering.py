"""Attribute vectors: the direction between two labels' mean codes, the far end, the path, the map axis, the CLI."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import make_sentences
from textvae import TextVAEError, reconstruct
from textvae.steering import attribute_direction, direction_projection, steer, steering_codes

ROOT = Path(__file__).resolve().parents[2]


def blobs(n: int = 200, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Two labels whose codes differ by 2 along the first axis, with unit spread."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(2 * n, 4))
    z[n:, 0] += 2.0
    return z, ["neg"] * n + ["pos"] * n


def test_the_direction_runs_from_the_source_mean_to_the_target_mean():
    z, labels = blobs()
    d = attribute_direction(z, labels, "neg", "pos")
    assert d.sizes == (200, 200)
    assert d.vector[0] == pytest.approx(2.0, abs=0.25) and np.abs(d.vector[1:]).max() < 0.3
    assert d.coordinate(d.source_mean)[0] == pytest.approx(0.0) and d.coordinate(d.target_mean)[0] == pytest.approx(1)
    # 90% of the target codes lie before the far end's coordinate: about 1 + 1.28 spreads of 1/2
    assert 1.4 < d.target_reach < 2.0
    assert np.mean(d.coordinate(z[200:]) <= d.target_reach) == pytest.approx(0.9, abs=0.01)


def test_the_far_end_reaches_the_target_region_and_moves_at_least_one_difference():
    z, labels = blobs()
    d = attribute_direction(z, labels, "neg", "pos")
    assert d.scale(d.source_mean - d.vector) == pytest.approx(d.target_reach + 1)
    # a typical source sentence moves from about 0 to target_reach; one already beyond moves as far
    assert d.typical_move == pytest.approx(d.target_reach, abs=0.1)
    assert d.scale(d.target_mean + 5 * d.vector) == d.typical_move
    start = d.source_mean - d.vector
    amounts, codes, k = steering_codes(start, d, 5)
    assert amounts.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0] and np.allclose(codes[0], start)
    assert d.coordinate(codes[-1])[0] == pytest.approx(d.target_reach) and k == pytest.approx(d.target_reach + 1)
    assert np.all(np.diff(d.coordinate(codes)) > 0)


@pytest.mark.parametrize(
    ("labels", "source", "target", "message"),
    [
        (["neg", "pos"] * 3, "neg", "neg", "two different labels"),
        (["neg"] * 5 + ["pos"], "neg", "pos", "'pos' has 1 sentences"),
        (["neg", "pos"] * 3, "neg", "happy", "'happy' has 0 sentences"),
        (["neg", "pos"], "neg", "pos", "2 labels for 6 codes"),
    ],
)
def test_unusable_labels_are_explained(labels, source, target, message):
    with pytest.raises(TextVAEError, match=message):
        attribute_direction(np.arange(24.0).reshape(6, 4), labels, source, target)


def test_the_map_axis_is_the_coordinate_along_the_direction():
    z, labels = blobs()
    d = attribute_direction(z, labels, "neg", "pos")
    proj = direction_projection(z, d, dims=3)
    assert proj.coords.shape == (400, 3) and np.allclose(proj.coords[:, 0], d.coordinate(z))
    assert np.allclose(proj.transform(z[:3]), proj.coords[:3])
    assert abs(np.corrcoef(proj.coords[:, 0], proj.coords[:, 1])[0, 1]) < 0.1  # y is what the direction leaves


def night(sentence: str) -> str:
    return "night" if sentence.endswith("at night.") else "day"


def test_steer_decodes_the_path_from_the_sentences_own_code(trained):
    bundle, _, corpus = trained
    from textvae.latent import encode_corpus

    z = encode_corpus(bundle.model, bundle.tokenizer, corpus.sentences)
    d = attribute_direction(z, [night(s) for s in corpus.sentences], "day", "night")
    path = steer(bundle.model, bundle.tokenizer, "The cat sees the river.", d, steps=4)
    assert len(path.sentences) == 4 and path.amounts == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert path.sentences[0] == reconstruct(bundle.model, bundle.tokenizer, ["The cat sees the river."])[0]
    assert path.z.shape == (4, bundle.config.latent_dim) and path.scale >= 1.0
    with pytest.raises(TextVAEError, match="between 2 and 100 steps"):
        steer(bundle.model, bundle.tokenizer, "The cat sees the river.", d, steps=1)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "textvae", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_the_steer_command_prints_one_step_a_line(trained, tmp_path):
    _, directory, _ = trained
    table = tmp_path / "labelled.csv"
    with open(table, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "mood"])
        writer.writerows((s, night(s)) for s in make_sentences(200))
    common = [str(directory), str(table), "The cat sees the river.", "--label-column", "mood", "--from", "day"]
    proc = run_cli("steer", *common, "--to", "night", "--steps", "6")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip().splitlines()) == 6
    assert "mean of" in proc.stderr and "'night'" in proc.stderr and "times it" in proc.stderr
    bad = run_cli("steer", *common, "--to", "dusk")
    assert bad.returncode == 2 and bad.stderr.startswith("error: The label 'dusk' has 0 sentences")
    assert len(bad.stderr.strip().splitlines()) == 1


def test_the_steering_benchmark_measures_both_directions(trained, tmp_path):
    import argparse

    from benchmarks.steering import run

    _, directory, _ = trained
    table = tmp_path / "labelled.csv"
    with open(table, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("text", "label"), *((s, night(s)) for s in make_sentences(200))])
    args = argparse.Namespace(
        model=str(directory),
        corpus=str(table),
        label_column="label",
        source="day",
        target="night",
        steps=5,
        reach=0.9,
        limit=10,
        seed=0,
    )
    result = run(args)
    assert result["train_sentences"] == 160 and 0.0 <= result["classifier_test_accuracy"] <= 1.0
    for key in ("day->night", "night->day"):
        measured = result[key]
        assert measured["test_sentences"] == 10 and 1.0 <= measured["mean_distinct"] <= 5.0
        assert measured["code_end_is_target"] >= 0.8  # the far end lies where the classifier says "target"
        assert 0.0 <= measured["text_moves"] <= measured["text_end_is_target"] <= 1.0
        assert all(len(e["path"]) == 5 for e in measured["examples"])
    assert len(result["example"]["path"]) == 5
