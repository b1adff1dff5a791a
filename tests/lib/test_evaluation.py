import pytest
import sacrebleu
import torch

from textvae.data import encode_sentences
from textvae.evaluation import (
    active_units,
    bleu_tokenizer,
    elbo_metrics,
    evaluate,
    importance_weighted_nll,
    mutual_information,
    token_accuracy,
)


@pytest.fixture(scope="module")
def setup(trained):
    bundle, _, corpus = trained
    return bundle, encode_sentences(bundle.tokenizer, corpus.sentences[:80], 64)


def test_importance_weighted_nll_is_tighter_than_the_elbo(setup):
    bundle, seqs = setup
    nll, ppl = importance_weighted_nll(bundle.model, seqs, samples=50)
    neg_elbo = elbo_metrics(bundle.model, seqs)["elbo"]
    assert nll <= neg_elbo and ppl > 1.0


def test_active_units_counts_dimensions_that_vary_across_data():
    mu = torch.zeros(100, 4)
    mu[:, 0] = torch.linspace(-1, 1, 100)
    mu[:, 1] = 0.001 * torch.randn(100)
    assert active_units(mu) == 1


@pytest.mark.parametrize(
    ("reference", "decoded", "expected"),
    [
        ([5, 6, 7], [5, 6, 7], 1.0),  # all three and the end of sentence
        ([5, 6, 7], [5, 9, 7], 0.75),
        ([5, 6, 7], [5, 6], 0.5),  # the early end of sentence stands where 7 belongs; nothing where eos belongs
        ([5, 6], [5, 6, 7, 8], 2 / 3),  # running on past the end counts the missing eos
        ([], [], 1.0),
    ],
)
def test_token_accuracy_is_the_position_wise_share_of_the_reference_with_eos(reference, decoded, expected):
    assert token_accuracy(reference, decoded, eos=2) == pytest.approx(expected)


def test_mutual_information_is_zero_for_a_collapsed_posterior_and_large_otherwise():
    n, d = 500, 4
    collapsed = mutual_information(torch.zeros(n, d), torch.zeros(n, d))
    informative = mutual_information(torch.randn(n, d) * 3, torch.full((n, d), -4.0))
    assert abs(collapsed) < 0.15 and informative > 3.0


def test_evaluate_reports_every_metric(setup):
    bundle, seqs = setup
    metrics = evaluate(bundle.model, bundle.tokenizer, seqs, iw_samples=5)
    assert {"elbo", "recon", "kl", "nll_iw", "ppl", "mi", "au", "recon_token_acc", "bleu", "n_sentences"} <= set(
        metrics
    )
    assert metrics["n_sentences"] == 80 and 0 <= metrics["recon_token_acc"] <= 1 and 0 <= metrics["bleu"] <= 100
    assert metrics["elbo"] == pytest.approx(metrics["recon"] + metrics["kl"])


def test_bits_per_character_divide_the_nll_in_bits_by_the_characters_plus_one_separator_each(setup):
    import math

    from textvae.evaluation import bits_per_character

    bundle, seqs = setup
    characters = sum(len(bundle.tokenizer.decode(s)) + 1 for s in seqs)
    assert bits_per_character(2.0, bundle.tokenizer, seqs) == pytest.approx(2.0 * len(seqs) / math.log(2) / characters)
    metrics = evaluate(bundle.model, bundle.tokenizer, seqs[:20], iw_samples=5)
    assert metrics["bits_per_char"] == pytest.approx(bits_per_character(metrics["nll_iw"], bundle.tokenizer, seqs[:20]))


def test_bleu_counts_characters_for_text_written_without_spaces_and_words_otherwise():
    refs, hyps = ["宝玉笑道：“你来了。”", "黛玉听了便不言语。"], ["宝玉道：“你来。”", "黛玉听了不言。"]
    assert bleu_tokenizer(refs) == "char" and bleu_tokenizer(["The cat sat.", "我爱 Paris today, as ever."]) == "13a"
    assert sacrebleu.corpus_bleu(hyps, [refs]).score == 0  # by words, each sentence is one or two "words"
    assert sacrebleu.corpus_bleu(hyps, [refs], tokenize=bleu_tokenizer(refs)).score > 30
