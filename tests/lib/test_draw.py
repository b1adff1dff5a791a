"""textvae.draw: tokens drawn by inverse CDF follow the probabilities, never take an impossible token, and repeat
with the seed."""

from __future__ import annotations

import pytest
import torch

from textvae.draw import draw


def test_draws_follow_each_rows_probabilities():
    probs = torch.tensor([[0.5, 0.0, 0.3, 0.2], [0.0, 0.0, 0.0, 2.0], [1.0, 1.0, 0.0, 2.0]])  # not normalised
    tokens = draw(probs, torch.Generator().manual_seed(0), count=20_000)
    assert tokens.shape == (3, 20_000)
    shares = torch.stack([torch.bincount(row, minlength=4) for row in tokens]).double() / 20_000
    expected = probs.double() / probs.double().sum(-1, keepdim=True)
    assert torch.allclose(shares, expected, atol=0.015)  # about 4 standard deviations
    assert shares[0, 1] == 0 and (shares[1, :3] == 0).all() and shares[2, 2] == 0  # probability 0: never


def test_the_rarest_tokens_of_a_large_vocabulary_are_still_drawn_and_impossible_ones_never():
    probs = torch.zeros(1, 8_000)
    probs[0, :7_999] = 1e-7  # 8e-4 in all, against one token with the rest
    probs[0, 7_999] = 1.0
    probs[0, 4_000] = 0.0
    tokens = draw(probs, torch.Generator().manual_seed(1), count=50_000)[0]
    rare = int((tokens != 7_999).sum())
    assert 20 <= rare <= 70  # expected 40
    assert not bool((tokens == 4_000).any())


def test_the_same_seed_gives_the_same_tokens():
    probs = torch.rand(4, 100)
    first = draw(probs, torch.Generator().manual_seed(7), count=5)
    assert torch.equal(first, draw(probs, torch.Generator().manual_seed(7), count=5))
    assert not torch.equal(first, draw(probs, torch.Generator().manual_seed(8), count=5))


@pytest.mark.parametrize("count", [1, 3])
def test_one_row_and_one_draw_have_the_shapes_decoding_expects(count):
    assert draw(torch.tensor([[0.0, 1.0]]), None, count).tolist() == [[1] * count]
