"""Property tests: for any input at all, the library either works or raises TextVAEError.
And what the tokenizer promises (a lossless round trip of cleaned text) holds for any text."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from textvae import TextTokenizer, TextVAEError, bundle_to_zip, load_bundle_zip, load_corpus
from textvae.bundle import bundle_from_files
from textvae.corpus import TEXT_SUFFIXES, CorpusOptions, normalize_text
from textvae.safe_files import ALLOWED_FILES, REQUIRED_FILES

FAST = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], max_examples=300
)

# Text that exercises every script, emoji, control and format characters (surrogates cannot be encoded).
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
lines_of_text = st.lists(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40), min_size=1, max_size=6
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def files(tiny_bundle_dir) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in tiny_bundle_dir.iterdir()}


def _corpus_or_refusal(data: bytes, suffix: str, options: CorpusOptions | None = None) -> None:
    options = options or CorpusOptions()
    try:
        corpus = load_corpus(data, name=f"upload{suffix}", options=options)
    except TextVAEError as exc:
        assert str(exc)  # a message for a person
        return
    assert corpus.sentences and all(corpus.sentences)
    for sentence in corpus.sentences:
        assert normalize_text(sentence) == sentence and len(sentence.split()) <= options.max_words
    assert corpus.labels is None or len(corpus.labels) == len(corpus.sentences)


# ---------------------------------------------------------------- corpora


@FAST
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(TEXT_SUFFIXES))
def test_any_bytes_either_load_as_clean_sentences_or_are_refused(data, suffix):
    _corpus_or_refusal(data, suffix)


@FAST
@given(
    text=any_text,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"]),
    suffix=st.sampled_from(TEXT_SUFFIXES),
    split=st.sampled_from(["auto", "lines", "prose"]),
)
def test_any_text_in_any_common_encoding_either_loads_or_is_refused(text, encoding, suffix, split):
    data = text.encode(encoding, errors="replace")
    _corpus_or_refusal(data, suffix, CorpusOptions(split=split, max_words=12, dedupe=True))


@FAST
@given(
    rows=st.lists(st.lists(st.text(max_size=15), min_size=1, max_size=4), max_size=8),
    delimiter=st.sampled_from([",", "\t"]),
)
def test_any_table_either_loads_or_is_refused(rows, delimiter):
    buffer = io.StringIO()
    for row in rows:
        buffer.write(delimiter.join(row) + "\n")
    _corpus_or_refusal(buffer.getvalue().encode(), ".csv" if delimiter == "," else ".tsv")


# ---------------------------------------------------------------- tokenizer


@FAST
@given(texts=lines_of_text)
def test_a_word_tokenizer_round_trips_its_training_text_as_normalize_text_cleans_it(texts):
    """The tokenizer's guarantee: it cleans text exactly as the corpus does (NFKC, controls to
    spaces, invisible marks dropped, white space collapsed), then loses nothing: every word it was
    trained on is in its vocabulary, and decoding gives back the cleaned sentence."""
    tokenizer = TextTokenizer.train(texts, kind="word", vocab_size=5000)
    for text in texts:
        ids = tokenizer.encode(text)
        assert tokenizer.unk_id not in ids
        assert tokenizer.decode(ids) == normalize_text(text)


@FAST
@given(texts=lines_of_text, probe=any_text)
@example(texts=["\U00010781"], probe="")  # NFKC of a Unicode 14 letter: the tokenizers library's tables are older
def test_any_text_round_trips_whenever_no_token_is_unknown(texts, probe):
    for kind in ("word", "bpe"):
        tokenizer = TextTokenizer.train(texts, kind=kind, vocab_size=300)
        for text in [*texts, probe]:
            ids = tokenizer.encode(text)
            assert all(0 <= i < tokenizer.vocab_size for i in ids)
            decoded = tokenizer.decode(ids)
            if tokenizer.unk_id not in ids:
                assert decoded == normalize_text(text)
            else:
                assert "<unk>" in decoded


@FAST
@given(ids=st.lists(st.integers(min_value=-10, max_value=10**6), max_size=50))
def test_decoding_any_ids_gives_text(ids):
    tokenizer = TextTokenizer.train(["the cat sat", "a dog ran"], vocab_size=50)
    assert isinstance(tokenizer.decode(ids), str)


# ---------------------------------------------------------------- bundles


def _only_refused(action) -> None:
    """The action must fail, and with a TextVAEError that has a message: succeeding is a failure."""
    with pytest.raises(TextVAEError) as refusal:
        action()
    assert str(refusal.value)


def _loads_or_is_refused(action) -> None:
    """The action may succeed; if it fails, only with a TextVAEError that has a message."""
    try:
        action()
    except TextVAEError as exc:
        assert str(exc)


def _is_json_object(data: bytes) -> bool:
    try:
        return isinstance(json.loads(data), dict)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError included
        return False


@FAST
@given(data=st.binary(max_size=4000))
def test_any_bytes_as_a_zipped_bundle_are_refused_with_a_message(data):
    _only_refused(lambda: load_bundle_zip(data))
    _only_refused(lambda: load_bundle_zip(b"PK\x03\x04" + data))


@FAST
@given(data=st.data())
def test_a_damaged_bundle_zip_loads_or_is_refused(files, data):
    zipped = bytearray(bundle_to_zip_bytes(files))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(zipped) - 1))
        zipped[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(len(zipped) // 2, len(zipped)))
    _loads_or_is_refused(lambda: load_bundle_zip(bytes(zipped[:cut])))


@FAST
@given(
    contents=st.dictionaries(
        st.sampled_from([*sorted(ALLOWED_FILES), "other.txt", "model.pt"]), st.binary(max_size=2000), max_size=6
    )
)
def test_any_file_contents_as_a_bundle_are_refused_with_a_message(contents):
    _only_refused(lambda: bundle_from_files(contents))


@FAST
@given(
    name=st.sampled_from(REQUIRED_FILES),  # the training state is read only to resume, not to load
    content=st.binary(max_size=2000) | st.text(max_size=500).map(str.encode),
)
def test_one_bad_file_in_an_otherwise_good_bundle_is_refused_with_a_message(files, name, content):
    assume(content != files.get(name))
    assume(name != "metrics.json" or not _is_json_object(content))  # any JSON object is good metrics
    _only_refused(lambda: bundle_from_files({**files, name: content}))


@FAST
@given(
    model=st.dictionaries(
        st.sampled_from(
            [
                "vocab_size",
                "embed_dim",
                "hidden_dim",
                "latent_dim",
                "rnn",
                "num_layers",
                "word_dropout",
                "bn_vae",
                "bn_gamma",
                "max_length",
                "unknown",
            ]
        ),
        json_values,
        max_size=6,
    )
)
def test_any_json_model_settings_load_or_are_refused_with_a_message(files, model):
    config = json.loads(files["config.json"])
    config["model"] = {**config["model"], **model}
    _loads_or_is_refused(lambda: bundle_from_files({**files, "config.json": json.dumps(config).encode()}))


def bundle_to_zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(files.items()):
            zf.writestr(name, data)
    return buffer.getvalue()


def test_the_zip_helper_matches_the_library(tiny_bundle_dir, files):
    assert load_bundle_zip(bundle_to_zip_bytes(files)).name == load_bundle_zip(bundle_to_zip(tiny_bundle_dir)).name
