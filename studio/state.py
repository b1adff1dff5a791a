"""Session state: the per-session defaults, and widget values that survive a change of page."""

from __future__ import annotations

import streamlit as st

from studio import resume
from studio.models import DEMO_ID

# Widgets whose key starts with this keep their value when the user visits another page.
KEEP = "keep."


def init_state() -> None:
    """Per-session defaults (setdefault: never overwrite what the user did), or after a reload what the session had."""
    ss = st.session_state
    resume.session_token()
    ss.setdefault("model", None)  # a ModelBundle the user trained/uploaded/loaded; None means the demo model
    ss.setdefault("model_id", DEMO_ID)
    ss.setdefault("model_origin", "bundled demo")
    ss.setdefault("corpus", None)  # the Corpus chosen on the Data page; None means the demo corpus
    ss.setdefault("corpus_id", None)
    ss.setdefault("job", None)  # the session's TrainingJob
    ss.setdefault("job_collected", True)  # whether the finished job's model was made active
    ss.setdefault("notice", None)  # a one-off message shown at the top of the next page run
    ss.setdefault("own_models", set())  # model folders this session saved or shared (studio.ownership)
    _keep_widget_state()
    if ss.job is not None and ss.job.active:
        resume.session_holder().watch(ss.job)
    resume.remember()


def _keep_widget_state() -> None:
    """Streamlit drops a widget's value when its page is not shown; re-assigning keeps it."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(KEEP):
            st.session_state[key] = st.session_state[key]


def keep(key: str, default) -> str:
    """A widget key whose value survives page changes, starting at ``default``."""
    full = KEEP + key
    st.session_state.setdefault(full, default)
    return full


def keep_choice(key: str, options: list, default) -> str:
    """A kept widget key for a choice among ``options``: back to ``default`` when its value is no longer one."""
    full = keep(key, default)
    if st.session_state[full] not in options:
        st.session_state[full] = default
    return full
