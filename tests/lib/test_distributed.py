"""Training in several processes (torchrun, DistributedDataParallel, gloo on CPU) matches one process
training on the same global batch."""

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from tests.helpers import TINY_MODEL, make_sentences
from textvae import ModelBundle, SentenceVAE, TextTokenizer, VAEConfig, save_bundle
from textvae.data import iterate_batches
from textvae.distributed import World, shard, sharded_batches

ROOT = Path(__file__).resolve().parents[2]
# Measured: 2 processes x 8 and 1 process x 16 sentences agree to 1.5e-7 (relative) in every logged loss and
# held-out -ELBO over 69 steps, and to 2.4e-7-4.1e-7 in every weight (also with a one-sentence last batch, and
# with autoencoder pretraining and free bits 0.5): float sums in another order, nothing more. A real difference
# is far larger: different dropout masks alone moved the held-out KL by 11% after one epoch.
TOLERANCE = 1e-4


def test_the_ranks_parts_concatenate_to_the_global_batch_and_their_weights_give_its_mean():
    x = np.random.default_rng(0).random(20)
    for size in (2, 3):
        for n in range(1, 20):
            indices = list(range(100, 100 + n))
            parts = [shard(indices, rank, size) for rank in range(size)]
            real = [(rows, start, weight) for rows, start, weight in parts if weight > 0]
            assert [i for rows, _, _ in real for i in rows] == indices
            assert [start for _, start, _ in real] == [sum(len(r) for r, _, _ in real[:k]) for k in range(len(real))]
            # DDP averages the ranks' gradients: the weighted part means must average to the global mean
            averaged = sum(w * x[np.array(rows) - 100].mean() for rows, _, w in real) / size
            assert averaged == pytest.approx(x[:n].mean(), rel=1e-12)
            assert all(len(rows) == 1 for rows, _, w in parts if w == 0) and len(real) == min(n, size)


def test_two_ranks_walk_the_single_process_batches_of_twice_the_size():
    sequences = [[5] * (1 + i % 7) for i in range(45)]
    single = [b.index.tolist() for b in iterate_batches(sequences, 16, shuffle=True, rng=np.random.default_rng(4))]
    ranks = [list(sharded_batches(sequences, 8, World(rank, 2), np.random.default_rng(4))) for rank in range(2)]
    assert len(ranks[0]) == len(ranks[1]) == len(single) == 3
    for step, whole in enumerate(single):
        (first, part0), (second, part1) = ranks[0][step], ranks[1][step]
        assert first.index.tolist() + second.index.tolist() == whole
        assert part0.global_rows == part1.global_rows == len(whole) and part1.start == first.size
        assert part0.global_tokens == sum(len(sequences[i]) + 1 for i in whole)


