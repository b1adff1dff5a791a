"""AppTest helpers the app tests share: the app's path, its pages, and opening, checking and uploading."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGES = {
    "app_pages/home.py": "TextVAE Studio",
    "app_pages/data.py": "Data",
    "app_pages/train.py": "Train",
    "app_pages/models.py": "Models",
    "app_pages/ae_vs_vae.py": "AE vs VAE",
    "app_pages/latent_space.py": "Latent space",
    "app_pages/interpolate.py": "Interpolate",
    "app_pages/sample.py": "Sample",
    "app_pages/steer.py": "Steer",
    "app_pages/reconstruct.py": "Reconstruct",
}
SMALL_MODEL = {
    "embed_dim": 32,
    "hidden_dim": 48,
    "latent_dim": 8,
    "vocab_size": 300,
    "epochs": 2,
    "max_minutes": 0.5,
    "batch_size": 16,
    "valid_every": 0,
}


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if page != "app_pages/home.py":
        at.switch_page(page).run()
    return at


def assert_ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def upload(at: AppTest, name: str, data: bytes, mime: str = "text/plain") -> AppTest:
    at.file_uploader(key="data.upload").set_value((name, data, mime))
    return at.run()
