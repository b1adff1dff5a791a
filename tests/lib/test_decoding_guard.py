"""Text a person reads: decoding never shows <unk> and repeats no 3-gram by default; metrics decode unguarded."""

from __future__ import annotations

import pytest
import torch

from textvae import DecodeOptions, SentenceVAE, TextVAEError, VAEConfig
from textvae.generation import UNGUARDED, _banned_tokens, decode_latent, tidy_spacing
from textvae.special_tokens import BOS_ID, PAD_ID, UNK_ID


def repeated_ngrams(ids: list[int], n: int = 3) -> int:
    grams = [tuple(ids[i : i + n]) for i in range(len(ids) - n + 1)]
    return len(grams) - len(set(grams))


@pytest.fixture(scope="module")
def looping_model() -> SentenceVAE:
    """An untrained decoder over 12 tokens, with <unk> made the likeliest output: left alone it loops."""
    torch.manual_seed(0)
    model = SentenceVAE(VAEConfig(vocab_size=12, embed_dim=8, hidden_dim=16, latent_dim=4)).eval()
    with torch.no_grad():
        model.output.bias[UNK_ID] = 5.0
    return model


@pytest.mark.parametrize("method", ["greedy", "sample", "beam"])
def test_decoding_never_emits_unknown_pad_or_bos_and_repeats_no_trigram(looping_model, method):
    z = torch.randn(6, 4, generator=torch.Generator().manual_seed(1))
    options = DecodeOptions(method=method, max_length=30)
    for ids in decode_latent(looping_model, z, options, torch.Generator().manual_seed(2)):
        assert not {UNK_ID, PAD_ID, BOS_ID} & set(ids)
        assert repeated_ngrams(ids) == 0


def test_unguarded_decoding_shows_what_the_model_prefers(looping_model):
    z = torch.randn(6, 4, generator=torch.Generator().manual_seed(1))
    decoded = decode_latent(looping_model, z, DecodeOptions(max_length=30, **UNGUARDED))
    assert all(UNK_ID in ids for ids in decoded)
    assert any(repeated_ngrams(ids) > 0 for ids in decoded)


def test_the_ngram_size_is_a_setting(looping_model):
    z = torch.randn(4, 4, generator=torch.Generator().manual_seed(3))
    for ids in decode_latent(looping_model, z, DecodeOptions(max_length=30, no_repeat_ngram=2)):
        assert repeated_ngrams(ids, 2) == 0
    with pytest.raises(TextVAEError):
        DecodeOptions(no_repeat_ngram=-1)


def test_banned_tokens_are_the_continuations_of_the_last_n_minus_1_tokens():
    assert sorted(_banned_tokens([[5, 6, 7, 5, 6]], 3)) == [(0, 7)]
    assert _banned_tokens([[5, 6, 7, 8]], 3) == []
    assert sorted(_banned_tokens([[4, 4]], 2)) == [(0, 4)]
    assert _banned_tokens([[5, 6, 5, 6]], 0) == []


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("“ finally .”", "“finally.”"),
        ("He said ( quietly ) : no !", "He said (quietly): no!"),
        ("I ’m here , she ’s there …", "I’m here, she’s there…"),
        ("A plain sentence.", "A plain sentence."),
    ],
)
def test_generated_text_is_spaced_as_a_person_writes(raw, tidy):
    assert tidy_spacing(raw) == tidy
