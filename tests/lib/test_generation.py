import pytest
import torch

from textvae import DecodeOptions, TextVAEError, interpolate, latent_arithmetic, reconstruct, sample_prior, variations
from textvae.generation import decode_latent, posterior, slerp


@pytest.fixture(scope="module")
def model_tok(trained):
    bundle, _, _ = trained
    return bundle.model, bundle.tokenizer


def test_greedy_decoding_is_deterministic_and_batched(model_tok):
    model, _ = model_tok
    z = torch.randn(5, model.config.latent_dim)
    assert decode_latent(model, z) == decode_latent(model, z) and len(decode_latent(model, z)) == 5


def test_sampling_is_reproducible_with_a_seed(model_tok):
    model, tok = model_tok
    options = DecodeOptions(method="sample", temperature=1.2)
    assert sample_prior(model, tok, 4, options, seed=7)[0] == sample_prior(model, tok, 4, options, seed=7)[0]


def test_top_k_of_one_equals_greedy_and_beam_of_one_too(model_tok):
    model, _ = model_tok
    z = torch.randn(6, model.config.latent_dim)
    greedy = decode_latent(model, z)
    assert decode_latent(model, z, DecodeOptions(method="sample", top_k=1), torch.Generator().manual_seed(0)) == greedy
    assert decode_latent(model, z, DecodeOptions(method="beam", beam_width=1)) == greedy


def test_top_p_keeps_only_the_likeliest_token_when_tiny(model_tok):
    model, _ = model_tok
    z = torch.randn(4, model.config.latent_dim)
    assert decode_latent(
        model, z, DecodeOptions(method="sample", top_p=1e-6), torch.Generator().manual_seed(0)
    ) == decode_latent(model, z)


def test_beam_search_scores_at_least_as_well_as_greedy(model_tok):
    model, _ = model_tok
    z = torch.randn(4, model.config.latent_dim)
    beams = decode_latent(model, z, DecodeOptions(method="beam", beam_width=4))
    assert len(beams) == 4 and all(isinstance(t, int) for seq in beams for t in seq)


def test_reconstruction_of_training_sentences(model_tok, trained):
    model, tok = model_tok
    _, _, corpus = trained
    out = reconstruct(model, tok, corpus.sentences[:20])
    same_words = sum(a.split()[0] == b.split()[0] for a, b in zip(out, corpus.sentences[:20], strict=False) if a)
    assert len(out) == 20 and same_words >= 10


def test_interpolation_starts_and_ends_at_the_reconstructions(model_tok):
    model, tok = model_tok
    a, b = "The cat sees the river.", "A young girl paints a red car at night."
    path = interpolate(model, tok, a, b, steps=6, method="slerp")
    assert (
        len(path.sentences) == 6 and path.z.shape == (6, model.config.latent_dim) and path.t[0] == 0 and path.t[-1] == 1
    )
    assert (
        path.sentences[0] == reconstruct(model, tok, [a])[0] and path.sentences[-1] == reconstruct(model, tok, [b])[0]
    )
    linear = interpolate(model, tok, a, b, steps=3, method="linear")
    mu, _ = posterior(model, tok, [a, b])
    assert torch.allclose(linear.z[1], (mu[0] + mu[1]) / 2, atol=1e-5)


def test_slerp_keeps_endpoints():
    a, b = torch.randn(8), torch.randn(8)
    path = slerp(a, b, torch.tensor([0.0, 1.0]))
    assert torch.allclose(path[0], a, atol=1e-5) and torch.allclose(path[1], b, atol=1e-5)


def test_variations_and_arithmetic_return_text(model_tok):
    model, tok = model_tok
    near = variations(model, tok, "The cat sees the river.", n=3, radius=0.0)
    assert len(near) == 3 and len(set(near)) == 1
    assert isinstance(latent_arithmetic(model, tok, "The cat sees the river.", "the cat", "a dog"), str)


def test_empty_input_is_refused_and_long_input_truncated(model_tok):
    model, tok = model_tok
    with pytest.raises(TextVAEError, match="empty"):
        reconstruct(model, tok, ["   "])
    assert len(reconstruct(model, tok, ["the cat " * 1000])) == 1


def test_decode_options_are_validated():
    with pytest.raises(TextVAEError):
        DecodeOptions(method="telepathy")
    with pytest.raises(TextVAEError):
        DecodeOptions(top_p=0.0)


@pytest.mark.parametrize("method", ["greedy", "sample", "beam"])
def test_decoding_runs_to_the_models_own_length_limit_unless_told(method):
    """A novel's sentences run to 64 tokens: a fixed shorter default cut a quarter of its samples mid-sentence."""
    from textvae import SentenceVAE, VAEConfig
    from textvae.generation import UNGUARDED
    from textvae.special_tokens import EOS_ID

    torch.manual_seed(0)
    model = SentenceVAE(VAEConfig(vocab_size=12, embed_dim=8, hidden_dim=16, latent_dim=4, max_length=57)).eval()
    with torch.no_grad():
        model.output.bias[EOS_ID] = -50.0  # never ends by itself
    z = torch.randn(3, 4, generator=torch.Generator().manual_seed(1))
    gen = torch.Generator().manual_seed(2)
    assert [len(ids) for ids in decode_latent(model, z, DecodeOptions(method=method, **UNGUARDED), gen)] == [57] * 3
    told = DecodeOptions(method=method, max_length=9, **UNGUARDED)
    assert [len(ids) for ids in decode_latent(model, z, told, gen)] == [9] * 3
