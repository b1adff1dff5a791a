"""Penn Treebank benchmark for textvae: training speed and model quality.

    python -m benchmarks.ptb --data ../shared/data/ptb --mode throughput --config bowman --threads 1
    python -m benchmarks.ptb --data ../shared/data/ptb --mode full --config default --recipe fb-cyclical \
        --max-minutes 30

throughput: times training steps for --seconds after a warm-up and prints one JSON object
(predicted tokens/s, seconds per epoch, peak RSS, a torch.profiler summary, and the output
layer's achieved matmul FLOP/s next to this machine's fp32/bf16 matmul peak, measured in the same run).
full: trains with a recipe (the best weights are chosen on valid), then evaluates on test
(IW-NLL with K importance samples, perplexity, KL, MI, active units, reconstruction BLEU),
writes benchmarks/results/ptb-<config>.json and appends a row to the README's results table.

Data: the Mikolov split (ptb.{train,valid,test}.txt), tokenised on whitespace as everyone does
for PTB; the corpus's own "<unk>" maps to textvae's unknown id, every sentence ends in <eos>.
"""

from __future__ import annotations

# isort: off
import textvae  # noqa: F401  (first, as in `python -m textvae`: it sets MKL's memory setting before torch loads MKL)

# isort: on
import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from benchmarks.machine import machine, matmul_flops, peak_rss_mb
from benchmarks.recipes import CONFIGS, MAX_TOKENS, RECIPES, make_configs
from textvae.bundle import ModelBundle, save_bundle
from textvae.config import TrainConfig, VAEConfig
from textvae.data import encode_sentences, iterate_batches
from textvae.model import SentenceVAE
from textvae.precision import PRECISIONS
from textvae.tokenizer import SPECIAL_TOKENS, WORD_START, TextTokenizer
from textvae.training import Trainer, seed_everything

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
RUNS_DIR = HERE / "runs"
README = HERE / "README.md"
TABLE_MARKER = "<!-- full-run rows are appended below this line by `--mode full` -->"

# ---------------------------------------------------------------- data


def read_split(data_dir: Path, split: str) -> list[str]:
    path = data_dir / f"ptb.{split}.txt"
    if not path.is_file():
        sys.exit(
            f"error: {path} not found; --data must be the folder holding ptb.train.txt, ptb.valid.txt and ptb.test.txt"
        )
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_tokenizer(train: list[str]) -> TextTokenizer:
    """A word-level textvae tokenizer over PTB's own vocabulary (its "<unk>" becomes textvae's unknown)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    words: set[str] = set()
    for line in train:
        words.update(line.split())
    vocab = {token: i for i, token in enumerate(SPECIAL_TOKENS)}
    for w in sorted(words - {"<unk>"}):
        vocab[WORD_START + w] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab, unk_token=SPECIAL_TOKENS[1]))
    tok.normalizer = normalizers.Strip()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=WORD_START, prepend_scheme="always", split=True)
    return TextTokenizer(tok)


def load_ptb(data_dir: str | Path, train_subset: int | None = None, seed: int = 0) -> dict:
    """ids per split (train optionally a seeded random subset) and the tokenizer."""
    data_dir = Path(data_dir)
    splits = {s: read_split(data_dir, s) for s in ("train", "valid", "test")}
    tokenizer = build_tokenizer(splits["train"])
    ids = {s: encode_sentences(tokenizer, lines, MAX_TOKENS) for s, lines in splits.items()}
    if train_subset:
        order = torch.randperm(len(ids["train"]), generator=torch.Generator().manual_seed(seed)).tolist()
        ids["train"] = [ids["train"][i] for i in sorted(order[:train_subset])]
    return {"tokenizer": tokenizer, **ids}


# ---------------------------------------------------------------- models and training


def new_trainer(data: dict, model: dict, training: dict, valid: list[list[int]] | None = None) -> Trainer:
    cfg = TrainConfig(**training)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    net = SentenceVAE(VAEConfig(vocab_size=data["tokenizer"].vocab_size, **model))
    return Trainer(net, data["train"], data["valid"] if valid is None else valid, cfg)


def output_layer_profile(trainer: Trainer, batches: list, vocab: int) -> dict:
    """torch.profiler over a few training steps: top ops, and the output layer's matmuls (a vocab-sized dimension)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True, with_flops=True) as prof:
        for batch in batches:
            trainer._train_step(batch, 1.0, False)
    total_us = sum(e.self_cpu_time_total for e in prof.key_averages())
    out_us, out_flops = 0.0, 0
    for e in prof.key_averages(group_by_input_shape=True):
        if e.key in ("aten::mm", "aten::addmm", "aten::linear") and any(vocab in (s or []) for s in e.input_shapes):
            out_us += e.self_cpu_time_total
            out_flops += e.flops or 0
    top = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)[:15]
    return {
        "steps": len(batches),
        "self_cpu_ms_total": total_us / 1e3,
        "top_ops": [
            {
                "op": e.key,
                "self_ms": round(e.self_cpu_time_total / 1e3, 1),
                "share": round(e.self_cpu_time_total / total_us, 3),
                "calls": e.count,
            }
            for e in top
        ],
        "output_layer": {
            "self_ms": round(out_us / 1e3, 1),
            "share": round(out_us / total_us, 3),
            "gflop": round(out_flops / 1e9, 2),
            "gflop_per_s": round(out_flops / max(out_us, 1) / 1e3, 1),
        },
    }


