"""Bad, odd and hostile corpus input, typed sentences and hyperparameters: each one either works
or raises TextVAEError with a message a person can act on. Nothing else escapes."""

from __future__ import annotations

import dataclasses
import io
import time
import zipfile

import pytest
import torch

from tests.helpers import make_sentences
from textvae import (
    Corpus,
    CorpusOptions,
    DecodeOptions,
    SentenceVAE,
    TextTokenizer,
    TextVAEError,
    TrainConfig,
    VAEConfig,
    corpus_stats,
    interpolate,
    load_corpus,
    reconstruct,
)
from textvae.config import MIN_SENTENCES, TokenizerConfig
from textvae.corpus import MAX_LINE_CHARS
from textvae.data import encode_sentences
from textvae.limits import get_limits
from textvae.pipeline import train_model
from textvae.schedules import BetaSchedule

# ---------------------------------------------------------------- empty and huge input


@pytest.mark.parametrize("data", [b"", b"   ", b"\n\n\t \r\n"])
def test_an_empty_or_blank_file_is_refused_as_empty(data):
    with pytest.raises(TextVAEError, match="empty"):
        load_corpus(data, name="blank.txt")


def test_a_file_of_invisible_characters_has_no_sentences():
    with pytest.raises(TextVAEError, match="no sentences"):
        load_corpus("\u00a0\u2003\n\u200b\u200b\n".encode(), name="invisible.txt")


def test_a_single_5mb_line_is_cut_quickly_and_the_cut_is_counted():
    data = b"word " * 1_000_000  # 5 MB, no newline
    start = time.perf_counter()
    corpus = load_corpus(data, name="one-line.txt")
    assert time.perf_counter() - start < 10  # about 0.5 s; uncut it took several seconds
    assert corpus.report["cut_long_lines"] == 1
    assert any(f"{MAX_LINE_CHARS:,} characters" in w for w in corpus.warnings)
    assert all(len(s.split()) <= 40 for s in corpus.sentences)


# ---------------------------------------------------------------- binary files


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "PNG"),
        (_zip_bytes(), "zip"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n", "PDF"),
        (b"\x1f\x8b\x08\x00" + bytes(50), "gzip"),
        (b"\x7fELF\x02\x01\x01" + bytes(50), "ELF"),
        (bytes(range(256)) * 40, "binary"),
    ],
)
def test_a_binary_file_renamed_txt_is_refused_naming_what_it_is(data, what):
    with pytest.raises(TextVAEError, match=what):
        load_corpus(data, name="renamed.txt")


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_with_a_bom_is_decoded(encoding):
    text = "Grüße aus Köln.\nZweite Zeile hier.\n"
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    corpus = load_corpus(bom + text.encode(encoding), name="u16.txt")
    assert corpus.sentences == ["Grüße aus Köln.", "Zweite Zeile hier."]


def test_utf16_without_a_bom_is_recognised_too():
    corpus = load_corpus("first line\nsecond line\n".encode("utf-16-le"), name="u16.txt")
    assert corpus.sentences == ["first line", "second line"] and corpus.encoding == "utf-16-le"


def test_broken_utf16_is_refused_with_advice():
    with pytest.raises(TextVAEError, match="UTF-16"):
        load_corpus(b"\xff\xfe\x00\xd8a", name="bad16.txt")  # a lone surrogate


def test_cp1252_text_is_read_with_a_warning():
    corpus = load_corpus("Café au lait, naïve résumé – “quoted”.\n".encode("cp1252"), name="win.txt")
    assert corpus.sentences == ["Café au lait, naïve résumé – “quoted”."]
    assert corpus.encoding == "cp1252" and any("Windows-1252" in w for w in corpus.warnings)


def test_a_utf8_bom_is_removed():
    corpus = load_corpus(b"\xef\xbb\xbfFirst line.\nSecond line.\n", name="bom.txt")
    assert corpus.sentences[0] == "First line." and corpus.encoding == "utf-8-sig"


def test_mixed_scripts_and_emoji_are_kept():
    lines = ["Hello мир 世界 🌍 ok.", "Ελληνικά and हिन्दी 👩‍💻 together.", "日本語のテキスト。"]
    assert load_corpus("\n".join(lines).encode(), name="mixed.txt").sentences == lines


