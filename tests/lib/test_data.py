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


def test_a_cut_sentence_is_trained_to_go_on_not_to_end():
    # [5, 6, 7, 8] cut at 3 tokens: the input is 5 6 7 and the target after 7 is 8 (the sentence goes on), not <eos>
    batch = collate([[5, 6, 7, 8], [9]], limit=3)
    assert batch.tokens.tolist() == [[5, 6, 7], [9, 0, 0]]
    assert batch.dec_input.tolist() == [[2, 5, 6, 7], [2, 9, 0, 0]]
    assert batch.target.tolist() == [[5, 6, 7, 8], [9, 3, 0, 0]]
    assert batch.lengths.tolist() == [3, 1] and batch.n_predicted == 6
    assert collate([[5, 6, 7]], limit=3).target.tolist() == [[5, 6, 7, 3]]  # exactly at the limit: it ends


def test_training_ids_keep_the_token_after_the_limit():
    from textvae.data import encode_sentences
    from textvae.tokenizer import TextTokenizer

    tok = TextTokenizer.train(["one two three four five six"] * 5, "word", 50, 1, False)
    long = "one two three four five six"
    assert len(encode_sentences(tok, [long], 4)[0]) == 4
    kept = encode_sentences(tok, [long, "one two"], 4, keep_next=True)
    assert kept == [tok.encode(long)[:5], tok.encode("one two")]


def test_sharded_batches_count_a_cut_sentence_as_limit_plus_one_predicted_tokens():
    from textvae.distributed import World, sharded_batches

    seqs = [[4] * 7, [5] * 2]
    parts = list(sharded_batches(seqs, 2, World(), np.random.default_rng(0), limit=5))
    batch, shard = parts[0]
    assert shard.global_tokens == batch.n_predicted == (5 + 1) + (2 + 1)
    assert sorted(batch.target[:, 5].tolist()) == [0, 4]  # the cut row's 6th target is its 6th token