def run_throughput(args, data: dict) -> dict:
    model, training = make_configs(
        args.config,
        args.recipe,
        {"threads": args.threads, "precision": args.precision, "seed": args.seed, "device": "cpu"},
    )
    trainer = new_trainer(data, model, training, valid=[])
    epoch_tokens = sum(len(s) + 1 for s in data["train"])
    steps_per_epoch = math.ceil(len(data["train"]) / trainer.config.batch_size)
    rng = np.random.default_rng(args.seed)
    batches = iter(())

    def next_batch():
        # made one at a time, as the Trainer does, so the peak RSS holds no epoch of ready batches
        nonlocal batches
        batch = next(batches, None)
        if batch is None:
            batches = iterate_batches(data["train"], trainer.config.batch_size, shuffle=True, rng=rng)
            batch = next(batches)
        return batch

    warm_deadline = time.perf_counter() + args.warmup
    while time.perf_counter() < warm_deadline:
        trainer._train_step(next_batch(), 1.0, False)
    # time in windows of ~1 s so the median is robust to other processes on the machine
    windows, tokens, steps = [], 0, 0
    start, cpu_start = time.perf_counter(), time.process_time()
    window_start, window_tokens = start, 0
    while time.perf_counter() - start < args.seconds:
        batch = next_batch()
        trainer._train_step(batch, 1.0, False)
        tokens += batch.n_predicted
        window_tokens += batch.n_predicted
        steps += 1
        now = time.perf_counter()
        if now - window_start >= 1.0:
            windows.append(window_tokens / (now - window_start))
            window_start, window_tokens = now, 0
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    rss = peak_rss_mb()  # before the profiler and the peak matmuls allocate anything
    rate = tokens / elapsed
    result = {
        "mode": "throughput",
        "config": args.config,
        "recipe": args.recipe,
        "model": model,
        "batch_size": trainer.config.batch_size,
        "precision": trainer.precision.name,
        "threads": torch.get_num_threads(),
        "train_sentences": len(data["train"]),
        "tokens_per_s": round(rate, 1),
        "tokens_per_s_median_1s_windows": round(statistics.median(windows), 1) if windows else None,
        # per CPU-second of this process: on a shared machine, closer to what an idle one would do (all threads summed)
        "tokens_per_cpu_s": round(tokens / cpu, 1),
        "steps": steps,
        "timed_s": round(elapsed, 2),
        "seconds_per_epoch": round(epoch_tokens / rate, 1),
        "peak_rss_mb": round(rss, 1),
        "parameters": sum(p.numel() for p in trainer.model.parameters()),
    }
    if args.profile_steps:
        result["profile"] = output_layer_profile(
            trainer, [next_batch() for _ in range(args.profile_steps)], data["tokenizer"].vocab_size
        )
    if args.peak:
        h, v = trainer.model.config.hidden_dim, data["tokenizer"].vocab_size
        tokens_per_batch = round(epoch_tokens / steps_per_epoch)
        result["matmul_peak_gflop_per_s"] = {
            "fp32_4096": round(matmul_flops(4096, 4096, 4096, torch.float32) / 1e9, 1),
            "bf16_4096": round(matmul_flops(4096, 4096, 4096, torch.bfloat16) / 1e9, 1),
            f"fp32_output_shape_{tokens_per_batch}x{h}x{v}": round(
                matmul_flops(tokens_per_batch, h, v, torch.float32) / 1e9, 1
            ),
            f"bf16_output_shape_{tokens_per_batch}x{h}x{v}": round(
                matmul_flops(tokens_per_batch, h, v, torch.bfloat16) / 1e9, 1
            ),
        }
    result.update(machine())
    return result


