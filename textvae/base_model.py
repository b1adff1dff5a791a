r"""The general-English base model that the presets fine-tune from: what it learns from, and how it is rebuilt.

    python -m textvae.base_model --data ../shared/data --out /tmp/base-stage-1 --minutes 40
    python -m textvae.base_model --data ../shared/data --out assets/base-model --minutes 75 \
        --init /tmp/base-stage-1 --free-bits 0.5

It reads the raw corpora of ``--data`` (Project Gutenberg books as downloaded, cleaned by the corpus loader;
SNLI; the labelled sentiment CSV; Alice; the Penn Treebank sentences that have no ``<unk>`` or ``N``
placeholder), leaves out the held-out novel that the targets are measured on and every Jane Austen novel,
trains one byte-level BPE sentence VAE and saves it with fp16 weights, with the words of its training text
(``words.txt``). The bundled one was built in the two stages above (assets/README.md has their numbers). Seeded;
a time budget makes the number of steps depend on the machine's speed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

from .errors import TextVAEError
from .precision import PRECISIONS

BASE_DIR = Path(__file__).resolve().parents[1] / "assets" / "base-model"  # the bundled one (see base_dir)
# A corpus whose text the base tokenizer splits into more pieces than this per character (another script: a
# Chinese character is three bytes) is better served by a tokenizer of its own, trained from scratch.
MAX_TOKENS_PER_CHARACTER = 0.6
MAX_UNKNOWN_RATE = 0.05
HELD_OUT = ("frankenstein",)  # the unseen novel of the targets: never in the base model
NEVER = ("austen", "pride_and_prejudice", "emma", "persuasion", "sense_and_sensibility", "northanger", "mansfield")
MODEL = {
    "embed_dim": 256,
    "hidden_dim": 384,
    "latent_dim": 32,
    "word_dropout": 0.3,
    "embed_dropout": 0.1,
    "output_dropout": 0.2,
    "max_length": 64,
}
TOKENIZER = {"kind": "bpe", "vocab_size": 8000, "min_frequency": 2, "lowercase": False}
TRAINING = {
    "batch_size": 64,
    "lr": 2e-3,
    "lr_schedule": "cosine",
    "kl_schedule": "cyclical",
    "kl_cycles": 4,
    "free_bits": 0.25,
    "valid_every": 500,
}


def base_dir() -> Path:
    """Where the app and ``train --preset`` find the base model: TEXTVAE_BASE_MODEL, else the bundled one."""
    return Path(os.environ.get("TEXTVAE_BASE_MODEL", "").strip() or BASE_DIR)


def load_base(path: Path | str | None = None):
    """The base model bundle (TextVAEError saying why, when it is missing or not a usable bundle)."""
    from .bundle import load_bundle

    folder = Path(path) if path is not None else base_dir()
    if not (folder / "model.safetensors").exists():
        raise TextVAEError(
            f"No base model at {folder}: train from scratch, or rebuild it (python -m textvae.base_model)."
        )
    try:
        bundle = load_bundle(folder)
    except TextVAEError as exc:
        raise TextVAEError(f"The base model cannot be used ({exc}); train from scratch instead.") from exc
    if bundle.tokenizer.vocab_size != bundle.config.vocab_size:
        raise TextVAEError(
            f"The base model's tokenizer has {bundle.tokenizer.vocab_size:,} tokens but its model expects "
            f"{bundle.config.vocab_size:,}; train from scratch instead."
        )
    return bundle


def tokens_per_character(tokenizer, sentences: list[str], sample: int = 2000) -> float:
    """How finely ``tokenizer`` cuts the text: tokens per non-space character over a sample of sentences."""
    chosen = sentences[:: max(1, len(sentences) // sample)][:sample]
    characters = sum(len("".join(s.split())) for s in chosen)
    return sum(len(ids) for ids in tokenizer.encode_batch(chosen)) / max(1, characters)


def base_fits(tokenizer, sentences: list[str]) -> tuple[bool, float]:
    """Whether the base tokenizer covers this text well enough to fine-tune from (few pieces a character, and
    almost no unknown tokens, which only a word-level base has), and its tokens per character."""
    rate = tokens_per_character(tokenizer, sentences)
    unknown = tokenizer.unknown_rate(sentences[:: max(1, len(sentences) // 2000)][:2000])
    return rate <= MAX_TOKENS_PER_CHARACTER and unknown <= MAX_UNKNOWN_RATE, rate


def _allowed(path: Path) -> bool:
    name = path.name.lower()
    return not any(word in name for word in HELD_OUT + NEVER)


def _ptb_sentences(folder: Path) -> list[str]:
    """PTB lines without its placeholders: a model must never learn to write "<unk>" or "N"."""
    lines = (folder / "ptb.train.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and "<unk>" not in line and " N " not in f" {line} "]


def collect(data_dir: Path) -> tuple[list[str], dict[str, int]]:
    """The base model's sentences (deduplicated, shuffled with a fixed seed) and how many each source gave."""
    from .corpus import CorpusOptions, load_corpus

    options = CorpusOptions(max_words=60, min_words=3, dedupe=True)
    counts: dict[str, int] = {}
    sentences: list[str] = []
    files = sorted(p for folder in ("books", "gutenberg") for p in (data_dir / folder).glob("*.txt"))
    files += [data_dir / "snli" / "train.txt", data_dir / "sentiment_labelled" / "sentences.csv"]
    for path in files:
        if path.stem.upper() == "SOURCE" or not _allowed(path):
            continue
        found = load_corpus(path, options=options, max_bytes=2**30).sentences
        counts[f"{path.parent.name}/{path.name}"] = len(found)
        sentences += found
    ptb = _ptb_sentences(data_dir / "ptb")
    counts["ptb/ptb.train.txt (no <unk>, no N)"] = len(ptb)
    sentences += ptb
    unique = list(dict.fromkeys(sentences))
    random.Random(0).shuffle(unique)
    return unique, counts


