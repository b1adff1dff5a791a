"""What the live latent map costs: training throughput with and without its snapshots, interleaved in one run.

    python -m benchmarks.live_map [--corpus assets/corpora/snli-sentences.txt] [--steps 200] [--reps 3]
        [--every 25] [--threads 2]

The Quick preset's model (from scratch, its BPE tokenizer) trains ``--steps`` steps with ``latent_every`` off and
then on (the order alternates between repetitions), each run timed from the first step to the end, snapshots at
the start and end included. Prints one JSON object: wall seconds and process CPU seconds per run, their medians,
the slowdown (with / without - 1) from medians of both clocks (CPU time is less sensitive to other processes
on a shared machine), and the snapshots' share: the time spent in them over the rest of the same run (on a noisy
machine the runs differ by more than the snapshots cost).
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed_run(train_ids, valid_ids, sentences, steps: int, every: int | None, threads: int) -> dict:
    """Train ``steps`` steps of the Quick preset's model; wall and CPU seconds, and frames recorded."""
    from textvae import SentenceVAE, TrainConfig, VAEConfig
    from textvae.presets import PRESETS
    from textvae.training import Trainer

    preset = PRESETS["quick"]
    vocab = max(max(s) for s in train_ids) + 1
    model = SentenceVAE(VAEConfig(vocab_size=vocab, **preset.model))
    training = {**preset.training, "max_minutes": None, "patience": None, "valid_every": None, "epochs": 100}
    config = TrainConfig(**{**training, "latent_every": every, "threads": threads, "seed": 0})
    trainer = Trainer(model, train_ids, valid_ids[:0] if every is None else valid_ids, config, sentences)
    stop = threading.Event()
    trainer.add_callback(lambda e: stop.set() if e["type"] == "step" and e["step"] >= steps else None)
    in_snapshots = [0.0]
    if trainer.latent is not None:  # the snapshots' own time, inside the same run: free of run-to-run noise
        record = trainer.latent.record

        def timed_record(*args, **kwargs):
            started = time.perf_counter()
            try:
                return record(*args, **kwargs)
            finally:
                in_snapshots[0] += time.perf_counter() - started

        trainer.latent.record = timed_record
    wall, cpu = time.perf_counter(), time.process_time()
    trainer.fit(stop)
    frames = len(trainer.latent.history) if trainer.latent else 0
    wall = time.perf_counter() - wall
    return {"wall_s": wall, "cpu_s": time.process_time() - cpu, "frames": frames, "snapshot_s": in_snapshots[0]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.live_map", description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, default=ROOT / "assets/corpora/snli-sentences.txt")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--every", type=int, default=25)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)

    import torch

    from textvae import TextTokenizer, load_corpus
    from textvae.config import PROBE_SIZE
    from textvae.data import encode_sentences
    from textvae.presets import PRESETS

    torch.set_num_threads(args.threads)
    corpus = load_corpus(args.corpus)
    split = len(corpus.sentences) - min(500, len(corpus.sentences) // 10)
    train, valid = corpus.sentences[:split], corpus.sentences[split:]
    tok = PRESETS["quick"].tokenizer
    tokenizer = TextTokenizer.train(train, tok["kind"], tok["vocab_size"], tok["min_frequency"], tok["lowercase"])
    train_ids = encode_sentences(tokenizer, train, PRESETS["quick"].model["max_length"])
    valid_ids = encode_sentences(tokenizer, valid, PRESETS["quick"].model["max_length"])
    runs: dict[str, list[dict]] = {"without": [], "with": []}
    for rep in range(args.reps):
        order = ("without", "with") if rep % 2 == 0 else ("with", "without")
        for name in order:
            every = args.every if name == "with" else None
            runs[name].append(timed_run(train_ids, valid_ids, valid, args.steps, every, args.threads))
    medians = {name: {k: statistics.median(r[k] for r in rs) for k in ("wall_s", "cpu_s")} for name, rs in runs.items()}
    result = {
        "corpus": str(args.corpus),
        "steps": args.steps,
        "every": args.every,
        "probe_sentences": min(len(valid), PROBE_SIZE),  # what a snapshot encodes
        "threads": args.threads,
        "runs": runs,
        "medians": medians,
        "slowdown_wall": medians["with"]["wall_s"] / medians["without"]["wall_s"] - 1,
        "slowdown_cpu": medians["with"]["cpu_s"] / medians["without"]["cpu_s"] - 1,
        # time in snapshots over the rest of the same run, median over the runs with the live map
        "snapshot_share": statistics.median(r["snapshot_s"] / (r["wall_s"] - r["snapshot_s"]) for r in runs["with"]),
    }
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
