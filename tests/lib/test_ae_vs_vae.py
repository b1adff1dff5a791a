"""AE vs VAE: the two sides differ only in the KL weight, and the autoencoder's codes leave the prior's region."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.helpers import TINY_MODEL
from textvae import load_corpus, train_model
from textvae.ae_vs_vae import AUTOENCODER, prior_fit, settings, well_formed, well_formed_share
from textvae.data import encode_sentences
from textvae.evaluation import posterior_stats


def test_the_two_sides_differ_only_in_the_kl_weight():
    ae_model, ae_training, ae_tok = settings("autoencoder", seed=3)
    vae_model, vae_training, vae_tok = settings("vae", seed=3)
    assert ae_model == vae_model and ae_tok == vae_tok
    ae, vae = dataclasses.asdict(ae_training), dataclasses.asdict(vae_training)
    assert {k for k in ae if ae[k] != vae[k]} <= set(AUTOENCODER)
    assert ae_training.schedule()(0.5) == 0.0 and vae_training.schedule()(1.0) > 0
    assert ae_training.seed == vae_training.seed == 3


def test_prior_fit_tells_codes_that_fill_the_prior_from_codes_that_leave_holes():
    rng = np.random.default_rng(1)  # not prior_fit's own seed: the prior samples are other points
    filled = rng.standard_normal((400, 4))
    spread = filled * 8 + 20  # far from the origin and spread out: random prior points land in holes
    good = prior_fit(filled, np.zeros_like(filled))
    bad = prior_fit(spread, np.zeros_like(spread))
    assert bad.kl > 50 * good.kl and bad.gap_ratio > 3 * good.gap_ratio
    assert 0.5 < good.gap_ratio < 3  # a prior sample sits among the codes like one more code
    assert "nats a sentence" in good.describe()


def test_an_autoencoder_leaves_the_prior_and_a_vae_stays_near_it(corpus_file):
    corpus = load_corpus(corpus_file)
    fits = {}
    for kind in ("autoencoder", "vae"):
        _, training, tokenizer = settings(kind)
        training = dataclasses.replace(
            training, epochs=4, max_minutes=None, threads=1, batch_size=16, latent_every=None
        )
        bundle, _ = train_model(corpus, model=TINY_MODEL, training=training, tokenizer=tokenizer)
        ids = encode_sentences(bundle.tokenizer, corpus.sentences[:200], bundle.config.max_length)
        mu, logvar = posterior_stats(bundle.model, ids)
        fits[kind] = prior_fit(mu.numpy(), logvar.numpy())
    assert fits["autoencoder"].kl > 3 * fits["vae"].kl, fits


@pytest.mark.parametrize(
    "decoded, expected",
    [
        ("A man is sleeping on a bench.", True),
        ("“Stop!” she said.", True),
        ("“Stop!”", True),
        ("Two men (one in red) talk.", True),
        ("他走了。", True),
        ("A man is", False),  # cut off: no sentence end
        ("The dog runs ,", False),
        ("a man in a man in a man in a hat.", False),  # a loop
        ("他走了他走了他走了。", False),
        ("", False),
    ],
)
def test_well_formed_means_a_sentence_end_and_no_loop(decoded, expected):
    assert well_formed(decoded) is expected


def test_the_share_counts_well_formed_decodings():
    assert well_formed_share(["A cat sits.", "a cat a cat a cat.", "and then", "Yes!"]) == 0.5
    assert well_formed_share([]) == 0.0
