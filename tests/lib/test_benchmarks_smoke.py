"""The PTB benchmark's modes run end to end on a tiny generated corpus (no ../shared needed)."""

import json

import numpy as np

from benchmarks import ptb
from benchmarks.ptb import main
from benchmarks.recipes import MAX_TOKENS, make_configs
from tests.helpers import TINY_MODEL, make_sentences
from textvae.bundle import load_bundle


def write_tiny_ptb(folder) -> None:
    sentences = [s.lower().replace(".", " .") for s in make_sentences(300)]
    for split, part in (("train", sentences[:200]), ("valid", sentences[200:250]), ("test", sentences[250:])):
        (folder / f"ptb.{split}.txt").write_text("".join(f" {s} \n" for s in part), encoding="utf-8")


def test_throughput_mode_prints_tokens_per_second_and_memory(tmp_path, capsys):
    write_tiny_ptb(tmp_path)
    assert (
        main(
            [
                "--data",
                str(tmp_path),
                "--mode",
                "throughput",
                "--threads",
                "1",
                "--seconds",
                "2",
                "--warmup",
                "0.5",
                "--profile-steps",
                "2",
                "--no-peak",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["tokens_per_s"] > 0 and result["peak_rss_mb"] > 0 and result["threads"] == 1
    assert result["profile"]["output_layer"]["gflop"] > 0


def test_full_mode_writes_results_and_a_readme_row(tmp_path, capsys, monkeypatch):
    write_tiny_ptb(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# results\n\n{ptb.TABLE_MARKER}\n| date | name |\n|---|---|\n\nafter the table\n", encoding="utf-8"
    )
    monkeypatch.setattr(ptb, "README", readme)
    monkeypatch.setattr(ptb, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(ptb, "RUNS_DIR", tmp_path / "runs")
    args = [
        "--data",
        str(tmp_path),
        "--mode",
        "full",
        "--config",
        "quick-demo",
        "--recipe",
        "quick-demo",
        "--threads",
        "1",
        "--epochs",
        "1",
        "--valid-every",
        "3",
        "--iw-samples",
        "3",
        "--name",
        "tiny",
    ]
    assert main(args) == 0
    result = json.loads((tmp_path / "results" / "tiny.json").read_text())
    assert result["test"]["nll_iw"] <= result["test"]["elbo"] + 1e-3 and result["valid_best"]["elbo"] > 0
    lines = readme.read_text().splitlines()
    row = lines.index("|---|---|") + 1
    assert (
        lines[row].startswith("| ")
        and "| tiny |" in lines[row]
        and "1 thr" in lines[row]
        and lines[-1] == "after the table"
    )
    saved = load_bundle(tmp_path / "runs" / "tiny" / "model")  # the best weights, to re-evaluate without retraining
    assert saved.metrics["valid"]["elbo"] == result["valid_best"]["elbo"]


def test_compare_runs_textvae_and_the_reference_and_reports_ratios(tmp_path, capsys):
    from benchmarks import compare

    write_tiny_ptb(tmp_path)
    assert (
        compare.main(["--data", str(tmp_path), "--threads", "1", "--reps", "1", "--seconds", "1", "--warmup", "0.2"])
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert {r["program"] for r in result["runs"]} == {
        "textvae-bf16",
        "textvae-fp32",
        "textvae-fp32-one-way",
        "reference",
    }
    summary = result["by_threads"]["1"]
    ref, ours = summary["median"]["reference"], summary["median"]["textvae-fp32"]
    assert (
        ref["tokens_per_s"] > 0
        and abs(
            summary["ratio_to_reference"]["textvae-fp32"]["tokens_per_s"] - ours["tokens_per_s"] / ref["tokens_per_s"]
        )
        < 0.01
    )


def test_the_quick_demo_config_and_recipe_are_the_apps_quick_preset():
    from textvae import TrainConfig, VAEConfig
    from textvae.presets import PRESETS

    quick = PRESETS["quick"]
    run_length = {k: quick.training[k] for k in ("epochs", "max_minutes", "valid_every", "patience")}
    model, training = make_configs("quick-demo", "quick-demo", run_length)
    assert TrainConfig(**training) == TrainConfig(**quick.training)
    assert VAEConfig(100, **model) == VAEConfig(100, **{**quick.model, "max_length": MAX_TOKENS})
    assert make_configs("quick-demo", "quick-demo-cosine", {})[1]["lr_schedule"] == "cosine"


def test_sweep_compares_a_preset_with_the_reference_loop_on_the_same_ids(tmp_path, capsys):
    import math

    from benchmarks import sweep

    sentences = make_sentences(260)
    (tmp_path / "snli").mkdir()
    (tmp_path / "snli" / "train.txt").write_text("\n".join(sentences[:200]) + "\n", encoding="utf-8")
    (tmp_path / "snli" / "test.txt").write_text("\n".join(sentences[200:]) + "\n", encoding="utf-8")
    out = tmp_path / "sweep.json"
    args = ["--data", str(tmp_path), "--corpora", "snli", "--sentences", "100", "--epochs", "1", "--out", str(out)]
    assert sweep.main(args) == 0
    result = json.loads(out.read_text())
    assert json.loads(capsys.readouterr().out) == result and result["machine"]["threads"] == 1
    (row,) = result["runs"]
    assert (
        row["corpus"] == "snli"
        and row["preset"] == "quick"
        and row["sentences"]
        == {
            "train": 100,
            "dev": 10,
            "held_out": 10,
        }
    )
    runs = [row["preset_run"], row["reference_equal_epochs"], row["reference_equal_time"]]
    for run in runs:
        assert all(math.isfinite(run[k]) and run[k] >= 0 for k in ("elbo", "recon", "kl", "seconds"))
        assert abs(run["elbo"] - run["recon"] - run["kl"]) < 0.01
    assert row["preset_run"]["steps"] == row["reference_equal_epochs"]["steps"] == 4  # ceil(100 / 32)
    assert row["reference_equal_time"]["seconds"] >= row["preset_run"]["seconds"]


def test_the_reference_evaluation_counts_end_of_sentence_and_sums_kl_like_textvae():
    import math

    import torch

    from benchmarks.reference import BaselineVAE, reference_elbo
    from textvae.config import VAEConfig
    from textvae.evaluation import elbo_metrics
    from textvae.model import SentenceVAE

    ids, vocab = [[5, 6, 7], [8, 9], [4, 5, 6, 7, 8]], 12
    reference, ours = BaselineVAE(vocab), SentenceVAE(VAEConfig(vocab_size=vocab, **TINY_MODEL))
    with torch.no_grad():  # uniform predictions and a posterior equal to the prior: recon = tokens * log V, KL = 0
        for layer in (reference.to_vocab, reference.to_mean, reference.to_logv, ours.output, ours.to_latent):
            layer.weight.zero_(), layer.bias.zero_()
    expected = (3 + 1 + 2 + 1 + 5 + 1) / 3 * math.log(vocab)
    theirs, mine = reference_elbo(reference, ids), elbo_metrics(ours, ids)
    assert abs(theirs["recon"] - expected) < 1e-4 and abs(theirs["kl"]) < 1e-6
    assert abs(mine["recon"] - expected) < 1e-4 and abs(mine["kl"]) < 1e-6


def test_live_map_measures_training_with_and_without_its_snapshots(tmp_path, capsys):
    from benchmarks import live_map

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(make_sentences(300)) + "\n")
    assert (
        live_map.main(["--corpus", str(corpus), "--steps", "6", "--reps", "2", "--every", "2", "--threads", "1"]) == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert [r["frames"] for r in result["runs"]["without"]] == [0, 0]
    assert all(r["frames"] >= 3 for r in result["runs"]["with"])  # the start, every 2 steps, the end
    assert all(v > 0 for m in result["medians"].values() for v in m.values())
    assert result["slowdown_cpu"] > -1
    assert all(r["snapshot_s"] > 0 for r in result["runs"]["with"]) and 0 < result["snapshot_share"] < 1
    assert result["probe_sentences"] == 30  # the 10 % held out of 300, all encoded (fewer than PROBE_SIZE)


def test_the_replay_benchmark_saves_a_bundle_with_the_replay_it_asks_for(trained, tmp_path):
    from benchmarks.replay_fps import replay_bundle, summary

    _, directory, _ = trained
    bundle = load_bundle(replay_bundle(directory, tmp_path / "replay", snapshots=12, points=30))
    history = bundle.latent_history
    assert len(history) == 12 and history.stacked().shape == (12, 30, bundle.config.latent_dim)
    assert np.abs(history.stacked()[0]).mean() < np.abs(history.stacked()[-1]).mean()  # points drift outwards
    result = summary([0.0, 180.0, 370.0], [0.0, 16.0, 40.0, 50.0])
    assert result["snapshots_shown"] == 3 and result["median_ms_between_snapshots"] == 185.0
    assert result["browser_fps"] == 60.0 and result["longest_frame_ms"] == 24.0


def test_ae_vs_vae_reports_the_well_formed_share_of_each_side(tmp_path, capsys, monkeypatch):
    from benchmarks import ae_vs_vae
    from textvae import ae_vs_vae as sides

    monkeypatch.setattr(sides, "MINUTES", 0.02)  # about a second each, not the page's 45 s
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(make_sentences(300)) + "\n")
    assert ae_vs_vae.main(["--corpus", str(corpus), "--threads", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    for kind in ("autoencoder", "vae"):
        assert 0 <= result[kind]["well_formed"] <= 1 and result[kind]["steps"] >= 1
        assert all(e["well_formed"] == sides.well_formed(e["text"]) for e in result[kind]["examples"])
