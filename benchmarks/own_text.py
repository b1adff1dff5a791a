"""A teacher's own text, measured: a raw novel through a preset, as the app and the CLI train it.

    python -m benchmarks.own_text --book ../shared/data/books/frankenstein.txt --threads 2 [--preset quick]
        [--from-scratch] [--iw-samples 50]

The book is read and cleaned as an upload is (Gutenberg header, licence, contents, headings removed); its last
HOLD_OUT share of sentences (its last chapters) is held out. ``train --preset`` (from the base model unless
--from-scratch) learns from the rest, timed from the corpus file to the saved bundle. Then the held-out
sentences are evaluated (bits per character from the IW-NLL, KL, active units, greedy reconstruction
accuracy) and 20 samples at temperature 0.8 are checked for <unk>, repeated word 3-grams, glued words and words
that no known text has, with the word guard (the app's default) and without it; 1,000 more, with the sentence
shape guard (the app's default) and without it, for those that stop mid-phrase or on a clause mark, begin in lower
case, reach the length limit, write a word twice in a row that the book never doubles, or put two marks together
as the book never does (",," "::"), or capitalise a word inside a sentence where the book never does.
Prints one JSON object and writes it to benchmarks/results/own-text-<book>-<preset>[-scratch].json.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textvae.sentence_shape import SentenceShape

HOLD_OUT = 0.1  # the book's last tenth: its last chapters
RESULTS = Path(__file__).resolve().parent / "results"
WORD = re.compile(r"[A-Za-z]+")


def split_book(path: Path) -> tuple[list[str], list[str], str]:
    """The cleaned book's sentences, first part and held-out last part, and what cleaning removed."""
    from textvae.corpus import load_corpus
    from textvae.corpus.cleaning import summary_from_counts

    corpus = load_corpus(path)
    cut = int(len(corpus.sentences) * (1 - HOLD_OUT))
    return corpus.sentences[:cut], corpus.sentences[cut:], summary_from_counts(corpus.report)


def repeated_trigrams(sentence: str) -> int:
    words = [w.lower() for w in WORD.findall(sentence)]
    grams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    return len(grams) - len(set(grams))


def known_words(sentences: list[str], tokenizer) -> set[str]:
    """Words of the training text, the words the model carries (its training and base texts', when it has them)
    and the whole-word tokens of the tokenizer (the base model's English)."""
    words = {w.lower() for s in sentences for w in WORD.findall(s)} | set(tokenizer.words or ())
    for i in range(tokenizer.vocab_size):
        text = tokenizer.token_text(i)
        if text.isalpha() and len(text) > 1:
            words.add(text.lower())
    return words


def glued_words(sentence: str, known: set[str]) -> list[str]:
    """Words that are not words but two known ones run together ("towhether", "youThat")."""
    found = []
    for word in WORD.findall(sentence):
        low = word.lower()
        if low in known or len(low) < 5:
            continue
        if any(low[:i] in known and low[i:] in known for i in range(2, len(low) - 1)):
            found.append(word)
    return found


def non_words(sentence: str, known: set[str]) -> list[str]:
    """Words of two letters or more that no known text has ("perceious", "deations")."""
    return [w for w in WORD.findall(sentence) if len(w) > 1 and w.lower() not in known]


def ends_mid_phrase(sentence: str) -> bool:
    """Stops on a word, not after a sentence end, clause mark or closing quote ("…and the monster was in the")."""
    return sentence.rstrip()[-1:].isalnum()


def odd_doubles(sentence: str, book: SentenceShape) -> list[str]:
    """Words written twice in a row that the book never doubles ("and and")."""
    from textvae.sentence_shape import doubled_words

    return sorted(doubled_words(sentence) - (book.doubled or frozenset()))


def odd_marks(sentence: str, book: SentenceShape) -> list[str]:
    """Pairs of marks that never meet in the book (",," ",.")."""
    from textvae.sentence_shape import mark_pairs

    return sorted(mark_pairs(sentence) - (book.pairs or frozenset()))


def odd_capitals(sentence: str, book: SentenceShape) -> list[str]:
    """Words with a capital inside the sentence that the book never capitalises there ("the Who of Britain")."""
    from textvae.sentence_shape import mid_capitals

    return sorted(mid_capitals(sentence) - (book.capitals or frozenset()))


def shape_counts(bundle, options, book: SentenceShape, n: int = 1000) -> dict:
    """Of n samples: those that stop mid-phrase or on a clause mark (, ; :), begin in lower case, reach the model's
    length limit, double a word or put two marks together as the book (``book``: the shape of its training
    sentences) never does."""
    import torch

    from textvae.generation import decode_latent, guards, length_limit
    from textvae.sentence_shape import CLAUSE_MARKS

    generator = torch.Generator().manual_seed(1)
    z = torch.randn((n, bundle.config.latent_dim), generator=generator)
    ids = decode_latent(bundle.model, z, options, generator, *guards(bundle.tokenizer))
    texts = bundle.tokenizer.decode_batch(ids)
    return {
        "mid_phrase": sum(map(ends_mid_phrase, texts)),
        "lower_case_start": sum(s.strip()[:1].islower() for s in texts),
        "at_length_limit": sum(len(row) >= length_limit(bundle.model, options) for row in ids),
        "clause_mark_end": sum(s.rstrip()[-1:] in CLAUSE_MARKS for s in texts),
        "doubled_word": sum(bool(odd_doubles(s, book)) for s in texts),
        "odd_marks": sum(bool(odd_marks(s, book)) for s in texts),
        "odd_capital": sum(bool(odd_capitals(s, book)) for s in texts),
    }


