"""textvae.decoder_step: display decoding looks the decoder's input projections up, with the modules' results (exact
with a float32 table, within float16 rounding as kept); everything else (metrics, LSTMs, stacked GRUs, training)
runs the modules."""

from __future__ import annotations

import pytest
import torch

from textvae import DecodeOptions, SentenceVAE, VAEConfig
from textvae import decoder_step as decoder_step_module
from textvae.decoder_step import _tables, decoder_step
from textvae.generation import UNGUARDED, decode_latent, decode_texts, posterior


def small_model(**changes) -> SentenceVAE:
    torch.manual_seed(0)
    return SentenceVAE(VAEConfig(vocab_size=50, embed_dim=12, hidden_dim=16, latent_dim=4, **changes)).eval()


@pytest.fixture
def float32_table(monkeypatch):
    monkeypatch.setattr(decoder_step_module, "TABLE_DTYPE", torch.float32)
    _tables.clear()
    yield
    _tables.clear()


@torch.no_grad()
def test_the_looked_up_step_gives_the_modules_logits_and_states_step_after_step(float32_table):
    model, z = small_model(), torch.randn(3, 4)
    fast, plain = decoder_step(model, z, True), decoder_step(model, z, False)
    assert model.decoder in _tables  # the table was made: the fast step is the looked-up one
    tokens, fast_state, plain_state = torch.tensor([1, 1, 1]), None, None
    for _ in range(6):
        fast_logits, fast_state = fast(tokens, fast_state)
        plain_logits, plain_state = plain(tokens, plain_state)
        assert torch.allclose(fast_logits, plain_logits, atol=1e-5)
        assert fast_state.shape == plain_state.shape and torch.allclose(fast_state, plain_state, atol=1e-5)
        tokens = plain_logits.argmax(-1)


@torch.no_grad()
def test_the_float16_table_stays_within_its_rounding_of_the_modules():
    model, z = small_model(), torch.randn(3, 4)
    _tables.clear()
    fast, plain = decoder_step(model, z, True), decoder_step(model, z, False)
    assert _tables[model.decoder][1].dtype == torch.float16
    tokens, fast_state, plain_state = torch.tensor([1, 1, 1]), None, None
    for _ in range(6):
        (fast_logits, fast_state), (plain_logits, plain_state) = fast(tokens, fast_state), plain(tokens, plain_state)
        assert torch.allclose(fast_logits, plain_logits, atol=5e-3) and not torch.equal(fast_logits, plain_logits)
        tokens = plain_logits.argmax(-1)


@torch.no_grad()
def test_the_table_follows_changed_weights(float32_table):
    model, z = small_model(), torch.randn(2, 4)
    decoder_step(model, z, True)
    model.embedding.weight.mul_(-1)  # as a training step changes it in place
    fast, plain = decoder_step(model, z, True), decoder_step(model, z, False)
    tokens = torch.tensor([5, 7])
    assert torch.allclose(fast(tokens, None)[0], plain(tokens, None)[0], atol=1e-5)


@pytest.mark.parametrize("changes", [{"rnn": "lstm"}, {"num_layers": 2}])
@torch.no_grad()
def test_other_decoders_run_their_modules(changes):
    model = small_model(**changes)
    decoder_step(model, torch.randn(2, 4), True)
    assert model.decoder not in _tables


def test_training_and_autograd_run_the_modules():
    model = small_model()
    decoder_step(model, torch.randn(2, 4), True)  # autograd on
    with torch.no_grad():
        decoder_step(model.train(), torch.randn(2, 4), True)
    assert model.decoder not in _tables


def test_display_decoding_writes_what_the_modules_write(trained, float32_table):
    """Greedy and beam search, fast and plain: the same sentences (the output layer is too small for int8)."""
    bundle, _, corpus = trained
    mu, _ = posterior(bundle.model, bundle.tokenizer, corpus.sentences[:30])
    for method in ("greedy", "beam"):
        fast = decode_texts(bundle.model, bundle.tokenizer, mu, DecodeOptions(method=method))
        plain = decode_texts(bundle.model, bundle.tokenizer, mu, DecodeOptions(method=method, fast=False))
        assert fast == plain
    assert bundle.model.decoder in _tables


def test_metrics_decode_through_the_modules(trained):
    bundle, _, _ = trained
    _tables.clear()
    decode_latent(bundle.model, torch.zeros(2, bundle.model.config.latent_dim), DecodeOptions(**UNGUARDED))
    assert bundle.model.decoder not in _tables