def test_right_to_left_text_round_trips_through_the_tokenizer():
    lines = ["مرحبا بالعالم، كيف حالك؟", "שלום עולם, מה שלומך?", "Mixed עברית and English."]
    corpus = load_corpus("\n".join(lines).encode(), name="rtl.txt")
    assert corpus.sentences == lines
    for kind in ("word", "bpe"):
        tokenizer = TextTokenizer.train(corpus.sentences * 3, kind=kind, vocab_size=300)
        for line in lines:
            ids = tokenizer.encode(line)
            assert tokenizer.unk_id not in ids
            assert tokenizer.decode(ids) == line


def test_special_token_names_typed_in_a_sentence_stay_text():
    lines = ["Press [EOS] to stop.", "[PAD] and [UNK] are names.", "[BOS] starts here."]
    tokenizer = TextTokenizer.train(lines, vocab_size=100)
    for line in lines:
        ids = tokenizer.encode(line)
        assert not set(ids) & {tokenizer.pad_id, tokenizer.unk_id, tokenizer.bos_id, tokenizer.eos_id}
        assert tokenizer.decode(ids) == line


# ---------------------------------------------------------------- markup


def test_html_and_javascript_in_a_txt_file_are_kept_as_literal_text():
    lines = ["<script>alert('hi')</script> is a tag.", "<b>bold</b> & <i>x</i>", "**stars** and # hash stay."]
    assert load_corpus("\n".join(lines).encode(), name="page.txt").sentences == lines


def test_only_markdown_files_have_their_markup_stripped():
    text = "# Title\n\nSome **bold** text with a [link](http://x.org).\n\n<script>evil()</script> Plain words.\n"
    sentences = " ".join(load_corpus(text.encode(), name="notes.md").sentences)
    assert "**" not in sentences and "<script>" not in sentences and "http" not in sentences
    assert "bold" in sentences and "link" in sentences and "Plain words." in sentences


# ---------------------------------------------------------------- tables


def test_a_csv_with_no_text_column_is_refused():
    with pytest.raises(TextVAEError, match="No column holds text"):
        load_corpus(b"id,score\n1,2.5\n2,3.5\n3,4.0\n", name="numbers.csv")


def test_ragged_csv_rows_are_skipped_and_counted():
    data = b"text,label\nthe first good row,pos\nbad row,neg,extra\nshort\nthe second good row,neg\n"
    corpus = load_corpus(data, name="ragged.csv")
    assert corpus.sentences == ["the first good row", "the second good row"] and corpus.labels == ["pos", "neg"]
    assert any("Skipped 2 rows" in w for w in corpus.warnings)


def test_a_chosen_numeric_column_is_refused():
    with pytest.raises(TextVAEError, match="numbers, not text"):
        load_corpus(b"text,stars\nnice film,5\nbad film,1\n", name="r.csv", options=CorpusOptions(text_column="stars"))


def test_a_missing_chosen_column_is_refused_listing_the_columns():
    with pytest.raises(TextVAEError, match=r"no column 'review'.*text, stars"):
        load_corpus(b"text,stars\nnice film,5\n", name="r.csv", options=CorpusOptions(text_column="review"))


def test_an_unclosed_quote_that_swallows_the_file_gets_advice():
    with pytest.raises(TextVAEError, match="quote"):
        load_corpus(b'text\n"' + b"word " * 40_000 + b"\n", name="q.csv")


# ---------------------------------------------------------------- resource caps


def test_bytes_over_the_upload_limit_are_refused(monkeypatch):
    monkeypatch.setenv("TEXTVAE_MAX_UPLOAD_MB", "0.01")  # about 10 kB
    with pytest.raises(TextVAEError, match=r"over the 0.01 MB limit.*TEXTVAE_MAX_UPLOAD_MB"):
        load_corpus(b"a line of text\n" * 2000, name="big.txt")


def test_a_file_over_the_upload_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as handle:
        handle.truncate(51 * 2**20)  # sparse: 51 MB on paper, nothing on disk
    monkeypatch.setattr(type(path), "read_bytes", lambda self: pytest.fail("the whole file was read"))
    with pytest.raises(TextVAEError, match="51 MB, over the 50 MB limit"):
        load_corpus(path)


def test_the_sentence_cap_keeps_the_first_sentences_and_says_so(monkeypatch):
    monkeypatch.setenv("TEXTVAE_MAX_SENTENCES", "10")
    corpus = load_corpus("\n".join(make_sentences(30)).encode(), name="many.txt")
    assert corpus.sentences == make_sentences(30)[:10]
    assert any("TEXTVAE_MAX_SENTENCES" in w and "20 more" in w for w in corpus.warnings)


