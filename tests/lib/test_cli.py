"""The command-line contract of issue 2, exercised through real subprocesses."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "textvae", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def model_dir(corpus_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "model"
    proc = run(
        "train",
        str(corpus_file),
        "--out",
        str(out),
        "--epochs",
        "2",
        "--latent-dim",
        "8",
        "--hidden",
        "48",
        "--embed",
        "32",
        "--kl-schedule",
        "linear",
        "--lr-schedule",
        "cosine",
        "--free-bits",
        "0.2",
        "--word-dropout",
        "0.1",
        "--batch-size",
        "16",
        "--seed",
        "3",
        "--device",
        "cpu",
        "--precision",
        "fp32",
        "--max-minutes",
        "5",
        "--threads",
        "1",
        "--name",
        "CLI model",
    )
    assert "seed 3" in proc.stderr and "saved" in proc.stderr
    assert "same model, unless the time budget stops it" in proc.stderr  # a --max-minutes run says when it repeats
    assert "device: cpu, precision: fp32 (asked for)" in proc.stderr
    return out


def test_train_writes_a_bundle(model_dir):
    assert {p.name for p in model_dir.iterdir()} >= {
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "metrics.json",
    }
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model"]["latent_dim"] == 8 and config["model"]["hidden_dim"] == 48 and "torch_version" in config
    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert metrics["name"] == "CLI model" and metrics["training"]["lr_schedule"] == "cosine"
    assert metrics["training"]["precision"] == "fp32" and metrics["result"]["precision"] == "fp32"


def test_evaluate_json_has_every_key(model_dir, corpus_file):
    metrics = json.loads(run("evaluate", str(model_dir), str(corpus_file), "--iw-samples", "3", "--json").stdout)
    assert {"elbo", "recon", "kl", "nll_iw", "ppl", "mi", "au", "recon_token_acc", "bleu", "n_sentences"} <= set(
        metrics
    )
    assert metrics["n_sentences"] == 400


def test_sample_prints_one_sentence_a_line_reproducibly(model_dir):
    first = run(
        "sample", str(model_dir), "-n", "4", "--temperature", "0.9", "--top-k", "20", "--top-p", "0.9", "--seed", "5"
    ).stdout
    again = run(
        "sample", str(model_dir), "-n", "4", "--temperature", "0.9", "--top-k", "20", "--top-p", "0.9", "--seed", "5"
    ).stdout
    assert first == again and len(first.strip().splitlines()) == 4
    assert len(run("sample", str(model_dir), "-n", "2", "--beam", "3").stdout.strip().splitlines()) == 2


def test_sample_near_a_corpus_draws_where_its_sentences_lie(model_dir, corpus_file):
    near = run("sample", str(model_dir), "-n", "4", "--seed", "5", "--near", str(corpus_file))
    again = run("sample", str(model_dir), "-n", "4", "--seed", "5", "--near", str(corpus_file))
    assert near.stdout == again.stdout and len(near.stdout.strip().splitlines()) == 4
    assert "codes drawn where" in near.stderr and str(corpus_file) in near.stderr


def test_interpolate_prints_the_steps_from_a_to_b(model_dir):
    a, b = "The cat sees the river.", "A young girl paints a red car."
    lines = run("interpolate", str(model_dir), a, b, "--steps", "5", "--method", "linear").stdout.strip().splitlines()
    recon = run("reconstruct", str(model_dir), a, b).stdout.strip().splitlines()
    assert len(lines) == 5 and lines[0] == recon[0] and lines[-1] == recon[1]


def test_reconstruct_prints_one_line_per_input(model_dir):
    assert (
        len(
            run(
                "reconstruct", str(model_dir), "The cat sees the river.", "A dog finds a tall tree.", "zebra"
            ).stdout.splitlines()
        )
        == 3
    )


def test_encode_writes_posterior_means(model_dir, corpus_file, tmp_path):
    out = tmp_path / "z.npy"
    run("encode", str(model_dir), str(corpus_file), "--out", str(out))
    assert np.load(out).shape == (400, 8)


@pytest.mark.parametrize(("method", "dims"), [("pca", 2), ("tsne", 2), ("pca", 3)])
def test_map_writes_the_app_map_as_csv(model_dir, corpus_file, tmp_path, method, dims):
    import csv

    out = tmp_path / "map.csv"
    args = ["--method", method, "--dims", str(dims), "--limit", "120", "--clusters", "4"]
    run("map", str(model_dir), str(corpus_file), "--out", str(out), *args)
    with open(out, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 120 and list(rows[0]) == ["sentence", *"xyz"[:dims], "cluster", "cluster_label"]
    assert {int(r["cluster"]) for r in rows} <= {1, 2, 3, 4} and all(np.isfinite(float(r["x"])) for r in rows)
    names = {r["cluster"]: r["cluster_label"] for r in rows}
    assert all(len(name.split(", ")) == 3 for name in names.values())  # the cluster's top 3 words
    assert all(names[r["cluster"]] == r["cluster_label"] for r in rows)  # one name a cluster
    sentences = set(Path(corpus_file).read_text().splitlines())
    assert all(r["sentence"] in sentences for r in rows)


def test_map_is_the_same_for_the_same_seed(model_dir, corpus_file, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (a, b):
        run("map", str(model_dir), str(corpus_file), "--out", str(out), "--limit", "50")
    assert a.read_text() == b.read_text()


@pytest.mark.parametrize(
    "args",
    [
        ["train", "missing.txt", "--out", "x"],
        ["sample", "no-such-model"],
        ["train", "README.md", "--out", "x", "--epochs", "-1"],
        ["sample", "."],
        ["interpolate", "no-such-model", "a", "b", "--steps", "1"],
        ["frobnicate"],
    ],
)
def test_bad_arguments_give_one_line_and_a_nonzero_exit(args):
    proc = run(*args, check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("error:")


def test_split_lines_keeps_a_long_multi_sentence_line_whole(model_dir, tmp_path):
    long_line = " ".join(["The cat sat on the mat. The dog ran to the park."] * 8)  # > 300 characters: auto splits it
    path = tmp_path / "long.txt"
    path.write_text("A short line.\n" + long_line + "\n")
    auto = json.loads(run("evaluate", str(model_dir), str(path), "--iw-samples", "2", "--json").stdout)
    lines = json.loads(
        run("evaluate", str(model_dir), str(path), "--iw-samples", "2", "--json", "--split", "lines").stdout
    )
    assert lines["n_sentences"] == 2 and auto["n_sentences"] > 2


def _train_args(*extra: str):
    from textvae.cli import build_parser

    return build_parser().parse_args(["train", "corpus.txt", "--out", "model", *extra])


@pytest.mark.parametrize("key", ["quick", "balanced", "best"])
def test_train_preset_builds_exactly_the_presets_configs(key):
    from textvae import TokenizerConfig, TrainConfig
    from textvae.cli import train_settings
    from textvae.presets import PRESETS

    preset = PRESETS[key]
    model, training, tokenizer = train_settings(_train_args("--preset", key))
    assert (model, training, tokenizer) == (
        preset.model,
        TrainConfig(**preset.training),
        TokenizerConfig(**preset.tokenizer),
    )


def test_flags_given_override_the_preset_and_without_one_the_configs_defaults_apply():
    from textvae import TokenizerConfig, TrainConfig
    from textvae.cli import train_settings
    from textvae.presets import PRESETS

    model, training, tokenizer = train_settings(
        _train_args(
            "--preset",
            "best",
            "--latent-dim",
            "8",
            "--no-bn-vae",
            "--no-bidirectional",
            "--lr",
            "0.01",
            "--tokenizer",
            "bpe",
        )
    )
    assert model == {**PRESETS["best"].model, "latent_dim": 8, "bn_vae": False, "bidirectional": False}
    assert training == TrainConfig(**{**PRESETS["best"].training, "lr": 0.01})
    assert tokenizer == TokenizerConfig(**{**PRESETS["best"].tokenizer, "kind": "bpe"})
    assert train_settings(_train_args()) == ({}, TrainConfig(), TokenizerConfig())
    assert train_settings(_train_args("--bn-vae", "--epochs", "3"))[:2] == ({"bn_vae": True}, TrainConfig(epochs=3))


def test_every_train_default_shown_is_the_configs_default():
    from textvae import TrainConfig
    from textvae.cli.parser import TRAIN_FLAGS

    help_text = " ".join(run("train", "--help").stdout.split())
    assert f"(default: {TrainConfig.epochs})" in help_text
    for flag in TRAIN_FLAGS:
        assert flag.name in help_text
        assert flag.default is None or "default:" in flag.help or f"(default: {flag.default})" in help_text


def test_any_words_and_any_shape_turn_the_display_guards_off_and_they_are_on_by_default():
    from textvae.cli.commands import decode_options
    from textvae.cli.parser import build_parser

    parse = build_parser().parse_args
    default = decode_options(parse(["sample", "m", "--temperature", "0.8"]))
    assert default.known_words is True and default.sentence_shape is True
    assert decode_options(parse(["sample", "m", "--temperature", "0.8", "--any-words"])).known_words is False
    for argv in (["sample", "m"], ["reconstruct", "m", "A sentence."], ["interpolate", "m", "One.", "Two."]):
        assert decode_options(parse([*argv, "--any-shape"])).sentence_shape is False


def test_sampling_defaults_to_temperature_0_8_and_1_is_the_models_own_distribution():
    from textvae.cli.commands import decode_options
    from textvae.cli.parser import build_parser

    parse = build_parser().parse_args
    default = decode_options(parse(["sample", "m"]))
    assert (default.method, default.temperature) == ("sample", 0.8)
    own = decode_options(parse(["interpolate", "m", "a", "b", "--temperature", "1"]))
    assert (own.method, own.temperature) == ("sample", 1.0)  # a temperature given means sampling
    assert decode_options(parse(["interpolate", "m", "a", "b"])).method == "greedy"
