"""Fixtures for the browser tests: a Streamlit server on a free port and headless Chromium.

Uses the system Chromium (never `playwright install`). The server gets its own models folder
and a short Quick-demo preset (TEXTVAE_QUICK_MINUTES) so training finishes in well under a minute.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Base URL of a fresh `streamlit run app.py`; yields after the health check passes. Records cold start."""
    with streamlit_server(tmp_path_factory) as info:
        yield info


def _no_browser(reason: str) -> None:
    """Skip locally; fail where TEXTVAE_REQUIRE_BROWSER=1 (CI), so the browser tests can never silently not run."""
    if os.environ.get("TEXTVAE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; TEXTVAE_REQUIRE_BROWSER=1 says the browser tests must run here", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("Playwright is not installed (pip install -r requirements-dev.txt)")
    if not Path(CHROMIUM).exists():
        _no_browser(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set TEXTVAE_CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def timings() -> dict:
    """Measured numbers, printed at the end of the session (run pytest with -s to see them)."""
    measured: dict[str, float] = {}
    yield measured
    if measured:
        print("\nmeasured (seconds):\n" + "\n".join(f"  {k:32s} {v:7.2f}" for k, v in measured.items()))