@pytest.mark.parametrize("value", ["lots", "-5", "0", "nan"])
def test_a_bad_settings_variable_is_refused_naming_it(monkeypatch, value):
    monkeypatch.setenv("TEXTVAE_MAX_SENTENCES", value)
    with pytest.raises(TextVAEError, match="TEXTVAE_MAX_SENTENCES"):
        get_limits()


def test_settings_have_the_documented_defaults(monkeypatch):
    for name in ("UPLOAD_MB", "SENTENCES", "VOCAB", "PARAMETERS", "TRAIN_MINUTES", "TRAININGS"):
        monkeypatch.delenv(f"TEXTVAE_MAX_{name}", raising=False)
    monkeypatch.delenv("TEXTVAE_MODELS_DIR", raising=False)
    s = get_limits()
    assert (s.max_upload_bytes, s.max_sentences, s.max_vocab, s.max_train_minutes, s.max_trainings) == (
        50 * 2**20,
        200_000,
        50_000,
        30.0,
        2,
    )
    assert str(s.models_dir) == "runs/models"
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.max_sentences = 1  # type: ignore[misc]


def test_a_vocabulary_over_the_cap_is_refused(monkeypatch):
    monkeypatch.setenv("TEXTVAE_MAX_VOCAB", "100")
    with pytest.raises(TextVAEError, match="TEXTVAE_MAX_VOCAB"):
        TextTokenizer.train(["a b c"], vocab_size=101)


@pytest.mark.parametrize("source", [None, 12, 10**10, ["a line"]])
def test_a_corpus_source_that_is_neither_path_nor_bytes_is_refused(source):
    with pytest.raises(TextVAEError, match="file path or the file's bytes"):
        load_corpus(source)


def test_a_folder_or_a_device_is_not_a_corpus(tmp_path):
    with pytest.raises(TextVAEError, match="folder"):
        load_corpus(tmp_path)
    with pytest.raises(TextVAEError, match="not a regular file"):
        load_corpus("/dev/zero")


# ---------------------------------------------------------------- training data


def test_a_corpus_too_small_to_train_says_why_and_the_minimum():
    with pytest.raises(
        TextVAEError, match=f"has {MIN_SENTENCES - 1} sentences; training needs at least {MIN_SENTENCES}"
    ):
        train_model(Corpus(make_sentences(MIN_SENTENCES - 1)))


def test_a_mostly_unknown_vocabulary_is_reported_as_an_unknown_rate():
    tokenizer = TextTokenizer.train(make_sentences(60), kind="word", vocab_size=200)  # byte BPE has no unknowns
    foreign = ["zebras quokkas axolotls yaks", "la vie en rose est belle", "the cat and platypus"]
    stats = corpus_stats(foreign, tokenizer)
    assert stats.unknown_rate > 0.8 and tokenizer.unknown_rate(foreign) == pytest.approx(stats.unknown_rate)


def test_training_records_the_validation_unknown_rate():
    train = Corpus(make_sentences(40))
    valid = Corpus(["zebras quokkas axolotls", "yaks and gnus roam"])
    bundle, _ = train_model(
        train,
        valid,
        model={"embed_dim": 16, "hidden_dim": 16, "latent_dim": 4},
        training=TrainConfig(epochs=1, batch_size=20, threads=1),
        tokenizer=TokenizerConfig(kind="word", vocab_size=200),
    )
    assert bundle.metrics["corpus"]["valid_unknown_rate"] > 0.7


# ---------------------------------------------------------------- typed sentences


@pytest.fixture(scope="module")
def model_tok():
    tokenizer = TextTokenizer.train(make_sentences(60), vocab_size=200)
    torch.manual_seed(0)
    return SentenceVAE(
        VAEConfig(vocab_size=tokenizer.vocab_size, embed_dim=16, hidden_dim=16, latent_dim=4, max_length=32)
    ), tokenizer


@pytest.mark.parametrize("empty", ["", "   ", "\n\t"])
def test_an_empty_typed_sentence_is_refused(model_tok, empty):
    model, tok = model_tok
    with pytest.raises(TextVAEError, match="empty"):
        interpolate(model, tok, empty, "the cat sees the river")
    with pytest.raises(TextVAEError, match="empty"):
        reconstruct(model, tok, [empty])


