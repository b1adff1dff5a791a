"""Presets against the reference training loop, across kinds of text, on the same token ids.

    python -m benchmarks.sweep --data ../shared/data --threads 1 [--corpora snli ptb books sentiment]
        [--presets quick balanced] [--sentences 6000] [--epochs N] [--set KEY=VALUE ...] [--no-reference]

For each corpus a seeded subset is read and cleaned as an upload is (``load_corpus``): train, dev and held-out
sentences. For each preset a byte-level BPE tokenizer is trained on the train part, as a from-scratch preset does,
and its ids go to both sides, so nats per sentence compare (no <unk> advantage). The preset trains from scratch
(never from the base model, which saw PTB, SNLI and the reviews) with the dev part for its validations; the
reference loop (``benchmarks.reference``) trains on the same ids for the same number of steps (equal epochs:
both take batches of 32) and for the preset's wall time. Both are then read once on the held-out part: -ELBO,
recon and KL in nats per sentence, one posterior sample. Prints one JSON object and writes it to
benchmarks/results/sweep-<presets>-<corpora>.json (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import torch

from benchmarks.machine import cpu_model, load_average
from benchmarks.reference import reference_elbo, train_reference
from textvae.config import TrainConfig, VAEConfig
from textvae.corpus import load_corpus
from textvae.data import encode_sentences
from textvae.evaluation import elbo_metrics
from textvae.model import SentenceVAE
from textvae.presets import PRESETS
from textvae.tokenizer import TextTokenizer
from textvae.training import Trainer, seed_everything

RESULTS = Path(__file__).resolve().parent / "results"
HELD_OUT_BOOK = "the_great_gatsby.txt"  # novels: held out whole, so the test is a book never trained on
CORPORA = ("snli", "ptb", "books", "sentiment")


def _sample(sentences: list[str], n: int, rng: random.Random) -> list[str]:
    return rng.sample(sentences, min(n, len(sentences)))


def _sentences(path: Path) -> list[str]:
    return load_corpus(path).sentences


def load_splits(data: Path, corpus: str, n_train: int, seed: int = 0) -> dict[str, list[str]]:
    """Seeded train / dev / held-out sentences (dev and held-out a tenth of train each)."""
    rng, n_small = random.Random(seed), max(1, n_train // 10)
    if corpus == "snli":
        pool, held = _sentences(data / "snli" / "train.txt"), _sentences(data / "snli" / "test.txt")
    elif corpus == "ptb":
        pool, held = _sentences(data / "ptb" / "ptb.train.txt"), _sentences(data / "ptb" / "ptb.valid.txt")
    elif corpus == "books":
        books = sorted(p for p in (data / "books").glob("*.txt") if p.name not in ("SOURCE.txt", HELD_OUT_BOOK))
        pool, held = [s for p in books for s in _sentences(p)], _sentences(data / "books" / HELD_OUT_BOOK)
    elif corpus == "sentiment":  # 3,000 reviews: a fifth of them held out, a tenth of the rest for dev
        everything = _sentences(data / "sentiment_labelled" / "sentences.csv")
        rng.shuffle(everything)
        cut = len(everything) // 5
        pool, held = everything[cut:], everything[:cut]
        n_small = min(n_small, cut)
    else:
        raise ValueError(f"unknown corpus {corpus!r}")
    chosen = _sample(pool, n_train + n_small, rng)
    n_dev = min(n_small, len(chosen) // 10)
    return {"train": chosen[n_dev:], "dev": chosen[:n_dev], "held_out": _sample(held, n_small, rng)}


def parse_overrides(pairs: list[str]) -> dict:
    """KEY=VALUE pairs (values read as JSON when they parse, else as text) for the presets' fields."""
    out = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _split_values(preset_key: str, overrides: dict) -> tuple[dict, dict, dict]:
    preset = PRESETS[preset_key]
    parts = (dict(preset.model), dict(preset.training), dict(preset.tokenizer))
    for key, value in overrides.items():
        owner = next((p for p in parts if key in p), None)
        if owner is None:
            raise ValueError(f"{key} is not a field of the {preset_key} preset")
        owner[key] = value
    return parts


def run_preset(splits: dict, preset_key: str, args, overrides: dict) -> dict:
    """Tokenise once, train the preset from scratch, then the reference loop on the same ids."""
    model, training, tokenizer = _split_values(preset_key, overrides)
    if args.epochs:
        training["epochs"] = args.epochs
    tok = TextTokenizer.train(splits["train"], **tokenizer)
    ids = {k: encode_sentences(tok, v, model["max_length"]) for k, v in splits.items()}
    config = TrainConfig(**{**training, "threads": args.threads, "seed": args.seed, "precision": "fp32"})
    seed_everything(args.seed)
    net = SentenceVAE(VAEConfig(vocab_size=tok.vocab_size, **model))
    trainer = Trainer(net, ids["train"], ids["dev"], config)
    fit = trainer.fit()
    held = elbo_metrics(net, ids["held_out"], seed=args.seed)
    steps_per_epoch = math.ceil(len(ids["train"]) / config.batch_size)
    row = {
        "preset": preset_key,
        "overrides": overrides,
        "vocab_size": tok.vocab_size,
        "epochs_asked": config.epochs,
        "preset_run": {
            **{k: round(held[k], 3) for k in ("elbo", "recon", "kl")},
            "au": held["au"],
            "steps": fit.steps,
            "epochs": round(fit.steps / steps_per_epoch, 2),
            "seconds": round(fit.elapsed_s, 1),
            "stopped_by": fit.reason,
        },
    }
    if args.no_reference:
        return row
    for name, budget in (("equal_epochs", {"steps": fit.steps}), ("equal_time", {"seconds": fit.elapsed_s})):
        ref, info = train_reference(ids["train"], tok.vocab_size, seed=args.seed, **budget)
        scores = reference_elbo(ref, ids["held_out"], seed=args.seed)
        row[f"reference_{name}"] = {
            **{k: round(scores[k], 3) for k in ("elbo", "recon", "kl")},
            "steps": info["steps"],
            "epochs": round(info["epochs"], 2),
            "seconds": round(info["seconds"], 1),
        }
    return row


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, type=Path, help="the folder holding snli/, ptb/, books/, ...")
    p.add_argument("--corpora", nargs="+", default=list(CORPORA), choices=CORPORA)
    p.add_argument("--presets", nargs="+", default=["quick"], choices=sorted(PRESETS))
    p.add_argument("--sentences", type=int, default=6000, help="training sentences per corpus (fewer if it has less)")
    p.add_argument("--epochs", type=int, help="lower the presets' epochs (their time caps still hold)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="change a preset field, for ablations")
    p.add_argument("--no-reference", action="store_true", help="train the presets only")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, help="the JSON file to write (default under benchmarks/results/)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    overrides = parse_overrides(args.set)
    started = time.strftime("%Y-%m-%d %H:%M")
    rows = []
    for corpus in args.corpora:
        splits = load_splits(args.data, corpus, args.sentences, args.seed)
        sizes = {k: len(v) for k, v in splits.items()}
        for preset in args.presets:
            rows.append({"corpus": corpus, "sentences": sizes, **run_preset(splits, preset, args, overrides)})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    result = {
        "command": "python -m benchmarks.sweep " + " ".join(argv if argv is not None else sys.argv[1:]),
        "started": started,
        "machine": {"cpu": cpu_model(), "threads": args.threads, "torch": torch.__version__},
        "load_average": load_average(),
        "runs": rows,
    }
    out = args.out or RESULTS / f"sweep-{'-'.join(args.presets)}-{'-'.join(args.corpora)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
