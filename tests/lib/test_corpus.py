import pytest

from textvae import CorpusOptions, TextVAEError, corpus_stats, load_corpus, train_valid_split
from textvae.corpus import normalize_text, split_sentences, strip_markdown
from textvae.corpus.loading import split_summary
from textvae.corpus.segmentation import split_long

PROSE = """Alice was beginning to get very tired of sitting by her sister on the
bank. Mr. Rabbit said "Oh dear!" and ran off.

So she was considering in her own mind (as well as she could, for the hot
day made her feel very sleepy) whether the pleasure was worth it. It was not.

"Curiouser and curiouser!" cried Alice. She was so much surprised that she
quite forgot how to speak good English.
"""


def test_one_sentence_per_line_keeps_each_line():
    corpus = load_corpus(b"first line here\nsecond line here\n\nthird\n", name="a.txt")
    assert corpus.sentences == ["first line here", "second line here", "third"]


def test_prose_is_split_into_sentences_not_at_every_period():
    corpus = load_corpus(PROSE.encode(), name="alice.txt")
    assert 'Mr. Rabbit said "Oh dear!" and ran off.' in corpus.sentences
    assert "It was not." in corpus.sentences
    assert any(s.startswith("So she was considering in her own mind (as well as she could") for s in corpus.sentences)
    assert len(corpus.sentences) == 6


def test_split_sentences_respects_abbreviations():
    assert split_sentences("Dr. Smith met Mrs. Jones at 5 p.m. today. They talked.") == [
        "Dr. Smith met Mrs. Jones at 5 p.m. today.",
        "They talked.",
    ]


def test_markdown_markup_is_stripped():
    text = "# Title\n\nSome **bold** text with a [link](http://x.y).\n\n- a list item here\n\n```\ncode()\n```\n"
    corpus = load_corpus(text.encode(), name="notes.md")
    joined = " ".join(corpus.sentences)
    assert (
        "bold" in joined
        and "**" not in joined
        and "http" not in joined
        and "code()" not in joined
        and "#" not in joined
    )
    assert strip_markdown("_it_ and `x`") == "it and x"


def test_csv_picks_text_and_label_columns():
    data = b"id,text,label\n1,I loved this phone a lot,positive\n2,It broke after a day,negative\n"
    corpus = load_corpus(data, name="r.csv")
    assert corpus.sentences == ["I loved this phone a lot", "It broke after a day"]
    assert corpus.labels == ["positive", "negative"]


def test_tsv_with_named_column():
    data = b"a\tb\nx\thello there world\ny\tgood bye now\n"
    corpus = load_corpus(data, name="t.tsv", options=CorpusOptions(text_column="b", label_column="a"))
    assert corpus.sentences == ["hello there world", "good bye now"] and corpus.labels == ["x", "y"]


@pytest.mark.parametrize("encoding,prefix", [("utf-16", b""), ("utf-8", b"\xef\xbb\xbf")])
def test_unicode_files_with_bom_decode(encoding, prefix):
    text = "Café déjà vu\nnaïve façade\n"
    corpus = load_corpus(prefix + text.encode(encoding), name="u.txt")
    assert corpus.sentences == ["Café déjà vu", "naïve façade"]


def test_cp1252_falls_back_with_a_warning():
    corpus = load_corpus("Caf\xe9 au lait\n".encode("cp1252"), name="w.txt")
    assert corpus.sentences == ["Café au lait"] and corpus.encoding == "cp1252" and corpus.warnings


def test_normalisation_nfkc_whitespace_and_lowercase():
    assert normalize_text("ﬁne\u00a0\u00a0 Ｔｅｘｔ\t here") == "fine Text here"
    assert normalize_text("Hello World", lowercase=True) == "hello world"


def test_long_sentences_are_split_into_even_parts_or_dropped_and_counted():
    data = ("word " * 60 + "\nshort one\n").encode()
    split = load_corpus(data, name="l.txt", options=CorpusOptions(max_words=25, split="lines"))
    assert [len(s.split()) for s in split.sentences] == [20, 20, 20, 2]  # nothing lost, no one-word tail
    assert split.report["split_long"] == 1 and split.report["split_pieces"] == 3
    assert split_summary(split.report) == "split 1 long sentence into 3 parts at clause marks" and not split.warnings
    dropped = load_corpus(data, name="l.txt", options=CorpusOptions(max_words=10, drop_long=True, split="lines"))
    assert dropped.sentences == ["short one"] and dropped.report["dropped_long"] == 1


