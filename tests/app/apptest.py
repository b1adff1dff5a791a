"""AppTest helpers the app tests share: the app's path, its pages, and opening, checking and uploading."""

from __future__ import annotations

import threading
from pathlib import Path

from streamlit.testing.v1 import AppTest

from studio.runtime import WARM_UP_THREAD

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


def let_the_warm_up_finish() -> None:
    """The server's warm-up thread (a page open starts it, once per process) fills the same caches: let it end
    first, so that what a test counts is its own work."""
    for thread in threading.enumerate():
        if thread.name == WARM_UP_THREAD:
            thread.join(300)


def count(calls: list[str], name: str) -> None:
    """A call of the test's own: the server's warm-up thread, which a page open starts, may run beside it."""
    if threading.current_thread().name != WARM_UP_THREAD:
        calls.append(name)