def build(
    data_dir: Path,
    out: Path,
    minutes: float,
    threads: int,
    seed: int = 0,
    precision: str = "auto",
    init: Path | None = None,
    free_bits: float | None = None,
):
    """Train the base model on ``collect(data_dir)`` for at most ``minutes`` and save it (fp16) to ``out``.

    With ``init`` (a base model bundle) training continues from its weights and tokenizer instead of starting
    from scratch: a longer build in stages, each recorded in the bundle's ``base_stages``."""
    from . import Corpus, TokenizerConfig, TrainConfig, save_bundle, train_model

    sentences, counts = collect(data_dir)
    for source, n in counts.items():
        print(f"{n:8,d}  {source}", file=sys.stderr)
    print(f"{len(sentences):8,d}  sentences in all (deduplicated)", file=sys.stderr)
    settings = {**TRAINING, **({} if free_bits is None else {"free_bits": free_bits})}
    training = TrainConfig(epochs=100, max_minutes=minutes, seed=seed, threads=threads, precision=precision, **settings)
    start = load_base(init) if init is not None else None

    def progress(event: dict) -> None:
        if event["type"] == "valid":
            print(
                f"step {event['step']:6d}  valid -ELBO {event['elbo']:.2f}  KL {event['kl']:.2f}  AU {event.get('au')}",
                file=sys.stderr,
            )

    started = time.perf_counter()
    bundle, _ = train_model(
        Corpus(sentences, name="base: books, SNLI, sentiment, Alice, PTB"),
        model=dict(MODEL),
        training=training,
        tokenizer=TokenizerConfig(**TOKENIZER),
        callbacks=[progress],
        name="English base model",
        base=start,
    )
    stage = {
        "from": "scratch" if start is None else "the previous stage",
        "minutes": round((time.perf_counter() - started) / 60, 1),
        "steps": bundle.metrics["result"]["steps"],
        "free_bits": training.free_bits,
    }
    bundle.metrics["base_sources"] = counts
    bundle.metrics["base_stages"] = ([] if start is None else _stages(start.metrics)) + [stage]
    bundle.metrics["base_build_minutes"] = round(sum(s["minutes"] for s in bundle.metrics["base_stages"]), 1)
    save_bundle(bundle, out, half=True)
    return bundle


def _stages(metrics: dict) -> list[dict]:
    """The build stages a base bundle records (one, from scratch, for a bundle built before stages were kept)."""
    if "base_stages" in metrics:
        return list(metrics["base_stages"])
    result = metrics.get("result", {})
    free_bits = metrics.get("training", {}).get("free_bits")
    minutes = metrics.get("base_build_minutes")
    return [{"from": "scratch", "minutes": minutes, "steps": result.get("steps"), "free_bits": free_bits}]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m textvae.base_model", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder (books/, snli/, ptb/, ...)")
    parser.add_argument("--out", type=Path, required=True, help="where the bundle goes (assets/base-model)")
    parser.add_argument("--minutes", type=float, default=60.0, help="training time budget (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="auto: bf16 where the hardware runs it natively, else fp32 (default: %(default)s)",
    )
    parser.add_argument(
        "--init", type=Path, help="continue training this base model bundle (its weights and tokenizer) instead"
    )
    parser.add_argument("--free-bits", type=float, help=f"nats per latent dimension (default: {TRAINING['free_bits']})")
    args = parser.parse_args(argv)
    try:
        bundle = build(
            args.data, args.out, args.minutes, args.threads, args.seed, args.precision, args.init, args.free_bits
        )
    except TextVAEError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    valid = bundle.metrics.get("valid", {})
    print(f"saved {args.out}: valid -ELBO {valid.get('elbo')}, KL {valid.get('kl')}, AU {valid.get('au')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
