import math

import pytest

from textvae.compression import SentenceBits, in_words, nats_to_bits, sentence_bits, utf8_bits
from textvae.data import encode_sentences
from textvae.evaluation import importance_weighted_nll


def test_nats_become_bits_by_dividing_by_ln_2():
    assert nats_to_bits(math.log(2)) == pytest.approx(1.0)
    assert nats_to_bits(10.0) == pytest.approx(14.4269504)
    assert nats_to_bits(0.0) == 0.0


@pytest.mark.parametrize(
    ("text", "bits"),
    [("", 0), ("cat", 24), ("héllo", 48), ("日本", 48), ("A man is sleeping on a couch.", 232)],
)
def test_utf8_bits_are_eight_per_byte(text, bits):
    assert utf8_bits(text) == bits


def test_a_sentence_in_bits(trained):
    bundle, _, corpus = trained
    sentence = corpus.sentences[0]
    result = sentence_bits(bundle.model, bundle.tokenizer, sentence, samples=50, seed=3)
    assert result.text_bits == 8 * len(sentence.encode("utf-8"))
    assert result.model_bits > 0 and result.code_bits >= 0
    assert 0.0 <= result.token_accuracy <= 1.0 and result.samples == 50
    assert result.decoder_bits == pytest.approx(max(0.0, result.model_bits - result.code_bits))
    # the model's bits are the importance-weighted NLL of that one sentence, converted
    nll, _ = importance_weighted_nll(
        bundle.model, encode_sentences(bundle.tokenizer, [sentence], 64), samples=50, batch_size=1, seed=3
    )
    assert result.model_bits == pytest.approx(nll / math.log(2))
    assert sentence_bits(bundle.model, bundle.tokenizer, sentence, samples=50, seed=3) == result  # seeded


def test_a_trained_model_writes_its_own_kind_of_sentence_in_fewer_bits_than_text(trained):
    bundle, _, corpus = trained
    result = sentence_bits(bundle.model, bundle.tokenizer, corpus.sentences[1], samples=50)
    assert result.model_bits < result.text_bits


def test_the_numbers_in_words():
    bits = SentenceBits(text_bits=352, model_bits=120.4, code_bits=18.2, token_accuracy=0.5, samples=50)
    assert in_words(bits) == (
        "This sentence is 352 bits as text; the model needs 120 bits to write it; its code carries 18 bits; "
        "the rest (102 bits) the decoder guesses from what it learned."
    )
    worse = SentenceBits(text_bits=40, model_bits=95.0, code_bits=3.0, token_accuracy=0.0, samples=50)
    assert "no fewer" in in_words(worse) and "the rest" not in in_words(worse)
    one = SentenceBits(text_bits=40, model_bits=20.0, code_bits=1.2, token_accuracy=0.0, samples=50)
    assert "its code carries 1 bit;" in in_words(one)
