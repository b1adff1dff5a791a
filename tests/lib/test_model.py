import pytest
import torch

from textvae import SentenceVAE, TextVAEError, VAEConfig
from textvae.data import collate

CONFIG = dict(vocab_size=50, embed_dim=16, hidden_dim=24, latent_dim=6)


@pytest.mark.parametrize(
    "rnn,bn,layers,both_ways",
    [
        ("gru", False, 1, True),
        ("lstm", False, 1, True),
        ("gru", True, 2, True),
        ("gru", False, 1, False),
        ("lstm", True, 2, False),
    ],
)
def test_parameter_count_is_known_before_allocation(rnn, bn, layers, both_ways):
    config = VAEConfig(**CONFIG, rnn=rnn, bn_vae=bn, num_layers=layers, bidirectional=both_ways)
    model = SentenceVAE(config)
    assert config.num_parameters() == sum(p.numel() for p in model.parameters())


def test_encode_gives_mu_and_logvar_per_sentence():
    model = SentenceVAE(VAEConfig(**CONFIG)).eval()
    batch = collate([[5, 6, 7], [8, 9]])
    mu, logvar = model.encode(batch.tokens, batch.lengths)
    assert mu.shape == logvar.shape == (2, 6)


def test_a_one_way_encoder_reads_left_to_right_only():
    """Its code of a sentence depends on the words in their order, from its last state: a change at the end moves it,
    and a config saved before the setting existed (no "bidirectional" key) still means both ways."""
    model = SentenceVAE(VAEConfig(**CONFIG, bidirectional=False)).eval()
    assert model.to_latent.in_features == CONFIG["hidden_dim"] and not model.encoder.bidirectional
    batch = collate([[5, 6, 7], [5, 6, 8]])
    mu, _ = model.encode(batch.tokens, batch.lengths)
    assert mu.shape == (2, 6) and not torch.allclose(mu[0], mu[1])
    assert VAEConfig.from_dict(dict(CONFIG)).bidirectional


def test_one_lookup_embeds_each_tensor_as_its_own_lookup_would():
    model = SentenceVAE(VAEConfig(**CONFIG)).eval()  # no dropout
    generator = torch.Generator().manual_seed(0)
    first, second = torch.randint(50, (3, 5), generator=generator), torch.randint(50, (3, 6), generator=generator)
    together = model.embed(first, second)
    (together[0].sum() + 2 * together[1].square().sum()).backward()
    joint_grad, model.embedding.weight.grad = model.embedding.weight.grad, None
    apart = model.embedding(first), model.embedding(second)
    (apart[0].sum() + 2 * apart[1].square().sum()).backward()
    assert all(torch.equal(a, b) for a, b in zip(together, apart, strict=True))
    assert torch.allclose(joint_grad, model.embedding.weight.grad)


def test_padding_does_not_change_the_encoding():
    model = SentenceVAE(VAEConfig(**CONFIG)).eval()
    alone = collate([[8, 9]])
    padded = collate([[5, 6, 7, 10, 11], [8, 9]])
    mu_alone, _ = model.encode(alone.tokens, alone.lengths)
    mu_padded, _ = model.encode(padded.tokens, padded.lengths)
    assert torch.allclose(mu_alone[0], mu_padded[1], atol=1e-5)


def test_reconstruction_nll_counts_only_real_tokens():
    model = SentenceVAE(VAEConfig(**CONFIG, word_dropout=0.0)).eval()
    batch = collate([[5, 6, 7], [8]])
    z = torch.randn(2, 6)
    nll = model.reconstruction_nll(z, batch.dec_input, batch.target, batch.mask)
    hidden, _ = model.decode(z, batch.dec_input)
    logp = model.logits(hidden).log_softmax(-1).gather(-1, batch.target.unsqueeze(-1)).squeeze(-1)
    expected = -(logp * batch.mask).sum(1)
    assert torch.allclose(nll, expected, atol=1e-4)
    assert batch.n_predicted == 6  # 3 + 1 words, plus an end-of-sentence each


