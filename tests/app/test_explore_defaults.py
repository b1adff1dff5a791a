"""The Explore pages start from the active corpus's own sentences (never SNLI examples unless SNLI is active),
and the Train page offers fine-tuning the base model, explained, or training from scratch."""

from __future__ import annotations

import pytest

from studio.examples import DEMO, pick_examples
from tests.app.apptest import assert_ok, open_page, upload
from tests.helpers import make_sentences

OWN = make_sentences(200, seed=11)


def with_own_corpus(page: str):
    at = open_page("app_pages/data.py")
    upload(at, "own.txt", ("\n".join(OWN) + "\n").encode())
    return at.switch_page(page).run()


@pytest.mark.parametrize(
    ("page", "fields"),
    [
        ("app_pages/interpolate.py", ["interp.a", "interp.b"]),
        ("app_pages/reconstruct.py", ["recon.sentence"]),
        ("app_pages/sample.py", ["var.sentence", "arith.a", "arith.b", "arith.c"]),
    ],
)
def test_sentence_fields_start_from_the_active_corpus(app_env, page, fields):
    at = with_own_corpus(page)
    assert_ok(at)
    values = [at.text_input(key=f"keep.{field}").value for field in fields]
    assert all(value in OWN for value in values), values
    assert len(set(values)) == len(values)  # different sentences, for different meanings


def test_the_demo_corpus_keeps_its_curated_examples(app_env):
    at = open_page("app_pages/interpolate.py")
    assert at.text_input(key="keep.interp.a").value == DEMO["interp.a"]


def test_a_sentence_the_person_typed_stays_when_the_corpus_changes(app_env):
    at = open_page("app_pages/interpolate.py")
    at.text_input(key="keep.interp.a").set_value("My own sentence.")
    at.button[0].click().run()  # the form's submit button: only then is a typed value the field's
    at.switch_page("app_pages/data.py").run()
    upload(at, "own.txt", ("\n".join(OWN) + "\n").encode())
    at.switch_page("app_pages/interpolate.py").run()
    assert at.text_input(key="keep.interp.a").value == "My own sentence."
    assert at.text_input(key="keep.interp.b").value in OWN


def test_examples_are_readable_sentences_spread_over_the_corpus():
    sentences = [f"Short {i}." for i in range(50)] + [
        f"This is a readable sentence number {i} here." for i in range(90)
    ]
    picked = pick_examples(sentences, 7)
    assert len(picked) == 7 and all(s.startswith("This is") for s in picked)
    assert picked[0] != picked[-1] and pick_examples(["One.", "Two."], 7) == ["One.", "Two."]


def test_the_train_page_explains_base_versus_scratch_and_trains_from_scratch_without_a_base(app_env):
    at = open_page("app_pages/train.py")
    assert_ok(at)
    toggle = at.toggle(key="keep.train.from_base")
    assert toggle.disabled  # the app_env has no base model
    assert any("From scratch" in c.value for c in at.caption)
    assert any("No usable base model" in i.value for i in at.info)


def test_the_train_page_fine_tunes_the_base_when_there_is_one(app_env, monkeypatch, trained):
    _, directory, _ = trained
    monkeypatch.setenv("TEXTVAE_BASE_MODEL", str(directory))
    at = with_own_corpus("app_pages/train.py")
    assert_ok(at)
    assert not at.toggle(key="keep.train.from_base").disabled and at.toggle(key="keep.train.from_base").value
    assert any("Fine-tunes" in c.value for c in at.caption)
