"""Fixtures for the app tests (AppTest, no browser)."""

from __future__ import annotations

import pytest

from tests.app.apptest import ROOT


@pytest.fixture
def app_env(monkeypatch, tmp_path, request):
    """A models folder of its own; a stand-in demo model when the checkout has none."""
    monkeypatch.setenv("TEXTVAE_MODELS_DIR", str(tmp_path / "models"))
    if not (ROOT / "assets" / "demo-model" / "model.safetensors").exists():
        _, directory, _ = request.getfixturevalue("trained")
        monkeypatch.setenv("TEXTVAE_DEMO_MODEL", str(directory))
    return tmp_path
