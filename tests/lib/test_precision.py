"""Precision: auto picks bf16 only on hardware that runs it natively, says why, and bf16 metrics match fp32's."""

from __future__ import annotations

import pytest
import torch

from tests.helpers import TINY_MODEL
from textvae import TrainConfig, load_corpus, train_model
from textvae.data import encode_sentences
from textvae.evaluation import elbo_metrics
from textvae.precision import cpu_flags, resolve_precision

CPU = torch.device("cpu")


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"avx2", "avx512f", "avx512_bf16"}, "bf16"),
        ({"avx2", "amx_bf16", "amx_tile"}, "bf16"),
        ({"avx2", "avx512f"}, "fp32"),  # AVX-512 without BF16: bf16 would be emulated, far slower
        (set(), "fp32"),  # no /proc/cpuinfo (macOS, Windows)
    ],
)
def test_auto_takes_bf16_only_where_the_cpu_has_bf16_instructions(flags, expected):
    chosen = resolve_precision("auto", CPU, flags)
    assert chosen.name == expected
    assert chosen.why.startswith("auto: ")


def test_an_explicit_precision_is_kept_whatever_the_hardware():
    assert resolve_precision("bf16", CPU, set()).name == "bf16"
    assert resolve_precision("fp32", CPU, {"amx_bf16"}).name == "fp32"
    with pytest.raises(ValueError, match="precision"):
        resolve_precision("fp16", CPU, set())


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse avx512_bf16 amx_tile\n\nprocessor\t: 1\n")
    assert {"avx512_bf16", "amx_tile", "fpu"} <= cpu_flags(info)
    assert cpu_flags(tmp_path / "missing") == set()


def test_bundles_saved_with_the_former_bf16_switch_load_with_the_same_precision():
    assert TrainConfig.from_dict({"bf16": True}).precision == "bf16"
    assert TrainConfig.from_dict({"bf16": False}).precision == "fp32"
    assert TrainConfig.from_dict({"bf16": True, "precision": "auto"}).precision == "auto"
    assert TrainConfig().precision == "auto"


def test_the_precision_used_is_announced_and_saved_with_the_model(trained, corpus_file):
    events = []
    bundle, _ = train_model(
        load_corpus(corpus_file),
        model=TINY_MODEL,
        training=TrainConfig(epochs=1, batch_size=32, threads=1, seed=0, precision="fp32"),
        callbacks=[events.append],
    )
    start = next(e for e in events if e["type"] == "start")
    assert (start["precision"], start["precision_why"]) == ("fp32", "asked for")
    assert bundle.metrics["result"]["precision"] == "fp32"
    auto = resolve_precision("auto", CPU)
    assert trained[0].metrics["result"]["precision"] == auto.name  # the fixture trains with the default, auto


def test_bf16_evaluation_stays_within_five_hundredths_of_a_nat_of_fp32(trained):
    bundle, _, corpus = trained
    ids = encode_sentences(bundle.tokenizer, corpus.sentences[:200], bundle.model.config.max_length)
    fp32 = elbo_metrics(bundle.model, ids, seed=1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        bf16 = elbo_metrics(bundle.model, ids, seed=1)
    assert abs(bf16["elbo"] - fp32["elbo"]) <= 0.05
    assert abs(bf16["kl"] - fp32["kl"]) <= 0.05