def _start(args: list[str], processes: int = 1) -> subprocess.Popen:
    """``python -m textvae ARGS`` in one process, or in several under torchrun (torch.distributed.run)."""
    launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}"] if processes > 1 else []
    command = [sys.executable, *launcher, "-m", "textvae", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def _kill(proc: subprocess.Popen) -> None:
    """End ``proc`` and the workers torchrun started (its process group), if they are still running."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()


def _stderr(proc: subprocess.Popen, timeout: int = 300) -> str:
    """The process's stderr once it has exited (killed after ``timeout`` seconds: a hang fails the test)."""
    try:
        return proc.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise


def _train(corpus: Path, base: Path, out: Path, processes: int, batch_size: int, *more: str) -> subprocess.Popen:
    args = ["train", str(corpus), "--out", str(out), "--base", str(base), "--device", "cpu", "--threads", "1"]
    args += ["--batch-size", str(batch_size), "--seed", "3", "--lr-schedule", "constant", *more]
    args += ["--precision", "fp32"]  # auto is bf16 on AVX512-BF16/AMX, whose rounding depends on the batch split
    return _start(args, processes)


def _metrics(proc: subprocess.Popen, out: Path) -> dict:
    """The saved model's metrics.json, once the training has ended well (and rank 0 alone said so)."""
    stderr = _stderr(proc)
    assert proc.returncode == 0, stderr[-3000:]
    assert stderr.count("saved ") == 1 and stderr.count("training on ") == 1  # rank 0 alone speaks
    return json.loads((out / "metrics.json").read_text())


def _curve(metrics: dict) -> list[tuple[str, int, str, float]]:
    return [
        (event["type"], event["step"], key, event[key])
        for event in metrics["history"]
        if event["type"] in ("step", "valid")
        for key in ("loss", "recon", "kl", "elbo")
        if key in event
    ]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Iterator[dict[str, tuple[subprocess.Popen, Path]]]:
    """The trainings the tests below read, started at once: most of their time is starting Python and torch."""
    tmp = tmp_path_factory.mktemp("distributed")
    # a base model without dropout: each process draws its own dropout masks, so only z's noise can match
    # 401 sentences, 361 to train on: each epoch's last global batch has one sentence, for rank 1; rank 0 runs
    # that step on a stand-in row with weight 0
    sentences = make_sentences(401)
    corpus_file = tmp / "corpus.txt"
    corpus_file.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    tokenizer = TextTokenizer.train(sentences, "word", 500)
    torch.manual_seed(0)
    model = SentenceVAE(VAEConfig(vocab_size=tokenizer.vocab_size, **TINY_MODEL))
    base = save_bundle(ModelBundle(model, tokenizer, {"name": "base"}), tmp / "base")
    plans = {
        "two": (2, 8, "--epochs", "3"),
        "one": (1, 16, "--epochs", "3"),
        "timed": (2, 8, "--epochs", "1000", "--max-minutes", "0.05"),
    }
    started = {name: (_train(corpus_file, base, tmp / name, *plan), tmp / name) for name, plan in plans.items()}
    bad_argument = ["train", str(corpus_file), "--out", str(tmp / "bad"), "--batch-size", "many"]
    started["bad"] = (_start(bad_argument, 2), tmp / "bad")
    yield started
    for proc, _ in started.values():  # a test that failed early leaves its run behind
        _kill(proc)


def test_two_processes_train_like_one_process_with_the_same_global_batch(runs):
    two, one = _metrics(*runs["two"]), _metrics(*runs["one"])
    curve_two, curve_one = _curve(two), _curve(one)
    assert [c[:3] for c in curve_two] == [c[:3] for c in curve_one] and len(curve_one) >= 12
    for (kind, step, key, value), (*_, expected) in zip(curve_two, curve_one, strict=True):
        assert value == pytest.approx(expected, rel=TOLERANCE), (kind, step, key)
    assert two["valid"]["elbo"] == pytest.approx(one["valid"]["elbo"], rel=TOLERANCE)
    assert two["result"]["steps"] == one["result"]["steps"] == 3 * 23  # 361 training sentences, 16 a step
    weights_two, weights_one = (load_file(runs[name][1] / "model.safetensors") for name in ("two", "one"))
    assert max(float((weights_two[k] - weights_one[k]).abs().max()) for k in weights_one) < TOLERANCE


def test_the_time_budget_ends_every_process_at_the_same_step(runs):
    # a process stopping alone would leave the other waiting for its gradients: the run would hang, not end
    timed = _metrics(*runs["timed"])
    assert timed["result"]["reason"] == "time_limit" and 0 < timed["result"]["steps"] < 1000 * 23


def test_a_bad_argument_under_torchrun_prints_one_error_line_and_fails(runs):
    proc, out = runs["bad"]
    stderr = _stderr(proc, timeout=120)
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert proc.returncode != 0 and len(errors) == 1 and "--batch-size" in errors[0], stderr[-2000:]
    assert not out.exists()


def test_the_step_loss_reads_word_dropped_decoder_inputs_from_its_one_embedding_lookup():
    """Word dropout 1: every decoder input but <bos> is <unk>, so the step's reconstruction is the model's own
    on those inputs, whichever lookup embedded them (no other dropout; z is the mean, as in pretraining)."""
    from textvae.data import collate
    from textvae.distributed import Shard, StepLoss
    from textvae.special_tokens import UNK_ID

    config = VAEConfig(vocab_size=40, embed_dim=8, hidden_dim=12, latent_dim=4, embed_dropout=0.0, output_dropout=0.0)
    model = SentenceVAE(config).train()
    model.config.word_dropout = 1.0  # past what a config accepts: every word dropped
    batch = collate([[5, 6, 7, 8], [9, 10, 11]])
    loss, means = StepLoss(model)(batch, Shard(0, batch.size, 1.0, batch.n_predicted), 0.0, 0.0, None)
    mu, _ = model.encode(batch.tokens, batch.lengths)
    unk_inputs = batch.dec_input.masked_fill((batch.dec_input > 3) & batch.mask, UNK_ID)
    model.config.word_dropout = 0.0  # the inputs are already dropped
    expected = model.reconstruction_nll(mu, unk_inputs, batch.target, batch.mask)
    assert torch.allclose(means[0], expected.mean()) and torch.allclose(loss, expected.mean())
