import pytest

from textvae import TextTokenizer, TextVAEError

SENTENCES = ["Hello, world.", "Don't stop (me) now!", 'She said "yes" twice.', "Numbers like 1,000 and 3.5 work."] * 3


@pytest.fixture(scope="module")
def word_tok():
    return TextTokenizer.train(SENTENCES, "word", vocab_size=100)


def test_special_token_ids_are_fixed(word_tok):
    assert (word_tok.pad_id, word_tok.unk_id, word_tok.bos_id, word_tok.eos_id) == (0, 1, 2, 3)
    assert (
        word_tok.decode([word_tok.bos_id, *word_tok.encode("Hello, world."), word_tok.eos_id, 7, 8]) == "Hello, world."
    )


@pytest.mark.parametrize("sentence", SENTENCES[:4])
def test_word_level_decoding_restores_natural_spacing(word_tok, sentence):
    assert word_tok.decode(word_tok.encode(sentence)) == sentence


def test_punctuation_is_split_from_words(word_tok):
    assert word_tok.tokens("Hello, world.") == ["Hello", ",", "world", "."]


def test_unknown_words_map_to_unk_and_read_naturally(word_tok):
    ids = word_tok.encode("Hello, zebra.")
    assert word_tok.unk_id in ids and word_tok.decode(ids) == "Hello, <unk>."
    assert word_tok.unknown_rate(["zebra quokka"]) == 1.0


def test_vocabulary_cap_and_min_frequency():
    capped = TextTokenizer.train(["a b c d e f g h"] * 2 + ["rare"], "word", vocab_size=8)
    assert capped.vocab_size == 8
    frequent = TextTokenizer.train(["a b", "a c"], "word", vocab_size=100, min_frequency=2)
    assert frequent.encode("c") == [frequent.unk_id] and frequent.encode("a") != [frequent.unk_id]


def test_bpe_covers_unseen_words_without_unk():
    tok = TextTokenizer.train(["the cats are sitting on the mats", "sitting cats and mats"] * 20, "bpe", vocab_size=120)
    ids = tok.encode("the mat is sitting")
    assert tok.unk_id not in ids and tok.decode(ids) == "the mat is sitting" and tok.kind == "bpe"


def test_lowercasing_is_part_of_the_tokenizer():
    tok = TextTokenizer.train(["Hello World"], "word", vocab_size=20, lowercase=True)
    assert tok.encode("HELLO world") == tok.encode("hello world") and tok.unk_id not in tok.encode("HELLO")


def test_json_round_trip_gives_identical_ids(word_tok):
    again = TextTokenizer.from_json(word_tok.to_json())
    assert [again.encode(s) for s in SENTENCES] == [word_tok.encode(s) for s in SENTENCES]


def test_bad_json_and_kind_raise_package_errors():
    with pytest.raises(TextVAEError):
        TextTokenizer.from_json("{not json")
    with pytest.raises(TextVAEError):
        TextTokenizer.train(["a"], "char")
