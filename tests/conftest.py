"""Shared fixtures: a small generated corpus and one tiny model trained once per session."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from textvae import CorpusOptions, TokenizerConfig, TrainConfig, load_corpus, save_bundle, train_model

SUBJECTS = ["the cat", "a dog", "my friend", "the old man", "a young girl", "the teacher", "our neighbour", "the child"]
VERBS = ["sees", "likes", "follows", "paints", "finds", "calls", "visits", "watches"]
OBJECTS = [
    "the river",
    "a red car",
    "the small house",
    "a tall tree",
    "the market",
    "a quiet garden",
    "the blue sea",
    "a big city",
]
ENDINGS = [".", " today.", " again.", " at night."]


def make_sentences(n: int, seed: int = 0) -> list[str]:
    combos = list(itertools.product(SUBJECTS, VERBS, OBJECTS, ENDINGS))
    random.Random(seed).shuffle(combos)
    return [f"{s.capitalize()} {v} {o}{e}" for s, v, o, e in combos[:n]]


TINY_MODEL = {
    "embed_dim": 32,
    "hidden_dim": 64,
    "latent_dim": 8,
    "word_dropout": 0.0,
    "embed_dropout": 0.0,
    "output_dropout": 0.0,
}


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "sentences.txt"
    path.write_text("\n".join(make_sentences(400)) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def trained(corpus_file, tmp_path_factory):
    """(bundle, bundle_dir, corpus): a tiny model trained for a few seconds."""
    corpus = load_corpus(corpus_file, options=CorpusOptions())
    bundle, trainer = train_model(
        corpus,
        model=TINY_MODEL,
        training=TrainConfig(epochs=6, batch_size=16, free_bits=0.2, threads=1, seed=0, lr_schedule="constant"),
        tokenizer=TokenizerConfig(vocab_size=500),
    )
    directory = save_bundle(bundle, tmp_path_factory.mktemp("bundle") / "tiny", trainer.training_state())
    return bundle, directory, corpus


@pytest.fixture(scope="session")
def tiny_bundle_dir(tmp_path_factory) -> Path:
    """An untrained, tiny model bundle: robustness tests need a valid bundle, not a good one."""
    import torch

    from textvae import ModelBundle, SentenceVAE, TextTokenizer, VAEConfig

    tokenizer = TextTokenizer.train(make_sentences(60), vocab_size=200)
    torch.manual_seed(0)
    model = SentenceVAE(VAEConfig(vocab_size=tokenizer.vocab_size, embed_dim=16, hidden_dim=16, latent_dim=4))
    return save_bundle(ModelBundle(model, tokenizer, {"name": "tiny"}), tmp_path_factory.mktemp("tiny") / "bundle")