def test_word_dropout_replaces_inputs_only_in_training():
    model = SentenceVAE(VAEConfig(**CONFIG, word_dropout=0.5))
    inputs = torch.tensor([[2] + [10] * 200])
    dropped = model.train().word_dropout(inputs, torch.Generator().manual_seed(0))
    assert dropped[0, 0] == 2 and 60 < int((dropped == 1).sum()) < 140
    assert torch.equal(model.eval().word_dropout(inputs), inputs)


def test_bn_vae_scale_is_fixed_and_not_trained():
    model = SentenceVAE(VAEConfig(**CONFIG, bn_vae=True, bn_gamma=0.5))
    assert torch.all(model.mu_norm.weight == 0.5) and not model.mu_norm.weight.requires_grad


def test_reset_decoder_changes_only_the_decoder():
    model = SentenceVAE(VAEConfig(**CONFIG))
    enc, dec = model.encoder.weight_ih_l0.clone(), model.output.weight.clone()
    model.reset_decoder()
    assert torch.equal(enc, model.encoder.weight_ih_l0) and not torch.equal(dec, model.output.weight)


@pytest.mark.parametrize(
    "bad",
    [dict(vocab_size=10**9), dict(hidden_dim=0), dict(rnn="transformer"), dict(word_dropout=1.0), dict(latent_dim=2.5)],
)
def test_invalid_configs_are_refused_with_a_message(bad):
    with pytest.raises(TextVAEError):
        VAEConfig(**{**CONFIG, **bad}).validate()


def test_config_dict_round_trip_and_unknown_keys():
    config = VAEConfig(**CONFIG)
    assert VAEConfig.from_dict(config.to_dict()) == config
    with pytest.raises(TextVAEError, match="Unknown"):
        VAEConfig.from_dict({**config.to_dict(), "evil": 1})


@pytest.mark.parametrize("dtype,tolerance", [(torch.float32, 1e-5), (torch.bfloat16, 5e-2)])
@pytest.mark.parametrize("upstream_kind", ["any", "uniform"])
def test_fused_output_layer_matches_cross_entropy_of_full_logits(dtype, tolerance, upstream_kind):
    """Several blocks of rows, the last one short, and a vocabulary that is not a multiple of the row alignment;
    a uniform upstream gradient (a mean loss) takes the gradients computed in forward, any other recomputes."""
    from textvae.model import LOGIT_ROWS, linear_cross_entropy

    generator = torch.Generator().manual_seed(0)
    rows, hidden_dim, vocab = 2 * LOGIT_ROWS + 37, 24, 1003
    hidden = torch.randn(rows, hidden_dim, generator=generator, requires_grad=True)
    weight = torch.randn(vocab, hidden_dim, generator=generator, requires_grad=True)
    bias = torch.randn(vocab, generator=generator, requires_grad=True)
    target = torch.randint(vocab, (rows,), generator=generator)
    upstream = torch.rand(rows, generator=generator) if upstream_kind == "any" else torch.full((rows,), 0.25)
    expected = torch.nn.functional.cross_entropy(hidden @ weight.T + bias, target, reduction="none")
    expected_grads = torch.autograd.grad((expected * upstream).sum(), (hidden, weight, bias))
    fused = linear_cross_entropy(hidden, weight, bias, target, dtype)
    fused_grads = torch.autograd.grad((fused * upstream).sum(), (hidden, weight, bias))
    assert fused.dtype == torch.float32
    assert torch.allclose(fused, expected, rtol=tolerance, atol=tolerance * 10)
    for ours, reference in zip(fused_grads, expected_grads, strict=True):
        assert ours.dtype == torch.float32
        assert torch.allclose(ours, reference, rtol=tolerance, atol=tolerance)


def test_fused_output_layer_with_no_rows_gives_zero_gradients():
    from textvae.model import linear_cross_entropy

    hidden = torch.zeros(0, 8, requires_grad=True)
    weight = torch.randn(5, 8, requires_grad=True)
    bias = torch.zeros(5, requires_grad=True)
    nll = linear_cross_entropy(hidden, weight, bias, torch.zeros(0, dtype=torch.long))
    nll.mean().backward()
    assert nll.shape == (0,) and hidden.grad.shape == (0, 8)
    assert weight.grad is None or not weight.grad.any()
    assert not bias.grad.any()
