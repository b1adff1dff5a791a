"""The Steer page: the demo model steered along the bundled sentiment labels, or along the active corpus's own."""

from __future__ import annotations

import csv
import io

from tests.app.apptest import assert_ok, count, let_the_warm_up_finish, open_page, upload
from tests.helpers import make_sentences


def moods_csv() -> bytes:
    """A table of generated sentences labelled by when they happen: "night" (ending "at night.") or "day"."""
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["text", "label"])
    writer.writerows((s, "night" if s.endswith("at night.") else "day") for s in make_sentences(200))
    return rows.getvalue().encode()


def test_the_slider_moves_the_sentence_towards_the_other_label(app_env):
    at = open_page("app_pages/steer.py")
    assert_ok(at)
    assert any("bundled sentiment sentences" in i.value for i in at.info)  # the demo corpus has no labels
    assert at.selectbox(key="keep.steer.from").value == "negative"
    assert at.selectbox(key="keep.steer.to").value == "positive"
    assert at.text_input(key="keep.steer.sentence").value == "The food was cold and the waiter was rude."
    shown = []
    for amount in (0.0, 0.5, 1.0):
        at.select_slider(key="keep.steer.amount").set_value(amount).run()
        assert_ok(at)
        shown.append(at.header[0].value)
        assert f"{amount:.0%} of the way" in at.caption[1].value
    assert all(shown) and len(at.table[0].value) == 11  # every step of the path, 0% to 100%
    at.selectbox(key="keep.steer.from").set_value("positive").run()  # the other way round
    assert_ok(at)
    assert at.selectbox(key="keep.steer.to").value == "negative"


def test_an_active_corpus_with_labels_gives_its_own_directions(app_env):
    at = open_page("app_pages/data.py")
    upload(at, "moods.csv", moods_csv(), "text/csv")
    at.switch_page("app_pages/steer.py").run()
    assert_ok(at)
    assert not at.info and set(at.selectbox(key="keep.steer.from").options) == {"day", "night"}
    start = at.text_input(key="keep.steer.sentence").value
    assert start in make_sentences(200) and not start.endswith("at night.")  # a sentence labelled "day"
    assert at.header[0].value


def test_the_map_can_use_the_direction_as_its_x_axis_and_names_its_clusters(app_env):
    at = open_page("app_pages/data.py")
    upload(at, "moods.csv", moods_csv(), "text/csv")
    at.switch_page("app_pages/latent_space.py").run()
    at.button_group(key="keep.map.method").set_value("axis").run()
    assert_ok(at)
    assert any("x: from the average “day” code (0) to the average “night” code (1)" in c.value for c in at.caption)
    summary = next(t.value for t in at.table if "top words" in t.value.columns)
    assert len(summary) == 8 and summary["top words"].str.len().gt(0).all()
    vocabulary = {word.strip(".").lower() for sentence in make_sentences(200) for word in sentence.split()}
    assert all(word in vocabulary for name in summary["top words"] for word in name.split(", "))
    assert summary["top words"].nunique() == 8  # each cluster its own name


def test_the_warm_up_computes_what_the_steer_page_first_shows(app_env, monkeypatch):
    from studio import maps, models, steering
    from textvae import latent

    let_the_warm_up_finish()
    maps._encode.clear()
    steering._direction.clear()
    steering._path.clear()
    encodings = []
    encode = latent.encode_corpus
    monkeypatch.setattr(latent, "encode_corpus", lambda *a, **k: count(encodings, "encode") or encode(*a, **k))
    steering.warm(models.demo_model_id(), models.demo_bundle())  # as the server's warm-up thread does
    assert encodings == ["encode"]
    at = open_page("app_pages/steer.py")
    assert_ok(at)
    assert encodings == ["encode"] and at.header[0].value  # the page found the codes, the direction and the path cached
