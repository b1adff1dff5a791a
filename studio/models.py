"""Models: the bundled demo model, the session's active model, its summary, and saving, loading,
uploading and zipping bundles."""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from studio import corpora, projections, resume
from studio.paths import demo_model_dir
from studio.runtime import ensure_library, log, server_limits

if TYPE_CHECKING:
    from textvae import ModelBundle

DEMO_ID = "demo"


@st.cache_resource(show_spinner="Loading the demo model…")
def _demo_bundle(path: str, mtime: float) -> ModelBundle | None:
    """The bundled demo model, loaded once per server and shared read-only (eval mode, no_grad use)."""
    from textvae import TextVAEError, load_bundle

    try:
        return load_bundle(path)
    except TextVAEError as exc:
        log.warning("Demo model not available: %s", exc)
        return None


def demo_bundle() -> ModelBundle | None:
    path = demo_model_dir()
    weights = path / "model.safetensors"
    if not weights.exists():
        return None
    ensure_library()
    return _demo_bundle(str(path), weights.stat().st_mtime)


def summary(name: str, metrics: dict, parameters: int, latent_dim: int | None, vocab: int | None) -> dict:
    """The description of a model the sidebar and the Models page show (the one place it is built)."""
    valid, corpus = metrics.get("valid") or {}, metrics.get("corpus") or {}
    return {
        "name": name,
        "corpus": corpus.get("name", "?"),
        "base": metrics.get("base") if isinstance(metrics.get("base"), str) else None,  # the model it fine-tuned
        "train_sentences": corpus.get("train_sentences"),
        "parameters": parameters,
        "latent_dim": latent_dim,
        "vocab": vocab,
        "kl": valid.get("kl"),
        "elbo": valid.get("elbo"),
        "recon": valid.get("recon"),
        "au": valid.get("au"),
    }


def model_summary(bundle: ModelBundle) -> dict:
    """summary() of a loaded bundle."""
    parameters = sum(p.numel() for p in bundle.model.parameters())
    return summary(bundle.name, bundle.metrics, parameters, bundle.config.latent_dim, bundle.tokenizer.vocab_size)


def _safetensors_parameters(path: Path) -> int:
    """Parameter count from a safetensors header (8-byte length, then JSON with each tensor's shape)."""
    with open(path, "rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        if not 0 < size < 100 * 2**20:
            raise ValueError("not a safetensors header")
        header = json.loads(handle.read(size))
    return sum(math.prod(v["shape"]) for k, v in header.items() if k != "__metadata__")


@st.cache_resource(show_spinner=False, max_entries=256)
def _folder_info(path: str, mtime: float) -> dict | None:
    """summary() of a bundle folder, read from its JSON files and safetensors header (no torch). Shared, not
    copied: callers only read it (cache_data would unpickle it on every page run)."""
    folder = Path(path)
    try:
        model = json.loads((folder / "config.json").read_text())["model"]
        metrics = json.loads((folder / "metrics.json").read_text())
        parameters = _safetensors_parameters(folder / "model.safetensors")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("Cannot read the description of the model in %s: %s", folder.name, exc)
        return None
    return summary(
        str(metrics.get("name") or folder.name), metrics, parameters, model.get("latent_dim"), model.get("vocab_size")
    )


def folder_info(folder: Path) -> dict | None:
    """summary() of a bundle folder without loading it; read again after a rename (metrics.json changes)."""
    try:
        mtime = (folder / "metrics.json").stat().st_mtime_ns
    except OSError:
        return None
    return _folder_info(str(folder), mtime)


def active_model_info() -> dict | None:
    """The sidebar's description of the active model, without loading the demo model (or torch)."""
    bundle = st.session_state.get("model")
    if bundle is not None:
        return model_summary(bundle)
    return folder_info(demo_model_dir())


def active_bundle() -> ModelBundle | None:
    return st.session_state.get("model") or demo_bundle()


def active_model_id() -> str:
    """The cache key of the active model: a random id per user model, the files' identity for the demo."""
    return st.session_state.get("model_id", DEMO_ID) if st.session_state.get("model") is not None else demo_model_id()


def demo_model_id() -> str:
    weights = demo_model_dir() / "model.safetensors"
    return f"{DEMO_ID}:{weights}:{weights.stat().st_mtime_ns if weights.exists() else 0}"


def set_active_model(bundle: ModelBundle, origin: str) -> None:
    bundle.model.eval()
    st.session_state.model = bundle
    st.session_state.model_id = uuid.uuid4().hex
    st.session_state.model_origin = origin
    resume.remember()
    if (found := corpora.active_corpus()) is None:
        return
    from studio import cached  # it imports this module

    cached.start_region(st.session_state.model_id, found[1], bundle, found[0])  # a few seconds: first in the queue
    if os.environ.get("TEXTVAE_BACKGROUND_TSNE", "1") != "0":
        projections.start_tsne(st.session_state.model_id, found[1], bundle, found[0])


def use_demo_model() -> None:
    st.session_state.model = None
    st.session_state.model_id = DEMO_ID
    st.session_state.model_origin = "bundled demo"
    resume.remember()


def require_model() -> ModelBundle:
    """The active model, or stop the page with a pointer to where to get one."""
    bundle = active_bundle()
    if bundle is None:
        st.warning(
            "No model is loaded yet. Train one on the **Train** page, or upload a bundle on the **Models** page.",
            icon=":material/info:",
        )
        st.page_link("app_pages/train.py", label="Train a model", icon=":material/model_training:")
        st.stop()
    return bundle


def models_dir() -> Path:
    return server_limits().models_dir


def session_models_dir() -> Path:
    """This session's own folder: finished trainings are saved here and listed to this session only.
    Named by a hash of the session token, so the folder name cannot be used to claim the session."""
    token = st.session_state.get("session_token") or "no-session"
    return models_dir() / ".sessions" / hashlib.sha256(token.encode()).hexdigest()[:24]


def saved_models(folder: Path | None = None) -> list[Path]:
    """Bundle folders in ``folder`` (default: the server's shared models folder), newest first (by their weights:
    a rename does not move a model to the top)."""
    folder = models_dir() if folder is None else folder
    if not folder.is_dir():
        return []
    found = [
        p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / "model.safetensors").exists()
    ]
    return sorted(found, key=_weights_mtime, reverse=True)


def _weights_mtime(folder: Path) -> float:
    try:
        return (folder / "model.safetensors").stat().st_mtime
    except OSError:  # deleted meanwhile
        return 0.0


def load_saved_model(path: Path) -> None:
    from textvae import load_bundle

    ensure_library()
    set_active_model(load_bundle(path), f"saved: {path.name}")


def upload_model(data: bytes) -> ModelBundle:
    """An uploaded bundle zip becomes the active model (TextVAEError if it is not a valid bundle)."""
    from textvae import load_bundle_zip

    ensure_library()
    bundle = load_bundle_zip(data)
    set_active_model(bundle, "uploaded")
    return bundle


def bundle_zip_bytes(bundle: ModelBundle) -> bytes:
    """The bundle as one zip (for st.download_button's deferred data: no Streamlit calls in here)."""
    from textvae import bundle_to_zip, save_bundle

    if bundle.path is not None and (Path(bundle.path) / "model.safetensors").exists():
        return bundle_to_zip(bundle.path)
    with tempfile.TemporaryDirectory() as tmp:
        path = bundle.path
        save_bundle(bundle, Path(tmp) / "bundle")
        bundle.path = path  # saving to a temporary folder must not change where the model lives
        return bundle_to_zip(Path(tmp) / "bundle")
