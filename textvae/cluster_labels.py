"""Clusters that read: each cluster of the latent map named by its most distinctive words.

Class-based TF-IDF, as BERTopic does (Grootendorst 2022): the sentences of a cluster are one document, and a
word scores ``tf(word, cluster) * log(1 + A / f(word))``, with tf the word's share of the cluster's words, A
the mean number of words a cluster has and f the word's count in all clusters together. Words every cluster
uses score low; words one cluster uses often score high. As BERTopic's ``reduce_frequent_words`` does, tf is
square-rooted: on the demo model's SNLI clusters, "man" otherwise names five clusters of eight. English function
words and words in more than half the sentences are left out first (the score alone lets "the" win), and so
are words a cluster uses once when it has others it uses more (one sentence's word does not describe a cluster).

Words come from a Unicode regex, so every script that separates words with spaces works; Chinese and
Japanese, which do not, are cut into character bigrams (a run of one character is kept as it is).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

TOP_WORDS = 3
MAX_SHARE = 0.5  # words in more than this share of all sentences say nothing about one cluster
# Letters of any script, "don't" kept whole; never letters glued to a digit or a letter before them: the "th" of
# "11th" is no word (a Frankenstein model's cluster was named "oh, alas, th" by the dates of its letters).
_WORD = re.compile(r"(?<![^\W_])[^\W\d_]+(?:['’][^\W\d_]+)*")
# Han, Hiragana, Katakana (and their extensions): scripts written without spaces between words
_NO_SPACES = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+")


def _english_stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def words(sentence: str) -> list[str]:
    """The sentence's words, lowercased: regex words, and character bigrams of Chinese or Japanese text. An elision
    of one or two letters ("th' Almighty", "o' the") is no word to name a cluster by: it would read as a fragment."""
    found = []
    lowered = sentence.lower()
    for match in _WORD.finditer(lowered):
        word = match.group()
        if len(word) <= 2 and lowered[match.end() : match.end() + 1] in ("'", "’"):
            continue
        pieces = _NO_SPACES.split(word)
        found.extend(piece for piece in pieces if piece)
        for run in _NO_SPACES.findall(word):
            found.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    return found


def cluster_keywords(
    sentences: Sequence[str], clusters: Sequence[int], k: int, top: int = TOP_WORDS
) -> list[list[str]]:
    """The ``top`` most distinctive words of each of the ``k`` clusters (class-based TF-IDF), best first."""
    tokenised = [words(s) for s in sentences]
    stop = _english_stop_words()
    spread = Counter(w for ws in tokenised for w in set(ws))
    too_common = {w for w, n in spread.items() if n > MAX_SHARE * len(sentences)} if len(sentences) >= 4 else set()
    counts = [Counter() for _ in range(k)]
    for ws, cluster in zip(tokenised, clusters, strict=True):
        counts[int(cluster)].update(w for w in ws if w not in stop and w not in too_common)
    totals = Counter()
    for c in counts:
        totals.update(c)
    mean_words = sum(totals.values()) / max(1, k)
    keywords = []
    for c in counts:
        n = sum(c.values())
        repeated = {w: m for w, m in c.items() if m >= 2} or c
        scores = {w: np.sqrt(m / n) * np.log1p(mean_words / totals[w]) for w, m in repeated.items()}
        keywords.append(sorted(scores, key=lambda w: (-scores[w], w))[:top])
    return keywords


def cluster_names(keywords: list[list[str]]) -> list[str]:
    """Legend names, numbered from 1 as the map shows clusters: "3: food, service, waiter"."""
    return [f"{i + 1}: {', '.join(ws)}" if ws else f"{i + 1}" for i, ws in enumerate(keywords)]
