"""Surviving a reload: each session's URL token (?s=), what is kept under it, and the jobs a session holds.

A browser reload starts a new Streamlit session with an empty session state. So that a reload
loses neither the corpus, the model nor a running training, every session gets an unguessable
token in the URL (?s=..., 128 random bits) and the server keeps those few things under it.
A token brings them back only to the browser that got it (bound to the per-browser secret of
Streamlit's XSRF cookie), only when no open tab holds it (a duplicated tab starts afresh), and
only for TEXTVAE_RESUME_S seconds (default 600) after its last tab closed. An unknown, expired
or foreign token is replaced by a new one: a copied link never opens someone else's session.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from studio.runtime import log

if TYPE_CHECKING:
    from textvae.jobs import TrainingJob

SESSION_PARAM = "s"
RESUMABLE = ("corpus", "corpus_id", "model", "model_id", "model_origin", "job", "job_collected", "own_models")
MAX_RESUMABLE = 256  # closed sessions kept at most (the oldest go first)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16)


@dataclass
class Resumable:
    """What a token brings back, and who may claim it."""

    browser: str | None  # browser_id() of the browser it belongs to
    values: dict
    live: int = 0  # open sessions holding the token
    left_at: float = 0.0  # time.monotonic() when the last one closed


class SessionJobs:
    """The jobs one browser session started. Streamlit releases it when the session disconnects."""

    def __init__(self) -> None:
        self.jobs: list[TrainingJob] = []
        self.token: str | None = None  # the session's token (see _claim_session)

    def watch(self, job: TrainingJob) -> None:
        job.adopt()  # after a reconnect: the session is back, keep training
        if job not in self.jobs:
            self.jobs.append(job)


_resume_lock = threading.Lock()
_resumable: dict[str, Resumable] = {}
_live_holders: set[SessionJobs] = set()  # the SessionJobs of open sessions


def resumable(token: str) -> Resumable | None:
    """What the server keeps under a token (None: nothing, or forgotten)."""
    with _resume_lock:
        return _resumable.get(token)


def open_holder() -> SessionJobs:
    """A new session's holder, counted as open until release_holder()."""
    holder = SessionJobs()
    with _resume_lock:
        _live_holders.add(holder)
    return holder


def release_holder(holder: SessionJobs) -> None:
    """A session disconnected or shut down: its token's record notes it, and its running jobs become orphans.

    Called by Streamlit on a non-script thread. A short grace period lets a reconnecting or reloaded
    browser adopt its job again."""
    grace = float(os.environ.get("TEXTVAE_ORPHAN_GRACE_S", "120"))
    with _resume_lock:
        _live_holders.discard(holder)
        rec = _resumable.get(holder.token) if holder.token else None
        if rec is not None:
            rec.live, rec.left_at = max(0, rec.live - 1), time.monotonic()
        held_elsewhere = {id(job) for other in _live_holders for job in other.jobs}  # a reload that got here first
    for job in holder.jobs:
        if job.active and id(job) not in held_elsewhere:
            log.info("A session ended: its training %r stops in %.0f s unless the browser reconnects.", job.name, grace)
            job.orphan(grace_s=grace)


@st.cache_resource(scope="session", on_release=release_holder, show_spinner=False)
def session_holder() -> SessionJobs:
    """This session's holder (one per browser session)."""
    return open_holder()


def _resume_seconds() -> float:
    return float(os.environ.get("TEXTVAE_RESUME_S", "600"))


def browser_id() -> str | None:
    """A hash of the random secret in Streamlit's XSRF cookie ("2|mask|masked secret|time", re-masked on
    every response): the same across reloads and tabs of one browser, different in another. None without it."""
    try:
        raw = st.context.cookies.get("_streamlit_xsrf")
    except Exception:  # no cookies outside a browser session (AppTest, bare mode)
        return None
    if not isinstance(raw, str) or not raw.strip("\"'"):
        return None
    raw = raw.strip("\"'")
    parts = raw.split("|")
    try:
        if len(parts) == 4 and parts[0] == "2":
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
            secret = bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked))
        else:
            secret = raw.encode()
    except ValueError:
        secret = raw.encode()
    return hashlib.sha256(secret).hexdigest()


def _expire_resumable(now: float) -> None:
    """Forget closed sessions older than TEXTVAE_RESUME_S, and the oldest beyond MAX_RESUMABLE. Under _resume_lock."""
    closed = sorted((rec.left_at, token) for token, rec in _resumable.items() if rec.live <= 0)
    limit = _resume_seconds()
    for i, (left_at, token) in enumerate(closed):
        if now - left_at > limit or len(closed) - i > MAX_RESUMABLE:
            del _resumable[token]


def _claim_session(holder: SessionJobs) -> None:
    """This session's token: the one in the URL when this browser may resume it (its state is restored),
    else a new one."""
    import secrets

    ss = st.session_state
    wanted, browser = st.query_params.get(SESSION_PARAM), browser_id()
    deadline = time.monotonic() + 2.0  # on a reload the old tab's session may take a moment to close
    while isinstance(wanted, str) and _TOKEN.fullmatch(wanted):
        with _resume_lock:
            _expire_resumable(time.monotonic())
            rec = _resumable.get(wanted)
            if rec is None or rec.browser != browser:
                break
            if rec.live <= 0:
                rec.live += 1
                holder.token = ss.session_token = wanted
                for key, value in rec.values.items():
                    ss[key] = value
                log.info("A reload resumed its session (job: %s).", getattr(rec.values.get("job"), "status", "none"))
                return
        if time.monotonic() > deadline:
            break  # another open tab holds it: this one starts afresh
        time.sleep(0.05)
    token = secrets.token_urlsafe(16)
    with _resume_lock:
        _expire_resumable(time.monotonic())
        _resumable[token] = Resumable(browser, {}, live=1)
    holder.token = ss.session_token = token


def session_token() -> None:
    """Give the session its token (claiming the URL's on the first run) and keep it in the URL."""
    ss = st.session_state
    holder = session_holder()
    if ss.get("session_token") is None:
        _claim_session(holder)
    elif holder.token != ss.session_token:  # a reconnect after a network loss: a new holder, the same session
        with _resume_lock:
            rec = _resumable.setdefault(ss.session_token, Resumable(browser_id(), {}))
            rec.live += 1
        holder.token = ss.session_token
    if st.query_params.get(SESSION_PARAM) != ss.session_token:
        st.query_params[SESSION_PARAM] = ss.session_token


def remember() -> None:
    """Note the session's corpus, model and job under its token, for a reload."""
    token = st.session_state.get("session_token")
    if token is None:
        return
    values = {key: st.session_state.get(key) for key in RESUMABLE}
    with _resume_lock:
        rec = _resumable.get(token)
        if rec is not None:
            rec.values = values