def test_a_2000_word_sentence_is_truncated_to_max_length_and_works(model_tok):
    model, tok = model_tok
    long = " ".join(["the cat sees the river"] * 400)
    assert [len(ids) for ids in encode_sentences(tok, [long], model.config.max_length)] == [model.config.max_length]
    path = interpolate(model, tok, long, "a dog", steps=3, options=DecodeOptions(max_length=10))
    assert len(path.sentences) == 3
    assert len(reconstruct(model, tok, [long], DecodeOptions(max_length=10))) == 1


def test_a_sentence_of_unknown_words_works(model_tok):
    model, tok = model_tok
    assert len(reconstruct(model, tok, ["xylophone zeppelin quagmire"])) == 1
    assert len(interpolate(model, tok, "xylophone zeppelin", "🦄🦄 ⚡", steps=2).sentences) == 2


@pytest.mark.parametrize("bad", ["one string", [None], [3]])
def test_sentences_that_are_not_a_list_of_strings_are_refused(model_tok, bad):
    model, tok = model_tok
    with pytest.raises(TextVAEError, match="list of strings"):
        reconstruct(model, tok, bad)


# ---------------------------------------------------------------- hyperparameters at and past their bounds

TINY = dict(vocab_size=100, embed_dim=16, hidden_dim=16, latent_dim=4)


@pytest.mark.parametrize(
    "ok",
    [
        dict(vocab_size=5),
        dict(vocab_size=200_000),
        dict(embed_dim=1),
        dict(embed_dim=2048),
        dict(hidden_dim=2048),
        dict(latent_dim=1),
        dict(latent_dim=1024),
        dict(num_layers=4),
        dict(max_length=1),
        dict(max_length=1024),
        dict(word_dropout=0.0),
        dict(word_dropout=0.99),
        dict(bn_gamma=10.0),
        dict(rnn="lstm"),
    ],
)
def test_model_settings_at_their_bounds_are_accepted(ok):
    VAEConfig(**{**TINY, **ok}).validate()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (dict(vocab_size=4), "at least 5"),
        (dict(vocab_size=200_001), "vocab_size=200001 is outside"),
        (dict(embed_dim=0), "embed_dim=0"),
        (dict(embed_dim=2049), "embed_dim=2049"),
        (dict(latent_dim=1025), "latent_dim"),
        (dict(num_layers=5), "num_layers"),
        (dict(max_length=1025), "max_length"),
        (dict(word_dropout=1.0), "word_dropout"),
        (dict(bn_gamma=0.0), "bn_gamma"),
        (dict(hidden_dim=4096, embed_dim=2048), "parameters"),
        (dict(hidden_dim="16"), "hidden_dim must be a whole number"),
        (dict(latent_dim=4.0), "latent_dim must be a whole number"),
        (dict(bn_vae="yes"), "bn_vae must be true or false"),
        (dict(word_dropout=float("nan")), "word_dropout must be a finite number"),
    ],
)
def test_model_settings_past_their_bounds_are_refused_with_a_message(bad, message):
    with pytest.raises(TextVAEError, match=message):
        VAEConfig(**{**TINY, **bad}).validate()


@pytest.mark.parametrize(
    "ok",
    [
        dict(epochs=1),
        dict(epochs=10_000),
        dict(batch_size=1),
        dict(batch_size=4096),
        dict(lr=1.0),
        dict(lr=1e-6),
        dict(max_minutes=0.01),
        dict(max_minutes=7 * 24 * 60),
        dict(free_bits=0.0),
        dict(free_bits=10.0),
        dict(threads=1),
        dict(seed=0),
        dict(seed=2**63 - 1),
        dict(patience=1),
        dict(kl_cycles=1),
        dict(beta_max=10.0),
    ],
)
def test_training_settings_at_their_bounds_are_accepted(ok):
    TrainConfig(**ok)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (dict(epochs=0), "epochs=0 is outside"),
        (dict(epochs=10_001), "epochs"),
        (dict(epochs=-3), "epochs=-3"),
        (dict(batch_size=4097), "batch_size"),
        (dict(lr=0.0), "lr=0.0 is outside"),
        (dict(lr=1.5), "lr"),
        (dict(lr=float("nan")), "lr must be a finite number"),
        (dict(max_minutes=0), "max_minutes"),
        (dict(max_minutes=float("inf")), "max_minutes must be a finite"),
        (dict(free_bits=-0.1), "free_bits"),
        (dict(threads=0), "threads=0"),
        (dict(seed=-1), "seed=-1"),
        (dict(patience=0), "patience"),
        (dict(valid_every=0), "valid_every"),
        (dict(log_every=0), "log_every"),
        (dict(epochs="10"), "epochs must be a whole number, not '10'"),
        (dict(precision="fast"), "precision"),
        (dict(kl_cycles=0), "cycles"),
        (dict(kl_schedule="wavy"), "wavy"),
        (dict(device="tpu"), "tpu"),
    ],
)
def test_training_settings_past_their_bounds_are_refused_with_a_message(bad, message):
    with pytest.raises(TextVAEError, match=message):
        TrainConfig(**bad)