def run_cli(argv: list[str]) -> str:
    """``python -m textvae`` in this process; its standard output."""
    from textvae.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    if code != 0:
        raise SystemExit(f"python -m textvae {' '.join(argv)} failed ({code})")
    return out.getvalue()


def measure(
    book: Path, preset: str, threads: int, from_scratch: bool, iw_samples: int, extra: list[str] | None = None
) -> dict:
    from textvae.bundle import load_bundle
    from textvae.generation import DecodeOptions, sample_prior
    from textvae.sentence_shape import SentenceShape

    train, held_out, cleaning = split_book(book)
    with tempfile.TemporaryDirectory() as tmp:
        train_file, test_file, out = Path(tmp) / f"{book.stem}.txt", Path(tmp) / "held-out.txt", Path(tmp) / "model"
        train_file.write_text("\n".join(train) + "\n", encoding="utf-8")
        test_file.write_text("\n".join(held_out) + "\n", encoding="utf-8")
        argv = ["train", str(train_file), "--preset", preset, "--out", str(out), "--threads", str(threads)]
        argv += ["--split", "lines", "--quiet", "--fp16-weights"] + (["--from-scratch"] if from_scratch else [])
        argv += extra or []
        started = time.perf_counter()
        run_cli(argv)
        seconds = time.perf_counter() - started
        test = json.loads(
            run_cli(
                ["evaluate", str(out), str(test_file), "--split", "lines", "--json", "--iw-samples", str(iw_samples)]
            )
        )
        bundle = load_bundle(out)
    samples, _ = sample_prior(bundle.model, bundle.tokenizer, 20, DecodeOptions(method="sample", temperature=0.8))
    unguarded, _ = sample_prior(
        bundle.model, bundle.tokenizer, 20, DecodeOptions(method="sample", temperature=0.8, known_words=False)
    )
    book_shape = SentenceShape.learn(train)
    shapes = {
        name: shape_counts(bundle, DecodeOptions(method="sample", temperature=0.8, sentence_shape=on), book_shape)
        for name, on in (("shape_guard_on", True), ("shape_guard_off", False))
    }
    known = known_words(train, bundle.tokenizer)
    return {
        "book": book.name,
        "preset": preset,
        "from_base": bundle.metrics.get("base"),
        "threads": threads,
        "cleaning": cleaning,
        "train_sentences": len(train),
        "held_out_sentences": len(held_out),
        "train_seconds": round(seconds, 1),
        "stopped_by": bundle.metrics["result"]["reason"],
        "epochs_done": bundle.metrics["result"]["epochs_done"],
        "held_out": {k: test[k] for k in ("bits_per_char", "nll_iw", "elbo", "kl", "au", "recon_token_acc", "bleu")},
        "latent_dim": bundle.config.latent_dim,
        "unknown_rate": test["unknown_rate"],
        "samples": samples,
        "samples_with_unk": sum("<unk>" in s for s in samples),
        "sentence_shape": str(bundle.tokenizer.shape),
        "of_1000_samples": shapes,
        "samples_with_repeated_trigram": sum(repeated_trigrams(s) > 0 for s in samples),
        "glued_words": sorted({w for s in samples for w in glued_words(s, known)}),
        "non_words": sorted({w for s in samples for w in non_words(s, known)}),
        "without_word_guard": {
            "samples": unguarded,
            "glued_words": sorted({w for s in unguarded for w in glued_words(s, known)}),
            "non_words": sorted({w for s in unguarded for w in non_words(s, known)}),
        },
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.own_text", description=__doc__.split("\n\n")[0])
    p.add_argument("--book", type=Path, required=True, help="a raw book file (as downloaded)")
    p.add_argument("--preset", default="quick", help="quick, balanced or best (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--from-scratch", action="store_true", help="train a new model instead of fine-tuning the base")
    p.add_argument("--iw-samples", type=int, default=50, help="importance samples for the held-out NLL")
    p.add_argument("--train-args", default="", help="more `train` options, quoted (smoke tests: tiny sizes)")
    args = p.parse_args(argv)
    extra = shlex.split(args.train_args)
    result = measure(args.book, args.preset, args.threads, args.from_scratch, args.iw_samples, extra)
    name = f"own-text-{args.book.stem}-{args.preset}{'-scratch' if args.from_scratch else ''}.json"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