# ---------------------------------------------------------------- full training and test evaluation


def run_full(args, data: dict) -> dict:
    from textvae.evaluation import (
        elbo_metrics,
        importance_weighted_nll,
        mutual_information,
        posterior_stats,
        reconstruction_quality,
    )

    overrides = {
        "threads": args.threads,
        "precision": args.precision,
        "seed": args.seed,
        "device": "cpu",
        "epochs": args.epochs,
        "max_minutes": args.max_minutes,
        "valid_every": args.valid_every,
        "log_every": 50,
    }
    model, training = make_configs(args.config, args.recipe, overrides)
    trainer = new_trainer(data, model, training)
    run_dir = RUNS_DIR / args.name
    run_dir.mkdir(parents=True, exist_ok=True)
    milestones: dict[str, float] = {}

    def watch(event: dict) -> None:
        if event["type"] == "valid" and "elbo" in event:
            row = {k: event[k] for k in ("step", "epoch", "elapsed_s", "elbo", "recon", "kl", "au", "best")}
            print(json.dumps(row), file=sys.stderr, flush=True)
            if event["kl"] > 2 and "kl_above_2_s" not in milestones:
                milestones["kl_above_2_s"] = event["elapsed_s"]
        if event["type"] in ("valid", "end") or event["type"] == "step":
            log.write(json.dumps({k: v for k, v in event.items() if k != "kl_per_dim"}) + "\n")
            log.flush()

    trainer.add_callback(watch)
    with open(run_dir / "events.jsonl", "w") as log:
        result = trainer.fit()
    best = {k: v for k, v in (result.best_valid or {}).items() if k != "kl_per_dim"}
    out = {
        "mode": "full",
        "name": args.name,
        "config": args.config,
        "recipe": args.recipe,
        "model": model,
        "training": asdict(trainer.config),
        "train_sentences": len(data["train"]),
        "result": {
            "reason": result.reason,
            "steps": result.steps,
            "epochs_done": result.epochs_done,
            "train_wall_s": round(result.elapsed_s, 1),
        },
        "valid_best": best,
        "milestones": milestones,
        "valid_trajectory": [
            {k: e[k] for k in ("step", "elapsed_s", "elbo", "recon", "kl", "au")}
            for e in result.history
            if e.get("type") == "valid" and "elbo" in e
        ],
    }
    # the best weights as a bundle, so the test evaluation can be redone (or the model sampled) without retraining
    save_bundle(
        ModelBundle(
            trainer.model, data["tokenizer"], {"name": args.name, "training": asdict(trainer.config), "valid": best}
        ),
        run_dir / "model",
    )
    if args.iw_samples:
        net, test = trainer.model, data["test"]
        t0 = time.perf_counter()
        with torch.no_grad():
            test_elbo = {k: v for k, v in elbo_metrics(net, test, seed=args.seed).items() if k != "kl_per_dim"}
            if args.eval_bf16:  # bf16 matmuls, float32 softmax; the bias is measured on a slice in both precisions
                check = test[: args.precision_check]
                fp32_nll, _ = importance_weighted_nll(net, check, samples=args.iw_samples, seed=args.seed)
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    bf16_nll, _ = importance_weighted_nll(net, check, samples=args.iw_samples, seed=args.seed)
                    nll, ppl = importance_weighted_nll(net, test, samples=args.iw_samples, seed=args.seed)
                precision = {
                    "sentences": len(check),
                    "nll_iw_fp32": fp32_nll,
                    "nll_iw_bf16": bf16_nll,
                    "bf16_minus_fp32": bf16_nll - fp32_nll,
                }
            else:
                nll, ppl = importance_weighted_nll(net, test, samples=args.iw_samples, seed=args.seed)
                precision = {"nll_iw_dtype": "float32"}
            mu, logvar = posterior_stats(net, test)
            _, bleu = reconstruction_quality(net, data["tokenizer"], test)
        out["test"] = {
            **test_elbo,
            "nll_iw": nll,
            "ppl_iw": ppl,
            "iw_samples": args.iw_samples,
            "mi": mutual_information(mu, logvar, seed=args.seed),
            "bleu": bleu,
            "eval_wall_s": round(time.perf_counter() - t0, 1),
            "iw_precision": precision,
        }
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    out["command"] = "python -m benchmarks.ptb " + " ".join(sys.argv[1:])
    out.update(machine())
    return out


