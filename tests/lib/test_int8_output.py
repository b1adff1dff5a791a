"""The int8 output layer of display decoding: close to fp32, following weight changes, never in training."""

from __future__ import annotations

import torch
from torch import nn

from textvae import int8_output
from textvae.generation import decode_texts, posterior
from textvae.int8_output import MIN_WEIGHTS, output_logits, uses_int8


def big_layer() -> nn.Linear:
    torch.manual_seed(0)
    return nn.Linear(256, MIN_WEIGHTS // 256 + 1)


@torch.no_grad()
def test_a_large_layer_gives_nearly_the_fp32_logits():
    layer, hidden = big_layer(), torch.randn(10, 256)
    assert uses_int8(layer, hidden)
    exact, fast = layer(hidden), output_logits(layer, hidden)
    assert fast.dtype == torch.float32 and fast.shape == exact.shape
    assert not torch.equal(fast, exact)  # it did take the int8 path
    assert (fast - exact).abs().max() < 0.02 * exact.abs().max()
    top = exact.topk(5, dim=1).indices
    assert all(fast[r].argmax() in top[r] for r in range(10))


@torch.no_grad()
def test_changed_weights_are_packed_again():
    layer, hidden = big_layer(), torch.randn(4, 256)
    before = output_logits(layer, hidden)
    layer.weight.mul_(-1)  # as an optimizer step changes them in place
    after = output_logits(layer, hidden)
    assert (after - layer(hidden)).abs().max() < 0.02 * after.abs().max()
    assert not torch.allclose(before, after)


def test_small_layers_and_autograd_stay_exact():
    small, hidden = nn.Linear(16, 32), torch.randn(3, 16)
    with torch.no_grad():
        assert not uses_int8(small, hidden) and torch.equal(output_logits(small, hidden), small(hidden))
    layer = big_layer()
    assert not uses_int8(layer, hidden.new_zeros(3, 256))  # grad enabled: training never takes it
    with torch.no_grad():
        assert uses_int8(layer, hidden.new_zeros(3, 256))


def test_a_model_decodes_through_int8_mostly_as_in_fp32(trained, monkeypatch):
    bundle, _, corpus = trained
    mu, _ = posterior(bundle.model, bundle.tokenizer, corpus.sentences[:40])
    exact = decode_texts(bundle.model, bundle.tokenizer, mu)
    monkeypatch.setattr(int8_output, "MIN_WEIGHTS", 0)  # the tiny model's layer takes the int8 path too
    fast = decode_texts(bundle.model, bundle.tokenizer, mu)
    assert int8_output._packed.get(bundle.model.output)[1] is not None  # it was used
    assert sum(a == b for a, b in zip(exact, fast, strict=True)) >= 32  # greedy text changes only at near ties


def test_metrics_score_the_fp32_layer(trained, monkeypatch):
    from textvae.data import encode_sentences
    from textvae.evaluation import reconstruction_quality

    bundle, _, corpus = trained
    monkeypatch.setattr(int8_output, "MIN_WEIGHTS", 0)
    int8_output._packed.clear()
    sequences = encode_sentences(bundle.tokenizer, corpus.sentences[:20], bundle.model.config.max_length)
    reconstruction_quality(bundle.model, bundle.tokenizer, sequences)
    assert bundle.model.output not in int8_output._packed  # greedy decoding for the metric never took int8
    decode_texts(bundle.model, bundle.tokenizer, torch.zeros(1, bundle.model.config.latent_dim))
    assert bundle.model.output in int8_output._packed  # display decoding does


@torch.no_grad()
def test_an_engine_that_cannot_run_int8_falls_back_to_fp32_for_good(monkeypatch):
    layer, hidden = big_layer(), torch.randn(2, 256)
    output_logits(layer, hidden)  # packed

    def fails(*args):
        raise RuntimeError("no kernel for this engine")

    monkeypatch.setattr(torch.ops.quantized, "linear_dynamic", fails)
    assert torch.equal(output_logits(layer, hidden), layer(hidden))
    assert int8_output._packed[layer][1] is None  # not tried again
