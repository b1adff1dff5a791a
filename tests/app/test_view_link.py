"""A link to a view of the latent map: the address follows the controls, and opening it restores the view."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.apptest import APP, assert_ok, open_page


def value(at: AppTest, name: str) -> str | None:
    found = at.query_params.get(name)
    return found[0] if isinstance(found, list) else found


def test_the_address_follows_the_map_controls(app_env):
    at = open_page("app_pages/latent_space.py")
    at.session_state["keep.map.dims"] = 3
    at.session_state["keep.map.color"] = "length"
    at.text_input(key="keep.map.search").set_value("dog").run()
    assert_ok(at)
    assert (value(at, "dims"), value(at, "color"), value(at, "search")) == ("3", "length", "dog")
    assert value(at, "method") == "pca" and value(at, "corpus") == "snli-sentences.txt"  # the bundled demo corpus
    assert any("address is a link to this view" in c.value for c in at.caption)


def test_opening_a_link_restores_the_view_and_refuses_values_out_of_range(app_env):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("app_pages/latent_space.py")
    for name, given in {"dims": "3", "color": "length", "k": "999", "search": "two dogs", "method": "bogus"}.items():
        at.query_params[name] = given
    at.run()
    assert_ok(at)
    state = at.session_state
    assert state["keep.map.dims"] == 3 and state["keep.map.color"] == "length"
    assert state["keep.map.search"] == "two dogs"
    assert state["keep.map.k"] == 8 and state["keep.map.method"] == "pca"  # out of range / unknown: ignored
    at.session_state["keep.map.dims"] = 2  # the person changes the view: the link does not pull it back
    at.run()
    assert at.session_state["keep.map.dims"] == 2 and value(at, "dims") == "2"


def test_a_link_opens_the_bundled_corpus_it_names(app_env):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("app_pages/latent_space.py")
    at.query_params["corpus"] = "sentiment-labelled.csv"
    at.query_params["color"] = "label"
    at.run()
    assert_ok(at)
    assert at.session_state["corpus"].name == "sentiment-labelled.csv" and at.session_state["corpus"].labels
    assert at.session_state["keep.map.color"] == "label"


def test_a_link_names_a_saved_model_and_opens_it_in_a_new_session(app_env, trained):
    import shutil

    _, directory, _ = trained
    saved = app_env / "models" / "alice-model"
    shutil.copytree(directory, saved)
    first = AppTest.from_file(APP, default_timeout=120)
    first.run()
    first.switch_page("app_pages/latent_space.py")
    first.query_params["model"] = "alice-model"
    first.run()
    assert_ok(first)
    assert str(first.session_state["model"].path).endswith("alice-model") and value(first, "model") == "alice-model"
    other = AppTest.from_file(APP, default_timeout=120)  # a new session: the demo model, until the link says more
    other.run()
    other.switch_page("app_pages/latent_space.py")
    other.query_params["model"] = "../alice-model"  # not a folder of the models folder: ignored
    other.run()
    assert_ok(other)
    assert other.session_state["model"] is None and value(other, "model") is None
