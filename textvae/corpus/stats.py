"""Corpus statistics for the Data page and the command line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass
class CorpusStats:
    sentences: int
    tokens: int
    vocabulary: int
    unknown_rate: float  # share of tokens the tokenizer maps to <unk> (0 without a tokenizer)
    mean_length: float
    max_length: int
    length_histogram: dict[int, int]  # tokens per sentence -> count
    top_words: list[tuple[str, int]]


def corpus_stats(sentences: list[str], tokenizer=None, top: int = 30) -> CorpusStats:
    """Counts for the Data page and the CLI. Lengths are in tokenizer tokens when one is given."""
    if tokenizer is not None:
        encoded = tokenizer.encode_batch(sentences)
        lengths = [len(ids) for ids in encoded]
        unk = sum(ids.count(tokenizer.unk_id) for ids in encoded)
    else:
        lengths = [len(s.split()) for s in sentences]
        unk = 0
    words = Counter(w for s in sentences for w in s.split())
    tokens = sum(lengths)
    return CorpusStats(
        sentences=len(sentences),
        tokens=tokens,
        vocabulary=len(words),
        unknown_rate=unk / tokens if tokens else 0.0,
        mean_length=tokens / len(sentences) if sentences else 0.0,
        max_length=max(lengths, default=0),
        length_histogram=dict(sorted(Counter(lengths).items())),
        top_words=words.most_common(top),
    )
