import pytest
import torch

from textvae import SentenceVAE, VAEConfig, lean_gru
from textvae.data import collate


@pytest.mark.parametrize("reverse", [False, True])
def test_run_matches_nn_gru_outputs_and_gradients(reverse):
    torch.manual_seed(0)
    gru = torch.nn.GRU(5, 4, batch_first=True, bidirectional=True).double()
    inputs = torch.randn(3, 7, 5, dtype=torch.double, requires_grad=True)
    h0 = torch.randn(3, 4, dtype=torch.double, requires_grad=True)
    upstream = torch.randn(3, 7, 4, dtype=torch.double)
    suffix = "_l0_reverse" if reverse else "_l0"
    weights = [getattr(gru, name + suffix) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    direction = slice(4, 8) if reverse else slice(0, 4)
    # nn.GRU's backward direction reads the sequence from its end: feed it reversed, read its outputs reversed
    source = inputs.flip(1) if reverse else inputs
    state = torch.stack([torch.zeros_like(h0), h0]) if reverse else torch.stack([h0, torch.zeros_like(h0)])
    expected = gru(source, state)[0][..., direction]
    expected = expected.flip(1) if reverse else expected
    ours = lean_gru.run(gru, inputs, h0, reverse=reverse)
    assert torch.allclose(ours, expected, atol=1e-12)
    wanted = (inputs, h0, *weights)
    for a, b in zip(
        torch.autograd.grad((ours * upstream).sum(), wanted),
        torch.autograd.grad((expected * upstream).sum(), wanted),
        strict=True,
    ):
        assert torch.allclose(a, b, atol=1e-12)


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("sequences", [[[5, 6, 7], [8, 9, 10]], [[5, 6, 7, 10, 11], [8, 9], [12]]])
def test_a_training_step_gives_the_same_loss_and_gradients_as_nn_gru(sequences, bidirectional, monkeypatch):
    """Equal lengths (the usual bucketed batch) and padded sentences, whose backward direction must skip padding;
    an encoder that reads both ways and one that reads left to right only."""
    config = VAEConfig(
        vocab_size=20,
        embed_dim=6,
        hidden_dim=5,
        latent_dim=3,
        word_dropout=0,
        embed_dropout=0,
        output_dropout=0,
        bidirectional=bidirectional,
    )
    model = SentenceVAE(config).train()
    batch = collate(sequences)
    z_noise = torch.randn(len(sequences), 3)

    def loss_and_grads():
        model.zero_grad()
        mu, logvar = model.encode(batch.tokens, batch.lengths)
        z = mu + z_noise * torch.exp(0.5 * logvar)
        loss = model.reconstruction_nll(z, batch.dec_input, batch.target, batch.mask).sum()
        loss.backward()
        return loss.detach(), {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}

    assert lean_gru.applies(model.encoder, torch.zeros(1, 1, 6))
    lean_loss, lean_grads = loss_and_grads()
    monkeypatch.setattr(lean_gru, "applies", lambda rnn, inputs: False)
    nn_loss, nn_grads = loss_and_grads()
    assert torch.allclose(lean_loss, nn_loss, atol=1e-5)
    assert lean_grads.keys() == nn_grads.keys() and any("encoder" in name for name in lean_grads)
    for name, grad in lean_grads.items():
        assert torch.allclose(grad, nn_grads[name], atol=1e-5), name


def test_only_cpu_float32_training_of_one_layer_grus_uses_it():
    inputs = torch.zeros(2, 3, 4)
    gru = torch.nn.GRU(4, 5, batch_first=True)
    assert lean_gru.applies(gru, inputs)
    assert not lean_gru.applies(torch.nn.LSTM(4, 5, batch_first=True), inputs)
    assert not lean_gru.applies(torch.nn.GRU(4, 5, num_layers=2, batch_first=True), inputs)
    assert not lean_gru.applies(gru, inputs.double())
    with torch.no_grad():
        assert not lean_gru.applies(gru, inputs)  # inference keeps nn.GRU
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not lean_gru.applies(gru, inputs)
