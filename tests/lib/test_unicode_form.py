from hypothesis import given
from hypothesis import strategies as st

from textvae.corpus import normalize_text
from textvae.tokenizer import TextTokenizer
from textvae.unicode_form import unicode_form


def test_full_width_punctuation_stays_and_the_rest_is_nfkc():
    assert unicode_form("宝玉道：“你来了？”黛玉笑道，“来了！”") == "宝玉道：“你来了？”黛玉笑道，“来了！”"
    assert unicode_form("（一）；～") == "（一）；～"
    assert unicode_form("ﬁne Ｔｅｘｔ １２") == "fine Text 12"  # full-width letters and digits are folded
    assert unicode_form("ｶﾀｶﾅ｡") == "カタカナ。"  # half-width forms become full ones
    assert unicode_form("e\u0301，e\u0301") == "é，é"


@given(st.text(max_size=40))
def test_the_form_is_idempotent_and_nfkc_apart_from_full_width_punctuation(text):
    import unicodedata

    once = unicode_form(text)
    assert unicode_form(once) == once
    folded = "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in once)
    assert unicodedata.normalize("NFKC", folded) == unicodedata.normalize("NFKC", text)


def test_a_chinese_model_writes_chinese_punctuation():
    lines = ["他笑道：“好！你来了？”", "黛玉听了，便说：“罢了。”", "（这是第一回）"] * 20
    assert normalize_text(lines[0]) == lines[0]
    tok = TextTokenizer.train(lines, "bpe", 300, 1, False)
    for line in lines[:3]:
        assert tok.decode(tok.encode(line)) == line
