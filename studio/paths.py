"""Where things are: the app's folders, the bundled demo model and corpora, and the pages (navigation)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
DEMO_CORPUS = "snli-sentences.txt"


FAVICON = ASSETS / "images" / "favicon.png"  # shipped, not a :material/...: icon fetched by the browser


def demo_model_dir() -> Path:
    """The bundled demo model (TEXTVAE_DEMO_MODEL overrides, e.g. for tests)."""
    return Path(os.environ.get("TEXTVAE_DEMO_MODEL") or ASSETS / "demo-model")


def corpora_dir() -> Path:
    """The bundled corpora (TEXTVAE_CORPORA_DIR overrides)."""
    return Path(os.environ.get("TEXTVAE_CORPORA_DIR") or ASSETS / "corpora")


PAGES = {  # file -> (title, material icon); the one list app.py and the tour read
    "app_pages/home.py": ("Home", ":material/home:"),
    "app_pages/data.py": ("Data", ":material/description:"),
    "app_pages/train.py": ("Train", ":material/model_training:"),
    "app_pages/models.py": ("Models", ":material/deployed_code:"),
    "app_pages/ae_vs_vae.py": ("AE vs VAE", ":material/compare:"),
    "app_pages/latent_space.py": ("Latent space", ":material/scatter_plot:"),
    "app_pages/interpolate.py": ("Interpolate", ":material/linear_scale:"),
    "app_pages/sample.py": ("Sample", ":material/casino:"),
    "app_pages/steer.py": ("Steer", ":material/tune:"),
    "app_pages/reconstruct.py": ("Reconstruct", ":material/autorenew:"),
}
SECTIONS = {
    "Start": ["app_pages/home.py", "app_pages/data.py"],
    "Model": ["app_pages/train.py", "app_pages/models.py", "app_pages/ae_vs_vae.py"],
    "Explore": [
        "app_pages/latent_space.py",
        "app_pages/interpolate.py",
        "app_pages/sample.py",
        "app_pages/steer.py",
        "app_pages/reconstruct.py",
    ],
}
