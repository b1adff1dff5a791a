"""Shared fixtures: a small generated corpus and one tiny model trained once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import TINY_MODEL, make_sentences
from textvae import CorpusOptions, TokenizerConfig, TrainConfig, load_corpus, save_bundle, train_model


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
        tokenizer=TokenizerConfig(kind="word", vocab_size=500),  # small and word-level: unknown words testable
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
