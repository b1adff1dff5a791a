"""``python -m textvae inspect CORPUS [--json] [--sentences]``: what a file becomes before any training.

Shows the counts a user needs to judge a corpus (sentences, words, lengths), what cleaning removed
from a raw book (licence, contents, headings...) and the warnings; ``--sentences`` prints the cleaned
sentences one a line, to read or to pipe. No torch is imported.
"""

from __future__ import annotations

import argparse
import json

SPLIT_HELP = (
    "lines: one sentence a line, never split; prose: split paragraphs into sentences; auto: decide per file (default)"
)
LANGUAGE_NAMES = {"en": "English", "zh": "Chinese", "ja": "Japanese", "de": "German", "fr": "French", "es": "Spanish"}


def add_inspect_parser(sub) -> None:
    """The ``inspect`` sub-command's arguments (the same corpus options as ``train``)."""
    p = sub.add_parser("inspect", help="statistics of a corpus after cleaning; --sentences prints them one a line")
    p.add_argument("corpus", help=".txt, .md, .csv or .tsv file")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--sentences", action="store_true", help="the cleaned sentences, one a line")
    p.add_argument("--no-clean", action="store_true", help="keep a book's licence, contents, headings... as text")
    p.add_argument("--lowercase", action="store_true")
    p.add_argument("--max-words", type=int, default=40, help="truncate longer sentences (default: %(default)s)")
    p.add_argument("--text-column", help="text column of a .csv/.tsv")
    p.add_argument("--split", choices=["auto", "lines", "prose"], default="auto", help=SPLIT_HELP)


def inspect_corpus(path: str, args: argparse.Namespace) -> tuple[dict, list[str]]:
    """The corpus's statistics as plain data, and its sentences."""
    from .corpus import CorpusOptions, corpus_stats, load_corpus
    from .corpus.cleaning import REPORT_PREFIX, summary_from_counts
    from .corpus.language import detect_language

    options = CorpusOptions(
        lowercase=args.lowercase,
        max_words=args.max_words,
        text_column=args.text_column,
        split=args.split,
        clean=not args.no_clean,
    )
    corpus = load_corpus(path, options=options)
    stats = corpus_stats(corpus.sentences, top=10)
    language = detect_language("\n".join(corpus.sentences[:2000]))
    removed = {k.removeprefix(REPORT_PREFIX): n for k, n in corpus.report.items() if k.startswith(REPORT_PREFIX)}
    info = {
        "corpus": corpus.name,
        "encoding": corpus.encoding,
        "language": language,
        "sentences": stats.sentences,
        "words": stats.tokens,
        "distinct_words": stats.vocabulary,
        "characters": sum(len(s) for s in corpus.sentences),
        "mean_words": round(stats.mean_length, 2),
        "max_words": stats.max_length,
        "mean_characters": round(sum(len(s) for s in corpus.sentences) / max(1, len(corpus)), 2),
        "cleaning": summary_from_counts(corpus.report) or "Nothing to clean.",
        "removed": removed,
        "joined_lines": corpus.report.get("joined_lines", 0),
        "report": corpus.report,
        "warnings": corpus.warnings,
        "top_words": stats.top_words,
    }
    return info, corpus.sentences


def format_stats(info: dict) -> str:
    """The statistics as aligned lines for people."""
    language = LANGUAGE_NAMES.get(info["language"], info["language"])
    rows = [
        ("corpus", f"{info['corpus']} ({info['encoding']}, {language})"),
        ("sentences", f"{info['sentences']:,}"),
        ("words", f"{info['words']:,} ({info['distinct_words']:,} distinct)"),
        ("length", f"mean {info['mean_words']:.1f} words, longest {info['max_words']:,}"),
        ("characters", f"{info['characters']:,} (mean {info['mean_characters']:.1f} a sentence)"),
        ("cleaning", info["cleaning"]),
    ]
    rows += [("warning", warning) for warning in info["warnings"]]
    rows.append(("top words", ", ".join(f"{w} {n:,}" for w, n in info["top_words"])))
    return "\n".join(f"{key:<11} {value}" for key, value in rows)


def cmd_inspect(args: argparse.Namespace) -> int:
    """Print the statistics (or JSON, or the sentences) of one corpus."""
    info, sentences = inspect_corpus(args.corpus, args)
    if args.json:
        if args.sentences:
            info["cleaned_sentences"] = sentences
        print(json.dumps(info, ensure_ascii=False))
    elif args.sentences:
        print("\n".join(sentences))
    else:
        print(format_stats(info))
    return 0