def test_a_long_sentence_is_cut_after_a_clause_not_mid_phrase():
    """A model trained on pieces cut mid-clause learns to stop mid-clause."""
    sentence = (
        "I saw him too; he was in a boat, and he rowed towards the shore with a speed that no man could have "
        "matched, while I stood on the rocks and watched the waves, the wind and the rain come down upon us."
    )
    pieces = [" ".join(p) for p in split_long(sentence.split(), 20)]
    assert pieces[1].startswith("And he rowed") and pieces[2].startswith("While I stood")  # each starts a sentence
    assert " ".join(pieces).lower() == sentence.lower()
    assert all(len(p.split()) <= 20 for p in pieces)
    assert all(p.endswith((";", ",", ".")) for p in pieces), pieces
    # a strong mark (; : a dash) wins over a comma nearer the even cut
    marks = "a b c d e f; g h i, j k l m n o p"
    assert " ".join(split_long(marks.split(), 12)[0]) == "a b c d e f;"
    assert split_long(["w"] * 41, 40) == [["w"] * 21, ["w"] * 20]  # no mark at all: even parts
    assert split_long(["W", *["“w"] * 40], 40)[1][0] == "“W"  # after an opening quote
    assert split_long(["“W", *["w"] * 40], 40)[1][0] == "W"  # a sentence that opens with a quote
    assert split_long(["w"] * 41, 40)[1][0] == "w"  # a sentence in lower case stays so
    assert split_long(["1.", *["w"] * 40], 40)[1][0] == "w"  # so does one that opens with a number
    assert split_long(["W", *["1st"] * 40], 40)[1][0] == "1st"  # nothing to capitalise


def test_the_limit_to_sentences_counts_the_parts_of_a_split_sentence():
    data = ("word " * 60 + "\nshort one\nanother one\n").encode()
    kept = load_corpus(data, name="l.txt", options=CorpusOptions(max_words=25, split="lines", max_sentences=2))
    assert len(kept.sentences) == 2 and kept.report["dropped_over_limit"] == 2


def test_deduplication_is_optional_and_counted():
    data = b"same line\nsame line\nother line\n"
    assert len(load_corpus(data, name="d.txt")) == 3
    deduped = load_corpus(data, name="d.txt", options=CorpusOptions(dedupe=True))
    assert deduped.sentences == ["same line", "other line"] and deduped.report["dropped_duplicate"] == 1


def test_empty_and_binary_inputs_raise_a_package_error():
    with pytest.raises(TextVAEError, match="empty"):
        load_corpus(b"  \n\n ", name="e.txt")
    with pytest.raises(TextVAEError, match="PNG"):
        load_corpus(b"\x89PNG\r\n\x1a\n" + bytes(100), name="img.txt")
    with pytest.raises(TextVAEError, match="Unsupported"):
        load_corpus(b"hello", name="x.docx")


def test_split_is_seeded_disjoint_and_complete(corpus_file):
    corpus = load_corpus(corpus_file)
    train, valid = train_valid_split(corpus, 0.1, seed=3)
    again, _ = train_valid_split(corpus, 0.1, seed=3)
    other, _ = train_valid_split(corpus, 0.1, seed=4)
    assert train.sentences == again.sentences and train.sentences != other.sentences
    assert len(train) + len(valid) == len(corpus) and len(valid) == 40


def test_statistics_count_tokens_vocabulary_and_lengths():
    stats = corpus_stats(["a b c", "a b", "d"])
    assert (stats.sentences, stats.tokens, stats.vocabulary, stats.max_length) == (3, 6, 4, 3)
    assert stats.length_histogram == {1: 1, 2: 1, 3: 1} and stats.top_words[0] == ("a", 2)


def test_statistics_unknown_rate_uses_the_tokenizer(trained):
    bundle, _, _ = trained
    stats = corpus_stats(["zebra quokka axolotl", "The cat sees the river."], bundle.tokenizer)
    assert stats.unknown_rate == pytest.approx(3 / stats.tokens)
