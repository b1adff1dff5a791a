import numpy as np
import torch

from textvae.data import bucketed_batches, collate, iterate_batches


def test_collate_builds_decoder_inputs_targets_and_mask():
    batch = collate([[5, 6, 7], [8]])
    assert batch.dec_input.tolist() == [[2, 5, 6, 7], [2, 8, 0, 0]]
    assert batch.target.tolist() == [[5, 6, 7, 3], [8, 3, 0, 0]]
    assert batch.mask.tolist() == [[True] * 4, [True, True, False, False]]
    assert batch.n_predicted == 6


def test_buckets_group_equal_lengths_and_cover_every_index():
    rng = np.random.default_rng(0)
    lengths = list(rng.integers(1, 30, size=500))
    batches = bucketed_batches(lengths, 16, shuffle=True, rng=rng)
    assert sorted(i for b in batches for i in b) == list(range(500))
    padding = sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in batches)
    assert padding / sum(lengths) < 0.03  # random batches of 16 would pad about 40%


def test_shuffled_batches_depend_on_the_seed_only():
    lengths = [3] * 100
    a = bucketed_batches(lengths, 10, True, np.random.default_rng(1))
    b = bucketed_batches(lengths, 10, True, np.random.default_rng(1))
    c = bucketed_batches(lengths, 10, True, np.random.default_rng(2))
    assert a == b and a != c


def test_iterate_batches_maps_rows_back_to_sources():
    seqs = [[4] * n for n in (5, 1, 3, 2)]
    batches = list(iterate_batches(seqs, 2))
    seen = {}
    for batch in batches:
        for row, source in enumerate(batch.index.tolist()):
            seen[source] = int(batch.lengths[row])
    assert seen == {0: 5, 1: 1, 2: 3, 3: 2}
    assert len(batches) == 2 and all(isinstance(b.tokens, torch.Tensor) for b in batches)
