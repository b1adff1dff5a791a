"""Fixtures for the app tests (AppTest, no browser)."""

from __future__ import annotations

import pytest

from tests.app.apptest import ROOT, let_the_warm_up_finish


@pytest.fixture(scope="session", autouse=True)
def _warm_up_ends_inside_the_session():
    """A page open starts the server's warm-up thread; one still running when pytest closes its output at exit
    logs into a closed stream ("--- Logging error ---"). Let it end while the session is still open."""
    yield
    let_the_warm_up_finish()


@pytest.fixture
def app_env(monkeypatch, tmp_path, request):
    """A models folder of its own; a stand-in demo model when the checkout has none; no base model, so trainings
    start from scratch with the small settings the tests give (tests of fine-tuning set TEXTVAE_BASE_MODEL)."""
    monkeypatch.setenv("TEXTVAE_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("TEXTVAE_BASE_MODEL", str(tmp_path / "no-base-model"))
    for name in ("TEXTVAE_MODE", "TEXTVAE_MAX_SHARED_MB", "TEXTVAE_MAX_SESSION_MB"):  # personal, default quotas
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEXTVAE_BACKGROUND_TSNE", "0")  # one test turns it on; the others would queue t-SNE maps
    if not (ROOT / "assets" / "demo-model" / "model.safetensors").exists():
        _, directory, _ = request.getfixturevalue("trained")
        monkeypatch.setenv("TEXTVAE_DEMO_MODEL", str(directory))
    return tmp_path
