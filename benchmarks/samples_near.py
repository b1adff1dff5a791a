"""Samples from the prior against samples where the book's sentences lie (``textvae.code_region``), on a raw book.

    python -m benchmarks.samples_near --book ../shared/data/books/the_great_gatsby.txt
        --others ../shared/data/snli/train.txt ../shared/data/ptb/ptb.train.txt [--preset quick] [--threads 2] [-n 300]

The book is cleaned and split as benchmarks.own_text does, and ``train --preset`` (from the base model unless
--from-scratch) learns from its first part. Then n codes are drawn with one seed and decoded at temperature 0.8
with the app's guards three ways: as drawn (the prior N(0, I)); mapped into the Gaussian fitted to the training
sentences' codes (the app's "Where the corpus's sentences lie", ``sample --near``); and, for comparison, from the
posterior of a random training sentence (the aggregate posterior itself). A sentence "reads like another text" when
a unigram model of one of --others gives its words a higher likelihood than a unigram model of the book's training
part (add-one smoothing over their joint vocabulary); the held-out last part of the book gives that rate for real
sentences of the book. Also counted: caption-shaped sentences ("A man is …", "Two dogs are …") and samples that
are training sentences word for word. Prints one JSON object and writes
benchmarks/results/samples-near-<book>[-<preset> unless quick].json.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import re
import shlex
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.own_text import RESULTS, run_cli, split_book

WORD = re.compile(r"[a-z]+")
CAPTION = re.compile(r"^(A|An|Two|Three|Four|Five|Several|Some|Many|People|The)( \w+){1,3} (is|are) ")


class UnigramJudge:
    """Says which text a sentence's words are likelier under: the book's, or one of the others."""

    def __init__(self, own: list[str], others: dict[str, list[str]]) -> None:
        self.counts = {"own": self._count(own)} | {name: self._count(lines) for name, lines in others.items()}
        self.totals = {name: sum(c.values()) for name, c in self.counts.items()}
        self.vocabulary = len(set().union(*self.counts.values()))

    @staticmethod
    def _count(lines: list[str]) -> collections.Counter:
        counts: collections.Counter = collections.Counter()
        for line in lines:
            counts.update(WORD.findall(line.replace("<unk>", " ").lower()))  # PTB's unknown-word mark is no word
        return counts

    def _log_likelihood(self, name: str, words: list[str]) -> float:
        counts, total = self.counts[name], self.totals[name] + self.vocabulary
        return sum(math.log((counts.get(w, 0) + 1) / total) for w in words)

    def elsewhere(self, sentence: str) -> str | None:
        """The other text the sentence reads like, or None when it reads most like the book."""
        words = WORD.findall(sentence.lower())
        if not words:
            return None
        own = self._log_likelihood("own", words)
        best, name = max((self._log_likelihood(name, words), name) for name in self.counts if name != "own")
        return name if best > own else None


def judge(texts: list[str], judge_: UnigramJudge, training: set[str]) -> dict:
    where = collections.Counter(judge_.elsewhere(t) for t in texts)
    return {
        "n": len(texts),
        "reads_like_another_text": sum(count for name, count in where.items() if name is not None),
        "by_text": {name: count for name, count in sorted(where.items(), key=str) if name is not None},
        "caption_shaped": sum(bool(CAPTION.match(t)) for t in texts),
        "training_sentence_verbatim": sum(t in training for t in texts),
        "first": texts[:8],
    }


def measure(
    book: Path, others: list[Path], preset: str, threads: int, n: int, from_scratch: bool, extra: list[str]
) -> dict:
    import torch

    from textvae.bundle import load_bundle
    from textvae.code_region import fit_region
    from textvae.data import encode_sentences
    from textvae.evaluation import posterior_stats
    from textvae.generation import DecodeOptions, decode_texts, sample_prior

    train, held_out, _ = split_book(book)
    with tempfile.TemporaryDirectory() as tmp:
        train_file, out = Path(tmp) / f"{book.stem}.txt", Path(tmp) / "model"
        train_file.write_text("\n".join(train) + "\n", encoding="utf-8")
        argv = ["train", str(train_file), "--preset", preset, "--out", str(out), "--threads", str(threads)]
        argv += ["--split", "lines", "--quiet"] + (["--from-scratch"] if from_scratch else []) + extra
        started = time.perf_counter()
        run_cli(argv)
        seconds = time.perf_counter() - started
        bundle = load_bundle(out)
    model, tokenizer = bundle.model, bundle.tokenizer
    torch.set_num_threads(threads)
    options = DecodeOptions(method="sample", temperature=0.8)
    mu, logvar = posterior_stats(model, encode_sentences(tokenizer, train, model.config.max_length))
    region = fit_region(mu, logvar)  # the training sentences' codes, encoded once for both uses
    prior, _ = sample_prior(model, tokenizer, n, options, seed=0)
    near, _ = sample_prior(model, tokenizer, n, options, seed=0, region=region)
    # the aggregate posterior itself: a random training sentence's q(z|x), then the same decoding
    gen = torch.Generator().manual_seed(0)
    rows = torch.randint(0, len(train), (n,), generator=gen)
    z = mu[rows] + torch.randn(mu[rows].shape, generator=gen) * (0.5 * logvar[rows]).exp()
    torch.manual_seed(0)  # decode_texts samples with the global generator
    posterior = decode_texts(model, tokenizer, z, options)
    judge_ = UnigramJudge(
        train, {f"{p.parent.name}/{p.name}": p.read_text(encoding="utf-8").splitlines() for p in others}
    )
    training = set(train)
    return {
        "book": book.name,
        "preset": preset,
        "train_sentences": len(train),
        "held_out_sentences": len(held_out),
        "train_seconds": round(seconds, 1),
        "from_scratch": from_scratch,
        "others": [f"{p.parent.name}/{p.name}" for p in others],
        "region": {
            "sentences": region.sentences,
            "mean_norm": round(float(region.mean.norm()), 3),
            "covariance_trace": round(float((region.scale @ region.scale.T).trace()), 3),
        },
        "prior": judge(prior, judge_, training),
        "near_corpus": judge(near, judge_, training),
        "posterior_of_a_training_sentence": judge(posterior, judge_, training),
        "held_out_real_sentences": judge(held_out, judge_, training),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.samples_near", description=__doc__.split("\n\n")[0])
    p.add_argument("--book", type=Path, required=True, help="a raw book file (as downloaded)")
    p.add_argument("--others", type=Path, nargs="+", required=True, help="texts the base model also read")
    p.add_argument("--preset", default="quick", help="quick, balanced or best (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("-n", type=int, default=300, help="samples each way (default: %(default)s)")
    p.add_argument("--from-scratch", action="store_true", help="train a new model instead of fine-tuning the base")
    p.add_argument("--train-args", default="", help="more `train` options, quoted (smoke tests: tiny sizes)")
    args = p.parse_args(argv)
    extra = shlex.split(args.train_args)
    result = measure(args.book, args.others, args.preset, args.threads, args.n, args.from_scratch, extra)
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(result, indent=1, ensure_ascii=False)
    name = f"samples-near-{args.book.stem}{'' if args.preset == 'quick' else '-' + args.preset}.json"
    (RESULTS / name).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
