"""``python -m textvae inspect CORPUS [--json] [--sentences]``: what a file becomes before any training.

Shows the counts a user needs to judge a corpus (sentences, words, lengths), what cleaning removed
from a raw book (licence, contents, headings...) and the warnings; ``--sentences`` prints the cleaned
sentences one a line, to read or to pipe. No torch is imported.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..corpus import CorpusOptions
from .parser import add_max_words, add_split_argument

LANGUAGE_NAMES = {"en": "English", "zh": "Chinese", "ja": "Japanese", "de": "German", "fr": "French", "es": "Spanish"}


def add_inspect_parser(sub) -> None:
    """The ``inspect`` sub-command's arguments (the same corpus options as ``train``)."""
    p = sub.add_parser("inspect", help="statistics of a corpus after cleaning; --sentences prints them one a line")
    p.add_argument("corpus", help=".txt, .md, .csv or .tsv file")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--sentences", action="store_true", help="the cleaned sentences, one a line")
    p.add_argument("--no-clean", action="store_true", help="keep a book's licence, contents, headings... as text")
    p.add_argument("--lowercase", action="store_true")
    add_max_words(p, CorpusOptions.max_words)
    p.add_argument("--text-column", help="text column of a .csv/.tsv")
    add_split_argument(p)


def inspect_corpus(path: str, args: argparse.Namespace) -> tuple[dict, list[str]]:
    """The corpus's statistics as plain data, and its sentences."""
    from ..corpus import corpus_stats, load_corpus
    from ..corpus.cleaning import REPORT_PREFIX, summary_from_counts
    from ..corpus.language import detect_language, is_cjk
    from ..corpus.loading import split_summary

    options = CorpusOptions(
        lowercase=args.lowercase,
        max_words=args.max_words,
        text_column=args.text_column,
        split=args.split,
        clean=not args.no_clean,
    )
    corpus = load_corpus(path, options=options)
    language = detect_language("\n".join(corpus.sentences[:2000]))
    unit = "character" if is_cjk(language) else "word"  # Chinese and Japanese put no spaces between words
    stats = corpus_stats(_characters(corpus.sentences) if unit == "character" else corpus.sentences, top=10)
    removed = {k.removeprefix(REPORT_PREFIX): n for k, n in corpus.report.items() if k.startswith(REPORT_PREFIX)}
    info = {
        "corpus": corpus.name,
        "encoding": corpus.encoding,
        "language": language,
        "unit": unit,  # of tokens, lengths and top: "word", or "character" for Chinese and Japanese
        "sentences": stats.sentences,
        "tokens": stats.tokens,
        "distinct_tokens": stats.vocabulary,
        "characters": sum(len(s) for s in corpus.sentences),
        "mean_length": round(stats.mean_length, 2),
        "max_length": stats.max_length,
        "mean_characters": round(sum(len(s) for s in corpus.sentences) / max(1, len(corpus)), 2),
        "cleaning": summary_from_counts(corpus.report) or "Nothing to clean.",
        "long_sentences": split_summary(corpus.report),
        "removed": removed,
        "joined_lines": corpus.report.get("joined_lines", 0),
        "report": corpus.report,
        "warnings": corpus.warnings,
        "top": stats.top_words,
    }
    return info, corpus.sentences


def _characters(sentences: list[str]) -> list[str]:
    """Sentences as space-separated characters (punctuation and spaces left out), to count like words."""
    return [" ".join(ch for ch in s if ch.isalnum()) for s in sentences]


def format_stats(info: dict) -> str:
    """The statistics as aligned lines for people."""
    language = LANGUAGE_NAMES.get(info["language"], info["language"])
    unit = info["unit"]
    rows = [
        ("corpus", f"{info['corpus']} ({info['encoding']}, {language})"),
        ("sentences", f"{info['sentences']:,}"),
        (unit + "s", f"{info['tokens']:,} ({info['distinct_tokens']:,} distinct)"),
        ("length", f"mean {info['mean_length']:.1f} {unit}s, longest {info['max_length']:,}"),
        ("text", f"{info['characters']:,} characters (mean {info['mean_characters']:.1f} a sentence)"),
        ("cleaning", info["cleaning"]),
    ]
    rows += [("long sentences", info["long_sentences"])] if info["long_sentences"] else []
    rows += [("warning", warning) for warning in info["warnings"]]
    rows.append((f"top {unit}s", ", ".join(f"{w} {n:,}" for w, n in info["top"])))
    return "\n".join(f"{key:<14} {value}" for key, value in rows)


def cmd_inspect(args: argparse.Namespace) -> int:
    """Print the statistics (or JSON, or the sentences) of one corpus."""
    info, sentences = inspect_corpus(args.corpus, args)
    if args.json:
        if args.sentences:
            info["cleaned_sentences"] = sentences
        text = json.dumps(info, ensure_ascii=False)
    else:
        text = "\n".join(sentences) if args.sentences else format_stats(info)
    try:
        print(text)
    except BrokenPipeError:  # "| head": the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
