"""The default tokenizer is byte-level BPE: no unknown tokens for any script, and exact decoding."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textvae import TextTokenizer
from textvae.corpus import normalize_text

TRAINING = [
    "“Off with her head!” the Queen shouted at the top of her voice.",
    "Don't stop (me) now, she said -- it's 3.5 km away.",
    "红楼梦是中国古典小说。她笑道：“你来了！”",
    "Ünïcödé, emoji 😀 and right-to-left: שלום עולם.",
] * 10
TOKENIZER = TextTokenizer.train(TRAINING, vocab_size=400)
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


def test_bpe_is_the_default_kind_and_is_byte_level():
    assert TOKENIZER.kind == "bpe"
    assert TOKENIZER.unk_id not in TOKENIZER.encode("A word never seen: Quetzalcoatl 🦜 ẞ 漢字 ∮")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=any_text)
def test_decode_of_encode_is_the_normalised_text_for_any_unicode(text):
    ids = TOKENIZER.encode(text)
    assert TOKENIZER.unk_id not in ids
    assert TOKENIZER.decode(ids) == normalize_text(text)


def test_the_round_trip_survives_saving_the_tokenizer():
    again = TextTokenizer.from_json(TOKENIZER.to_json())
    for sentence in TRAINING[:4]:  # as the corpus cleans them (textvae.unicode_form: full-width "！" stays)
        assert again.decode(again.encode(sentence)) == normalize_text(sentence)


def test_no_glued_words_and_no_space_after_an_opening_quote():
    sentence = "“Off with her head!” the Queen shouted."
    assert TOKENIZER.decode(TOKENIZER.encode(sentence)) == sentence


def test_tokens_read_as_text_and_half_characters_are_dropped_when_decoding():
    assert "".join(TOKENIZER.tokens("the Queen")).replace(" ", "") == "theQueen"
    first_bytes_of_a_character = TOKENIZER.encode("漢")[:1]
    assert TOKENIZER.decode(first_bytes_of_a_character) in ("", "漢")
