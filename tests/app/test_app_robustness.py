"""Bad input in the app (AppTest, no browser): every bad upload, typed sentence and setting gets a
clear, specific message, never an exception, and what the session had before is still there.

Good-but-unusual files (UTF-16, cp1252, mixed scripts, right-to-left, HTML in the text) are accepted,
and user text is shown as text: escaped in markdown and in plot hover labels, as data in tables.
"""

from __future__ import annotations

import io
import json
import re
import time
import zipfile

import pyarrow as pa
import pytest
import torch
from streamlit.testing.v1 import AppTest

from studio import corpora, resume
from studio.messages import md_escape
from studio.paths import ROOT
from studio.runtime import server_limits
from studio.training_fields import TRAINING_FIELDS, field_bounds
from tests.app.apptest import assert_ok, open_page, upload
from tests.helpers import make_sentences, make_zip, with_config
from textvae import bundle_to_zip

GOOD = ("\n".join(make_sentences(300)) + "\n").encode()
MB = 2**20


def plain(text: str) -> str:
    """Markdown as a reader sees it: no bold or code marks, no escapes
    (``md_escape`` puts a backslash before ``.``, ``*``, ``<`` …)."""
    return re.sub(r"\\(.)", r"\1", re.sub(r"(?<!\\)(\*\*|`)", "", text))


def messages(at: AppTest, *kinds: str) -> str:
    return " | ".join(plain(e.value) for kind in kinds for e in getattr(at, kind))


def with_good_corpus() -> AppTest:
    """The Data page with a good corpus already active: what a bad upload must not take away."""
    at = open_page("app_pages/data.py")
    upload(at, "good.txt", GOOD)
    assert_ok(at)
    assert at.session_state["corpus"].name == "good.txt"
    return at


def assert_good_corpus_kept(at: AppTest, corpus_id: str) -> None:
    assert at.session_state["corpus"].name == "good.txt" and at.session_state["corpus_id"] == corpus_id
    assert any("Active corpus: good.txt (300 sentences)" in plain(s.value) for s in at.success)


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


