"""The PTB benchmark's throughput mode runs end to end on a tiny generated corpus (no ../shared needed)."""

import json

from conftest import make_sentences

from benchmarks.ptb import main


def test_throughput_mode_prints_tokens_per_second_and_memory(tmp_path, capsys):
    sentences = [s.lower().replace(".", " .") for s in make_sentences(300)]
    for split, part in (("train", sentences[:200]), ("valid", sentences[200:250]), ("test", sentences[250:])):
        (tmp_path / f"ptb.{split}.txt").write_text("".join(f" {s} \n" for s in part), encoding="utf-8")
    assert main(["--data", str(tmp_path), "--mode", "throughput", "--threads", "1", "--seconds", "2", "--warmup", "0.5", "--profile-steps", "2", "--no-peak"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["tokens_per_s"] > 0 and result["peak_rss_mb"] > 0 and result["threads"] == 1
    assert result["profile"]["output_layer"]["gflop"] > 0
