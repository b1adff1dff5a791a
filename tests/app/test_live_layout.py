"""The polling fragments draw the same layout in every run, whatever the job's state.

Under load a poll is cut short by the next one, and Streamlit's frontend then loses track of a fragment whose
number of elements changed between runs ("Bad delta path index"): the page closes its websocket for good. The
30-session load benchmark saw it in every run until the Train page's panel kept one layout."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.apptest import assert_ok


def _panel_script(state: str, sidebar: bool = False) -> None:
    import numpy as np
    import streamlit as st

    from studio.components import sidebar_card
    from studio.training_panel import training_panel
    from textvae.jobs import JobStatus

    start = {"type": "start", "total_steps": 100, "n_train": 90, "n_valid": 10, "parameters": 1000}
    start |= {"device": "cpu", "threads": 1, "seed": 0}
    step = {"type": "step", "step": 10, "epoch": 1, "progress": 0.1, "eta_s": 9.0, "tokens_per_s": 500.0}
    step |= {"recon": 40.0, "kl": 2.0, "beta": 0.5, "threads": 2}  # the server gave the lone training both cores
    valid = {"type": "valid", "step": 10, "elbo": 45.0, "au": 3, "kl_per_dim": [0.5, 0.0, 1.0, 0.2], "best": True}
    rng = np.random.default_rng(0)
    latent = {"type": "latent", "step": 10, "means": rng.normal(size=(12, 4)).tolist(), "sentences": ["a b c"] * 12}
    end = {"type": "end", "steps": 100, "elapsed_s": 12.0}
    events, status = {
        "queued": ([], JobStatus.QUEUED),
        "preparing": ([], JobStatus.RUNNING),
        "first steps": ([start, step], JobStatus.RUNNING),
        "validated": ([start, step, valid, latent], JobStatus.RUNNING),
        "failed": ([start], JobStatus.FAILED),
        "stopped": ([start, step, valid, latent, end], JobStatus.STOPPED),
    }.get(state, ([], JobStatus.QUEUED))

    class Job:
        error, result, on_ray, queue_ahead, stop_reason = "the worker ended", None, False, 0, ""
        slots = type("Slots", (), {"running": 2, "capacity": 2})()
        active = status in (JobStatus.QUEUED, JobStatus.RUNNING)
        finished = not active

        def __init__(self) -> None:
            self.status = status

        def snapshot(self) -> list[dict]:
            return list(events)

        def last(self, kind: str) -> dict | None:
            return next((e for e in reversed(events) if e["type"] == kind), None)

    st.session_state.job = None if state == "no job" else Job()
    if sidebar:
        sidebar_card()
    else:
        training_panel()


def _shape(node) -> tuple | str:
    """Blocks as the tuple of their children's shapes; every element the same leaf, whatever it shows."""
    children = getattr(node, "children", None)
    if children is None:
        return "element"
    return tuple(_shape(child) for _, child in sorted(children.items()))


def _panel_shape(state: str, sidebar: bool = False) -> tuple | str:
    at = AppTest.from_function(_panel_script, args=(state, sidebar), default_timeout=60)
    at.run()
    assert_ok(at)
    return _shape(at.sidebar if sidebar else at.main)


@pytest.mark.parametrize("state", ["preparing", "first steps", "validated", "failed", "stopped"])
def test_the_train_panel_keeps_one_layout(app_env, state):
    assert _panel_shape(state) == _panel_shape("queued")


@pytest.mark.parametrize("state", ["queued", "preparing", "first steps", "stopped"])
def test_the_sidebar_card_keeps_one_layout(app_env, state):
    assert _panel_shape(state, sidebar=True) == _panel_shape("no job", sidebar=True)


def test_the_caption_names_the_threads_the_latest_steps_ran_with(app_env):
    at = AppTest.from_function(_panel_script, args=("first steps",), default_timeout=60)
    at.run()
    assert_ok(at)
    assert any("cpu with 2 threads" in caption.value for caption in at.caption), [c.value for c in at.caption]