# ---------------------------------------------------------------- uploads that are refused

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    + bytes(64)
)
PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
REFUSED = {
    "empty file": ("empty.txt", b"", ["empty.txt is empty"]),
    "only white space": ("blank.txt", b"   \n\t\n \r\n  ", ["blank.txt is empty", "white space"]),
    "PNG renamed .txt": ("photo.txt", PNG, ["PNG image", "not text"]),
    "zip renamed .txt": ("archive.txt", zipped({"a.txt": "hello"}), ["zip archive", "not text"]),
    "PDF renamed .txt": ("paper.txt", PDF, ["PDF document", "not text"]),
    "NUL bytes": ("data.txt", bytes(range(256)) * 40, ["binary file", "not text"]),
    "CSV with no text column": (
        "numbers.csv",
        ("a,b\n" + "\n".join(f"{i},{i * 2}" for i in range(50))).encode(),
        ["No column holds text", "a, b"],
    ),
    "CSV with only a header": ("header.csv", b"text,label\n", ["header row", "at least one row"]),
    "CSV with only ragged rows": (
        "ragged.csv",
        ("text,label\n" + "\n".join(f"{s},pos,extra" for s in make_sentences(20))).encode(),
        ["no complete rows"],
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_bad_upload_is_refused_with_a_message_and_the_active_corpus_stays(app_env, case):
    name, data, words = REFUSED[case]
    at = with_good_corpus()
    before = at.session_state["corpus_id"]
    upload(at, name, data, "text/csv" if name.endswith(".csv") else "text/plain")
    assert_ok(at)
    shown = messages(at, "error")
    for word in words:
        assert word in shown, (case, shown)
    assert_good_corpus_kept(at, before)


def test_an_upload_over_the_size_limit_names_the_limit(app_env, monkeypatch):
    monkeypatch.setenv("TEXTVAE_MAX_UPLOAD_MB", "0.05")
    at = with_good_corpus()
    before = at.session_state["corpus_id"]
    assert "Up to 0.05 MB" in at.file_uploader(key="data.upload").help
    upload(at, "big.txt", b"A sentence that repeats.\n" * 4000)  # 100 kB
    assert_ok(at)
    assert re.search(r"big\.txt is 0\.095\d* MB, over the 0\.05 MB limit.*TEXTVAE_MAX_UPLOAD_MB", messages(at, "error"))
    assert_good_corpus_kept(at, before)


@pytest.mark.parametrize("page", ["app_pages/train.py", "app_pages/latent_space.py"])
def test_the_upload_limit_does_not_apply_to_the_bundled_demo_corpus(app_env, monkeypatch, page):
    monkeypatch.setenv("TEXTVAE_MAX_UPLOAD_MB", "0.5")  # the demo corpus is 1.1 MB
    corpora._bundled_corpus.clear()  # read it again, under this limit
    at = open_page(page)
    assert_ok(at)
    assert not at.error and not at.warning, messages(at, "error", "warning")
    if page == "app_pages/train.py":
        assert any("Training on **snli\\-sentences\\.txt**" in m.value for m in at.markdown)
    else:
        assert at.get("plotly_chart") and len(at.table) >= 2  # the demo corpus's map, its neighbours and clusters


def test_a_numeric_column_chosen_as_text_is_refused(app_env):
    rows = ["id,review,stars"] + [f"{i},{s},{i % 5}" for i, s in enumerate(make_sentences(60))]
    at = with_good_corpus()
    before = at.session_state["corpus_id"]
    upload(at, "reviews.csv", "\n".join(rows).encode(), "text/csv")
    assert at.session_state["corpus"].name == "reviews.csv"  # the likely text column was used at once
    at.selectbox(key="data.upload.text").set_value("stars").run()
    assert_ok(at)
    assert "Column 'stars' holds numbers, not text" in messages(at, "error")
    assert at.session_state["corpus"].name == "reviews.csv" and at.session_state["corpus_id"] != before


# ---------------------------------------------------------------- unusual uploads that are accepted


def lines(sentences: list[str]) -> str:
    return "\n".join(sentences) + "\n"


ACCEPTED = {
    "UTF-16 with BOM": ("utf16.txt", lines(make_sentences(50)).encode("utf-16"), "The cat", None),
    "UTF-16 without BOM": ("utf16le.txt", lines(make_sentences(50)).encode("utf-16-le"), "The cat", None),
    "cp1252": (
        "windows.txt",
        lines(f"{s} Café, naïve, 20 €." for s in make_sentences(50)).encode("cp1252"),
        "Café, naïve, 20 €.",
        "Windows-1252",
    ),
    "mixed scripts and emoji": (
        "mixed.txt",
        lines(f"{s} 😀 Привет 你好 नमस्ते 👩‍💻" for s in make_sentences(50)).encode(),
        "Привет 你好 नमस्ते 👩‍💻",
        None,
    ),
    "right-to-left": (
        "rtl.txt",
        lines(f"שלום עולם {i} مرحبا بالعالم" for i in range(50)).encode(),
        "مرحبا بالعالم",
        None,
    ),
    "one 5 MB line": ("oneline.txt", b"word " * (5 * MB // 5), "word word", "longer than 100,000 characters"),
    "ragged CSV rows": (
        "some-ragged.csv",
        (
            "text,label\n"
            + "\n".join(f"{s},pos" + (",extra" if i % 3 == 0 else "") for i, s in enumerate(make_sentences(60)))
        ).encode(),
        "The cat",
        "Skipped 20 rows whose number of fields differs from the header's 2",
    ),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_an_unusual_but_good_upload_is_accepted(app_env, case):
    name, data, expected, warning = ACCEPTED[case]
    at = open_page("app_pages/data.py")
    upload(at, name, data, "text/csv" if name.endswith(".csv") else "text/plain")
    assert_ok(at)
    assert not at.error, messages(at, "error")
    corpus = at.session_state["corpus"]
    assert corpus is not None and corpus.name == name
    assert any(expected in s for s in corpus.sentences), corpus.sentences[:3]
    assert any(md_escape(expected) in s for s in at.table[0].value["sentence"])  # the preview shows it as it is
    if warning:
        assert warning in messages(at, "warning")


HOSTILE = [
    "<script>alert('x')</script> is here",
    "<img src=x onerror=alert(1)> and <b>bold</b>",
    "**strong** [link](javascript:alert(1)) $x^2$ `code`",
]


def test_html_and_markdown_in_the_text_are_shown_as_text(app_env):
    rows = ["text,label"] + [
        f'"{HOSTILE[i % 3]} {s}","<i>{"pos" if i % 2 else "neg"}</i>"' for i, s in enumerate(make_sentences(90))
    ]
    at = open_page("app_pages/data.py")
    upload(at, "<b>hostile</b>.csv", "\n".join(rows).encode(), "text/csv")
    assert_ok(at)
    corpus = at.session_state["corpus"]
    assert corpus.sentences[0].startswith("<script>alert('x')</script>")  # kept as data, not stripped
    preview = at.table[0].value  # Markdown escaped: st.table would render it
    assert preview["sentence"][1] == md_escape(corpus.sentences[0])  # numbered from 1
    assert preview["sentence"][1].startswith("\\<script\\>")
    assert preview["label"][1] in (md_escape("<i>pos</i>"), md_escape("<i>neg</i>"))
    assert "<script>" in " ".join(at.dataframe[0].value["word"])  # top words: a data grid shows cells as text
    for element in [
        *at.markdown,
        *at.success,
        *at.warning,
        *at.caption,
    ]:  # markdown: every tag and markup character escaped
        assert "<b>" not in element.value and "<script>" not in element.value and "**strong**" not in element.value
    assert "\\<b\\>hostile\\</b\\>" in at.success[0].value

    at.switch_page("app_pages/latent_space.py").run()  # the 2D map: Vega draws legends and tooltips as text
    at.session_state["keep.map.color"] = "label"
    at.run()
    assert_ok(at)
    chart = at.get("vega_lite_chart")[0].proto
    legend = json.loads(chart.spec)["layer"][0]["encoding"]["color"]["scale"]["domain"]
    assert sorted(legend) == ["<i>neg</i>", "<i>pos</i>"]  # as written, not escaped twice into "&lt;i&gt;"
    rows = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pydict() for d in chart.datasets}
    assert any(s.startswith("<script>alert('x')</script>") for s in rows["corpus"]["sentence"])

    at.session_state["keep.map.dims"] = 3  # the 3D map is plotly, which renders hover labels and legends as HTML
    at.run()
    assert_ok(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    hovers = " ".join(str(c[1]) for trace in spec["data"] for c in trace.get("customdata", []))
    legend = " ".join(trace.get("name", "") for trace in spec["data"])
    assert (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in hovers
        or "&lt;script&gt;alert('x')&lt;/script&gt;" in hovers
    )
    assert "<script>" not in hovers and "<img" not in hovers and "<b>" not in hovers
    assert "&lt;i&gt;pos&lt;/i&gt;" in legend and "<i>" not in legend


# ---------------------------------------------------------------- corpora that load but cannot (usefully) train


@pytest.mark.parametrize("n", [1, 10, 21])
def test_a_corpus_too_small_to_train_says_why_and_the_minimum(app_env, n):
    at = open_page("app_pages/data.py")
    upload(at, "few.txt", lines(make_sentences(n)).encode())
    assert_ok(at)
    assert f"This corpus has {n} sentence" in messages(at, "warning") and "at least 22" in messages(at, "warning")
    at.switch_page("app_pages/train.py").run()
    assert "at least 22: 20 to learn from, plus 10% held out to validate" in messages(at, "warning")
    at.button(key="train.start").click().run()
    assert_ok(at)
    assert f"This corpus has {n} sentence" in messages(at, "error") and "at least 22" in messages(at, "error")
    assert at.session_state["job"] is None  # refused before a job (and a training slot) is taken


def test_the_smallest_trainable_corpus_starts_training(app_env):
    at = open_page("app_pages/data.py")
    upload(at, "just-enough.txt", lines(make_sentences(22)).encode())
    assert "training needs" not in messages(at, "warning")
    at.switch_page("app_pages/train.py").run()
    for key, value in {
        "embed_dim": 16,
        "hidden_dim": 32,
        "latent_dim": 2,
        "vocab_size": 100,
        "epochs": 1,
        "valid_every": 0,
    }.items():
        at.session_state[f"keep.train.{key}"] = value
    at.button(key="train.start").click().run()
    assert_ok(at)
    job = at.session_state["job"]
    assert job.join(120) and job.status == "done", job.error


@pytest.fixture
def word_demo(app_env, monkeypatch, trained):
    """A word-level demo model: the bundled one reads bytes (BPE), so no word of it is ever unknown."""
    monkeypatch.setenv("TEXTVAE_DEMO_MODEL", str(trained[1]))


def test_a_corpus_of_words_the_model_does_not_know_gets_a_warning(word_demo):
    nonsense = [f"Zorblax quimvet {i} flurnish tragwoz plimbet." for i in range(60)]
    at = open_page("app_pages/data.py")
    upload(at, "nonsense.txt", lines(nonsense).encode())
    assert_ok(at)
    shown = messages(at, "warning")
    assert (
        re.search(r"\d+% of this corpus's tokens are unknown to the active model", shown)
        and "Train a model on this corpus" in shown
    )
    assert float(at.metric[5].value.rstrip("%")) >= 50
    some_strange = [f"{s[:-1]} with zorblax." for s in make_sentences(60, seed=2)]  # a few words the model lacks
    upload(at, "some.txt", lines(some_strange).encode())
    assert "unknown to the active model" not in messages(at, "warning")
    assert re.search(r"\d+% of these tokens are unknown to the active model .*reads every one", messages(at, "caption"))
    known = make_sentences(60, seed=1)  # words the word-level model knows
    upload(at, "known.txt", lines(known).encode())
    assert "unknown to the active model" not in messages(at, "warning") + messages(at, "caption")


# ---------------------------------------------------------------- typed sentences

TYPED = {  # page -> (sentence widget key, index of the form's submit button among the page's buttons, field label)
    "interpolate": ("app_pages/interpolate.py", "keep.interp.a", 0, "From"),
    "reconstruct": ("app_pages/reconstruct.py", "keep.recon.sentence", 0, "Sentence"),
    "variations": ("app_pages/sample.py", "keep.var.sentence", 1, "Sentence"),
    "arithmetic": ("app_pages/sample.py", "keep.arith.b", 2, "minus B"),
}
LONG = " ".join(["A man plays the guitar on a stage"] * 250)  # 2,000 words


def type_and_submit(where: str, text: str) -> AppTest:
    page, key, button, _ = TYPED[where]
    at = open_page(page)
    at.text_input(key=key).set_value(text)
    at.button[button].click().run()
    assert_ok(at)
    return at


@pytest.mark.parametrize("where", list(TYPED))
@pytest.mark.parametrize("text", ["", "   \t "], ids=["empty", "blank"])
def test_an_empty_typed_sentence_is_an_error_naming_the_field(app_env, where, text):
    at = type_and_submit(where, text)
    assert f"{TYPED[where][3]} is empty: type a sentence" in messages(at, "error")


@pytest.mark.parametrize("where", list(TYPED))
def test_a_2000_word_sentence_is_cut_to_the_model_length_with_a_warning(app_env, where):
    at = type_and_submit(
        where, LONG
    )  # the text box keeps its first 500 characters, the model reads its first max_length tokens
    found = re.search(
        rf"{TYPED[where][3]} has (\d+) tokens; this model reads only the first (\d+), the rest is ignored",
        messages(at, "warning"),
    )
    assert found and int(found[1]) > int(found[2]), messages(at, "warning")
    assert not at.error
    assert at.dataframe or at.table or at.text  # and there is a result


@pytest.mark.parametrize("where", list(TYPED))
def test_a_sentence_of_unknown_words_gets_a_warning(word_demo, where):
    at = type_and_submit(where, "Zorblax quimvet flurnish tragwoz plimbet")
    assert f"None of the words in {TYPED[where][3]} are in this model's vocabulary" in messages(at, "warning")
    assert not at.error


def test_a_sentence_placed_on_the_map_is_checked_too(word_demo):
    at = open_page("app_pages/latent_space.py")
    at.text_input(key="keep.map.typed").set_value("Zorblax quimvet flurnish").run()
    assert_ok(at)
    assert "None of the words in Place a sentence on the map" in messages(at, "warning")


def test_an_ordinary_sentence_gets_no_warning(app_env):
    at = type_and_submit("interpolate", "A man is playing a guitar on stage.")
    assert not at.warning and not at.error


# ---------------------------------------------------------------- training settings at and past their bounds


def numeric_settings():
    return [f for f in TRAINING_FIELDS if f.kind in ("int", "float")]


def set_all(at: AppTest, pick) -> None:
    for s in numeric_settings():
        value = pick(s)
        at.session_state[f"keep.train.{s.name}"] = int(value) if s.kind == "int" else float(value)


def test_every_setting_at_its_lowest_value_trains(app_env):
    at = open_page("app_pages/data.py")
    upload(at, "sentences.txt", GOOD)
    at.switch_page("app_pages/train.py").run()
    set_all(at, lambda s: s.low)
    at.run()
    assert not at.warning, messages(at, "warning")  # at the bound is allowed: nothing was changed
    at.button(key="train.start").click().run()
    assert_ok(at)
    assert not at.error, messages(at, "error")
    job = at.session_state["job"]
    assert job.join(180) and job.status == "done", job.error


def test_every_setting_at_its_highest_value_is_refused_as_too_big(app_env):
    at = open_page("app_pages/train.py")
    set_all(at, lambda f: field_bounds(f, server_limits())[1])
    at.run()
    assert not at.warning, messages(at, "warning")
    at.button(key="train.start").click().run()
    assert_ok(at)
    assert re.search(
        r"This model would have up to [\d,]+ parameters; this server allows 20,000,000\. Lower the hidden size",
        messages(at, "error"),
    )
    assert at.session_state["job"] is None


@pytest.mark.parametrize(
    ("name", "value", "clamped"),
    [
        ("hidden_dim", 5000, 2048),
        ("embed_dim", 0, 16),
        ("latent_dim", -3, 2),
        ("epochs", 10**9, 1000),
        ("batch_size", 1, 4),
        ("lr", 0.0, 1e-5),
        ("lr", 3.0, 0.1),
        ("word_dropout", 0.95, 0.9),
        ("max_minutes", 10_000.0, 30.0),
        ("vocab_size", 10**6, 50_000),
        ("free_bits", -1.0, 0.0),
        ("lr", float("nan"), 2e-3),
        ("max_length", float("inf"), 48),
    ],
)
def test_a_setting_past_its_bound_is_brought_back_with_a_warning(app_env, name, value, clamped):
    at = open_page("app_pages/train.py")
    at.switch_page("app_pages/data.py").run()
    # Set where the widget is not shown: the kept value reaches the Train page as a stale value or a
    # preset would (a value set while the widget is shown is reset by Streamlit before the page runs).
    at.session_state[f"keep.train.{name}"] = value
    at.switch_page("app_pages/train.py").run()
    assert_ok(at)
    label = next(f.label for f in TRAINING_FIELDS if f.name == name)
    shown = messages(at, "warning")
    assert (
        f"{label}: " in shown and "is outside the allowed range" in shown and f"it is set to {clamped:,g}" in shown
    ), shown
    assert at.session_state[f"keep.train.{name}"] == clamped
    assert at.number_input(key=f"keep.train.{name}").value == clamped  # the widget shows the same value


def test_a_preset_over_the_server_vocabulary_limit_is_capped_with_a_warning(app_env, monkeypatch):
    monkeypatch.setenv("TEXTVAE_MAX_VOCAB", "1000")
    at = open_page("app_pages/train.py")
    assert (
        "Vocabulary size: 8,000 is outside the allowed range 100 to 1,000 (this server's limit); it is set to 1,000."
        in messages(at, "warning")
    )
    assert at.number_input(key="keep.train.vocab_size").value == 1000
    at.run()
    assert not at.warning  # said once


# ---------------------------------------------------------------- model bundles


@pytest.fixture(scope="module")
def bundle_files(tiny_bundle_dir) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in tiny_bundle_dir.iterdir()}


def flip_weights(files: dict[str, bytes]) -> bytes:
    """A stored (uncompressed) zip with bytes flipped inside model.safetensors: the CRC no longer matches."""
    data = bytearray(make_zip(files, zipfile.ZIP_STORED))
    at = bytes(data).index(files["model.safetensors"][-64:])
    data[at : at + 16] = bytes(b ^ 0xFF for b in data[at : at + 16])
    return bytes(data)


def zip_bomb(files: dict[str, bytes]) -> bytes:
    return make_zip({**files, "model.safetensors": bytes(40 * MB)})  # 40 MB of zeros in ~40 kB


def torch_checkpoint(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    torch.save({"state_dict": {"w": torch.zeros(3)}}, buffer)
    return buffer.getvalue()


def wrong_shapes(files: dict[str, bytes]) -> bytes:
    return make_zip(with_config(files, hidden_dim=32))


BAD_BUNDLES = {
    "not a zip": (lambda f: b"not a zip at all", ["not a valid zip"]),
    "truncated zip": (lambda f: make_zip(f)[: len(make_zip(f)) // 2], ["not a valid zip", "truncated"]),
    "corrupted zip": (flip_weights, ["model.safetensors in the zip is corrupted"]),
    "../ path in the zip": (
        lambda f: make_zip({**{k: v for k, v in f.items() if k != "config.json"}, "../config.json": f["config.json"]}),
        ["'../config.json' points outside the bundle folder"],
    ),
    "absolute path in the zip": (
        lambda f: make_zip({**f, "/etc/cron.d/config.json": f["config.json"]}),
        ["outside the bundle folder"],
    ),
    "zip bomb": (zip_bomb, ["zip bomb"]),
    "raw pickle": (lambda f: b"\x80\x04\x95" + bytes(40), ["pickle"]),
    "torch.save .pt file": (torch_checkpoint, ["pickle"]),
    ".pt file inside the zip": (
        lambda f: make_zip({**f, "model.pt": b"\x80\x04K\x01."}),
        ["model.pt", "pickle checkpoint"],
    ),
    "safetensors shapes not matching config": (wrong_shapes, ["has shape", "config.json implies"]),
    "absurd config sizes": (
        lambda f: make_zip(with_config(f, hidden_dim=10**6, vocab_size=10**9)),
        ["Model setting vocab_size=1000000000 is outside 1..200000"],
    ),
    "tokenizer size disagreeing with the model": (
        lambda f: make_zip(with_config(f, vocab_size=150)),
        ["tokenizer has", "model expects 150"],
    ),
    "unexpected file": (lambda f: make_zip({**f, "run.sh": b"rm -rf /"}), ["Unexpected file 'run.sh'"]),
    "missing weights": (
        lambda f: make_zip({k: v for k, v in f.items() if k != "model.safetensors"}),
        ["missing model.safetensors"],
    ),
    "broken config.json": (lambda f: make_zip({**f, "config.json": b"{not json"}), ["config.json is not valid JSON"]),
}


@pytest.mark.parametrize("case", list(BAD_BUNDLES))
def test_a_bad_bundle_is_refused_naming_the_problem_and_the_active_model_stays(
    app_env, tiny_bundle_dir, bundle_files, case, monkeypatch
):
    import pickle

    build, words = BAD_BUNDLES[case]
    at = open_page("app_pages/models.py")
    at.file_uploader(key="models.upload").set_value(
        ("good.zip", bundle_to_zip(tiny_bundle_dir), "application/zip")
    ).run()
    good = at.session_state["model"]
    assert good is not None and at.session_state["model_origin"] == "uploaded"

    def never(*args, **kwargs):
        raise AssertionError("an upload was unpickled")

    monkeypatch.setattr(pickle, "loads", never)
    monkeypatch.setattr(pickle, "Unpickler", never)
    monkeypatch.setattr(torch, "load", never)
    at.file_uploader(key="models.upload").set_value(("bad.zip", build(bundle_files), "application/zip")).run()
    assert_ok(at)
    shown = messages(at, "error")
    assert shown.startswith("bad.zip: ")
    for word in words:
        assert word in shown, (case, shown)
    assert at.session_state["model"] is good and at.session_state["model_origin"] == "uploaded"


# ---------------------------------------------------------------- a reload (a new session) with the URL's token


def close_tab(token: str) -> None:
    """What Streamlit's release of a closed tab's session does to its token's record (AppTest runs
    share one session-scoped cache, so the release itself is tested below with two holders)."""
    record = resume.resumable(token)
    record.live, record.left_at = 0, time.monotonic()


def reopen(token: str) -> AppTest:
    """What a browser reload does: a new session, with the old URL's ?s= token."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["s"] = token
    return at.run()


def test_a_reload_brings_back_the_corpus_and_model_only_when_the_old_session_is_gone(app_env, tiny_bundle_dir):
    first = with_good_corpus()
    first.switch_page("app_pages/models.py").run()
    first.file_uploader(key="models.upload").set_value(
        ("mine.zip", bundle_to_zip(tiny_bundle_dir), "application/zip")
    ).run()
    token = first.session_state["session_token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token) and first.query_params["s"] in (token, [token])

    duplicate = reopen(
        token
    )  # the first session is still open (after a 2 s wait for it to close): a copied link starts afresh
    assert_ok(duplicate)
    assert duplicate.session_state["corpus"] is None and duplicate.session_state["model"] is None
    assert duplicate.session_state["session_token"] != token

    close_tab(token)
    reloaded = reopen(token)
    assert_ok(reloaded)
    assert reloaded.session_state["session_token"] == token
    assert reloaded.session_state["corpus"] is first.session_state["corpus"]
    assert (
        reloaded.session_state["model"] is first.session_state["model"]
        and reloaded.session_state["model_origin"] == "uploaded"
    )


def test_a_token_from_another_browser_an_expired_or_a_made_up_one_opens_a_fresh_session(app_env, monkeypatch):
    first = with_good_corpus()
    token = first.session_state["session_token"]
    close_tab(token)
    resume.resumable(token).browser = "another browser's cookie"
    assert reopen(token).session_state["corpus"] is None

    resume.resumable(token).browser = None
    monkeypatch.setenv("TEXTVAE_RESUME_S", "0")
    assert reopen(token).session_state["corpus"] is None and resume.resumable(token) is None

    for made_up in ("A" * 22, "../../etc", "x" * 5000):
        at = reopen(made_up)
        assert_ok(at)
        assert at.session_state["corpus"] is None and at.session_state["session_token"] != made_up


def test_the_old_tab_closing_after_its_reload_took_over_does_not_stop_the_training(app_env):
    class Job:
        active, orphaned, name = True, None, "fake"

        def orphan(self, grace_s):
            self.orphaned = grace_s

        def adopt(self):
            self.orphaned = None

    job, old, new = Job(), resume.open_holder(), resume.open_holder()
    for holder in (old, new):
        holder.watch(job)
    resume.release_holder(old)  # the reloaded tab holds the job: it keeps training
    assert job.orphaned is None
    resume.release_holder(new)  # now no tab holds it: it stops after the grace period
    assert job.orphaned == 120.0


def test_a_bundle_with_malformed_metrics_loads_and_every_page_works(app_env, bundle_files):
    """Wrong types in metrics.json (a hand-edited or foreign bundle) must not break a page, then or after."""
    bad = json.dumps({"valid": "oops", "history": [{"type": "step", "loss": "x"}], "training": {"epochs": "ten"}})
    at = open_page("app_pages/models.py")
    upload = make_zip({**bundle_files, "metrics.json": bad.encode()})
    at.file_uploader(key="models.upload").set_value(("odd.zip", upload, "application/zip")).run()
    assert_ok(at)
    assert at.session_state["model_origin"] == "uploaded"
    for page in ("models", "train", "latent_space", "interpolate", "sample", "reconstruct"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert_ok(at)


@pytest.mark.parametrize(
    ("name", "shown"),
    [("notes\x07.txt", "notes.txt"), ("report\u202etxt.exe.txt", "reporttxt.exe.txt"), ("\u200f\x1b.txt", ".txt")],
)
def test_an_upload_name_with_hidden_characters_is_shown_without_them(app_env, name, shown):
    at = open_page("app_pages/data.py")
    upload(at, name, "\n".join(make_sentences(30)).encode(), "text/plain")
    assert_ok(at)
    assert at.session_state["corpus"].name == shown