def append_readme_row(result: dict) -> None:
    t, v, run, nan = result.get("test", {}), result["valid_best"], result["result"], float("nan")
    row = (
        f"| {time.strftime('%Y-%m-%d')} | {result['name']} | `{result['command']}` | "
        f"{run['train_wall_s'] / 60:.1f} min, "
        f"{run['epochs_done']} ep ({run['reason']}) | {v.get('elbo', nan):.2f} | "
        f"{t.get('nll_iw', nan):.2f} | {t.get('ppl_iw', nan):.1f} | {t.get('kl', nan):.2f} | {t.get('mi', nan):.2f} | "
        f"{t.get('au', '-')} | {t.get('bleu', nan):.1f} | {result['training']['threads']} thr, {result['cpu']} |"
    )
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    if TABLE_MARKER not in text:
        return
    head, tail = text.split(TABLE_MARKER, 1)
    lines = tail.split("\n")
    end = next((i for i, line in enumerate(lines[1:], 1) if not line.startswith("|")), len(lines))
    lines.insert(end, row)
    README.write_text(head + TABLE_MARKER + "\n".join(lines), encoding="utf-8")


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.ptb", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="folder with ptb.train.txt, ptb.valid.txt, ptb.test.txt")
    p.add_argument("--mode", choices=["throughput", "full"], required=True)
    p.add_argument("--config", default="bowman", help=f"model size: {', '.join(CONFIGS)} (default: %(default)s)")
    p.add_argument("--recipe", default=None, help=f"anti-collapse recipe: {', '.join(RECIPES)}")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="training precision; auto: bf16 only where native (default: %(default)s)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-subset", type=int, default=None, help="train on a seeded random subset of N sentences")
    g = p.add_argument_group("throughput")
    g.add_argument("--seconds", type=float, default=30.0, help="timed seconds (default: %(default)s)")
    g.add_argument("--warmup", type=float, default=5.0, help="untimed warm-up seconds (default: %(default)s)")
    g.add_argument("--profile-steps", type=int, default=20, help="steps under torch.profiler after timing (0: none)")
    g.add_argument("--no-peak", dest="peak", action="store_false", help="skip measuring the matmul peak")
    f = p.add_argument_group("full")
    f.add_argument("--epochs", type=int, default=100)
    f.add_argument("--max-minutes", type=float, default=30.0, help="training wall-time budget (default: %(default)s)")
    f.add_argument("--valid-every", type=int, default=500, help="steps between validations (default: %(default)s)")
    f.add_argument(
        "--iw-samples", type=int, default=500, help="importance samples for the test NLL (0: skip test evaluation)"
    )
    f.add_argument(
        "--eval-bf16",
        action="store_true",
        help="IW-NLL with bf16 matmuls (about 3x faster); its bias is measured on --precision-check sentences",
    )
    f.add_argument(
        "--precision-check", type=int, default=300, help="test sentences evaluated in both precisions with --eval-bf16"
    )
    f.add_argument("--name", default=None, help="run name (default: ptb-<config>)")
    f.add_argument("--no-write", action="store_true", help="do not write results/ or the README row")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_ptb(args.data, args.train_subset, args.seed)
    if args.mode == "throughput":
        print(json.dumps(run_throughput(args, data), indent=1))
        return 0
    args.name = args.name or f"ptb-{args.config}"
    result = run_full(args, data)
    print(json.dumps(result, indent=1))
    if not args.no_write:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        (RESULTS_DIR / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        append_readme_row(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
