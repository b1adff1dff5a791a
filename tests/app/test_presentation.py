"""Presentation mode: one switch (or ?present=1 in a link) for large type on a projector or a phone."""

from __future__ import annotations

from studio.presentation import KEY, QUERY
from tests.app.apptest import APP, assert_ok, open_page


def styles(at) -> str:
    return "".join(h.proto.body for h in at.get("html"))


def test_the_switch_enlarges_the_page_and_puts_the_mode_in_the_link(app_env):
    at = open_page("app_pages/home.py")
    assert "font-size: 21px" not in styles(at) and ".katex-display" in styles(at)  # equations never cut off
    at.toggle(key=KEY).set_value(True).run()
    assert_ok(at)
    assert "font-size: 21px" in styles(at)
    assert at.query_params.get(QUERY) in ("1", ["1"])
    at.switch_page("app_pages/latent_space.py").run()
    assert_ok(at)
    assert "font-size: 21px" in styles(at)  # the mode stays on from page to page
    at.toggle(key=KEY).set_value(False).run()
    assert "font-size: 21px" not in styles(at) and QUERY not in at.query_params


def test_a_link_with_present_1_opens_presenting(app_env):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params[QUERY] = "1"
    at.run()
    assert_ok(at)
    assert at.session_state[KEY] and "font-size: 21px" in styles(at)
