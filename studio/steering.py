"""Steering for the app: the labelled corpus to steer with, the direction between two labels (cached per model,
corpus and labels, from the map's own encoding) and a sentence's path along it (cached per sentence)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from studio import maps
from studio.corpora import active_corpus, bundled_corpus
from studio.models import active_model_id
from studio.paths import corpora_dir

if TYPE_CHECKING:
    from textvae import Corpus, ModelBundle
    from textvae.steering import AttributeDirection, Steering

SENTIMENT_CORPUS = "sentiment-labelled.csv"
SENTIMENT_EXAMPLE = "The food was cold and the waiter was rude."
PATH_STEPS = 11  # the slider's stops: 0%, 10%, ... 100% of the way, decoded at once


@dataclass
class Labelled:
    corpus: Corpus
    corpus_id: str
    labels: list[str]  # the label values, commonest first
    bundled: bool  # the bundled sentiment sentences stand in for an active corpus without labels


def label_values(corpus: Corpus) -> list[str]:
    """The corpus's labels, commonest first, that have at least two sentences (a mean needs more than one)."""
    counts = Counter(corpus.labels or [])
    return [label for label, n in counts.most_common() if n >= 2]


def labelled_corpus() -> Labelled | None:
    """The active corpus when it has two labels or more, else the bundled sentiment sentences (None without)."""
    found = active_corpus()
    if found is not None and len(label_values(found[0])) >= 2:
        return Labelled(*found, label_values(found[0]), bundled=False)
    return _bundled_sentiment()


def _bundled_sentiment() -> Labelled | None:
    """The bundled sentiment sentences (None when the checkout lacks them)."""
    path = corpora_dir() / SENTIMENT_CORPUS
    if not path.is_file():
        return None
    corpus, corpus_id = bundled_corpus(path)
    return Labelled(corpus, corpus_id, label_values(corpus), bundled=True)


def warm(model_id: str, bundle: ModelBundle) -> None:
    """Compute (into the caches) what the Steer page first shows with ``bundle``: the bundled sentiment sentences'
    codes, the default direction and the example review's path (3-4 s on a first visit otherwise)."""
    labelled = _bundled_sentiment()
    if labelled is None:
        return
    source, target = default_pair(labelled.labels)
    data = maps.encoded(bundle, labelled.corpus, labelled.corpus_id, model_id=model_id)
    found = _direction(model_id, labelled.corpus_id, source, target, data.z, data.labels)
    _path(model_id, labelled.corpus_id, source, target, default_sentence(labelled, source), bundle, found)


def default_pair(labels: list[str]) -> tuple[str, str]:
    """negative -> positive when the labels have them, else the two commonest labels."""
    if {"negative", "positive"} <= set(labels):
        return "negative", "positive"
    return labels[0], labels[1]


def default_sentence(labelled: Labelled, source: str) -> str:
    """The sentence the page starts from: the curated review for the sentiment sentences, else a readable
    sentence of the ``source`` label."""
    from studio.examples import pick_examples

    if labelled.bundled or labelled.corpus.name == SENTIMENT_CORPUS:
        return SENTIMENT_EXAMPLE
    own = [
        s for s, label in zip(labelled.corpus.sentences, labelled.corpus.labels or [], strict=True) if label == source
    ]
    return pick_examples(own, 1)[0]


@st.cache_data(max_entries=32, ttl=3600, show_spinner="Finding the direction between the labels…")
def _direction(model_id: str, corpus_id: str, source: str, target: str, _z, _labels) -> AttributeDirection:
    from textvae.steering import attribute_direction

    return attribute_direction(_z, _labels, source, target)


def direction(bundle: ModelBundle, labelled: Labelled, source: str, target: str) -> AttributeDirection:
    """The direction from ``source``'s mean code to ``target``'s, on the codes the latent map uses (cached)."""
    data = maps.encoded(bundle, labelled.corpus, labelled.corpus_id)
    return _direction(active_model_id(), labelled.corpus_id, source, target, data.z, data.labels)


@st.cache_data(max_entries=128, ttl=3600, show_spinner="Decoding the path…")
def _path(model_id: str, corpus_id: str, source: str, target: str, sentence: str, _bundle, _direction) -> Steering:
    from textvae.steering import steer

    return steer(_bundle.model, _bundle.tokenizer, sentence, _direction, PATH_STEPS)


def path(bundle: ModelBundle, labelled: Labelled, source: str, target: str, sentence: str) -> Steering:
    """``sentence`` decoded at each slider stop from its own code to the far end (cached per sentence)."""
    found = direction(bundle, labelled, source, target)
    return _path(active_model_id(), labelled.corpus_id, source, target, sentence, bundle, found)