def test_training_settings_from_a_non_object_are_refused():
    with pytest.raises(TextVAEError, match="JSON object"):
        TrainConfig.from_dict(["epochs", 3])


@pytest.mark.parametrize(
    "ok",
    [
        dict(temperature=0.05),
        dict(temperature=10.0),
        dict(top_p=1.0),
        dict(top_p=1e-6),
        dict(top_k=0),
        dict(top_k=10**6),
        dict(beam_width=1),
        dict(beam_width=32),
        dict(max_length=1),
        dict(max_length=1024),
    ],
)
def test_decode_options_at_their_bounds_are_accepted(ok):
    DecodeOptions(**ok)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (dict(temperature=0.049), "temperature"),
        (dict(temperature=10.01), "temperature"),
        (dict(top_p=0.0), "top_p"),
        (dict(top_p=1.01), "top_p"),
        (dict(top_k=-1), "top_k"),
        (dict(beam_width=0), "beam_width"),
        (dict(beam_width=33), "beam_width"),
        (dict(max_length=0), "max_length"),
        (dict(max_length=1025), "max_length"),
        (dict(method="telepathy"), "telepathy"),
        (dict(temperature="hot"), "temperature must be a number"),
        (dict(top_k=None), "top_k must be a whole number"),
        (dict(max_length=2.5), "max_length must be a whole number"),
    ],
)
def test_decode_options_past_their_bounds_are_refused_with_a_message(bad, message):
    with pytest.raises(TextVAEError, match=message):
        DecodeOptions(**bad)


@pytest.mark.parametrize(
    "ok",
    [
        dict(beta_max=0.0),
        dict(beta_max=10.0),
        dict(ratio=1.0),
        dict(cycles=1),
        dict(cycles=1000),
        dict(warmup=0.0),
        dict(warmup=1.0),
        dict(kind="logistic", steepness=100.0),
        dict(kind="linear", warmup=0.0),
    ],
)
def test_kl_schedules_at_their_bounds_are_accepted_and_stay_finite(ok):
    schedule = BetaSchedule(**ok)
    assert all(0.0 <= schedule(p / 10) <= 10.0 for p in range(11))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (dict(beta_max=10.1), "beta_max"),
        (dict(beta_max=-0.1), "beta_max"),
        (dict(ratio=0.0), "ratio"),
        (dict(cycles=0), "cycles"),
        (dict(cycles=1001), "cycles"),
        (dict(warmup=1.1), "warmup"),
        (dict(steepness=0.0), "steepness"),
        (dict(steepness=101.0), "steepness"),
        (dict(cycles=2.5), "cycles must be a whole number"),
        (dict(beta_max=float("nan")), "beta_max must be a finite"),
        (dict(kind="sawtooth"), "sawtooth"),
    ],
)
def test_kl_schedules_past_their_bounds_are_refused_with_a_message(bad, message):
    with pytest.raises(TextVAEError, match=message):
        BetaSchedule(**bad)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (dict(max_words=0), "max_words"),
        (dict(max_words=1001), "max_words"),
        (dict(min_words=0), "min_words"),
        (dict(min_words=50, max_words=40), "min_words=50"),
        (dict(max_sentences=0), "max_sentences"),
        (dict(split="paragraphs"), "split"),
        (dict(max_words="40"), "max_words must be a whole number"),
        (dict(lowercase="yes"), "lowercase must be true or false"),
    ],
)
def test_corpus_options_past_their_bounds_are_refused_with_a_message(bad, message):
    with pytest.raises(TextVAEError, match=message):
        CorpusOptions(**bad)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (dict(vocab_size=4), "vocabulary size"),
        (dict(vocab_size="100"), "vocabulary size"),
        (dict(min_frequency=0), "min_frequency"),
        (dict(kind="char"), "char"),
    ],
)
def test_tokenizer_settings_past_their_bounds_are_refused_with_a_message(bad, message):
    with pytest.raises(TextVAEError, match=message):
        TextTokenizer.train(["a b c"], **{"vocab_size": 50, **bad})
