"""The Train page's choice between fine-tuning the bundled base model and training from scratch, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from studio.messages import md_escape
from studio.runtime import ensure_library, log
from studio.state import KEEP, keep
from studio.training_form import FROM_BASE

if TYPE_CHECKING:
    from textvae import Corpus, ModelBundle

EXPLAINED = (
    "**From the base model:** a general-English sentence VAE, trained on about 65,000 sentences of books, "
    "captions, reviews and news, learns your text on top of what it knows: within a minute it writes "
    "readable sentences, in your text's style. **From scratch:** a new tokenizer and model learn from your "
    "text alone: slower to become fluent, but nothing is borrowed (and it is the way for another script). "
    "Train both and compare: that is transfer learning."
)


@st.cache_resource(show_spinner="Loading the base model…", max_entries=2)
def _base(path: str, mtime: float) -> ModelBundle:
    """The base model, loaded once per server and shared read-only (training copies its weights)."""
    from textvae.base_model import load_base

    return load_base(path)


@st.cache_data(show_spinner=False, max_entries=32, ttl=3600)
def _fits(corpus_id: str, base_path: str, _base_bundle: ModelBundle, _sentences: list[str]) -> tuple[bool, float]:
    from textvae.base_model import base_fits

    return base_fits(_base_bundle.tokenizer, _sentences)


def base_bundle() -> ModelBundle | None:
    """The bundled base model, or None (with the reason in the server log) when it is missing or broken."""
    from textvae import TextVAEError
    from textvae.base_model import base_dir

    weights = base_dir() / "model.safetensors"
    if not weights.exists():
        return None
    ensure_library()
    try:
        return _base(str(base_dir()), weights.stat().st_mtime)
    except TextVAEError as exc:
        log.warning("The base model cannot be used: %s", exc)
        return None


def base_choice(corpus: Corpus, corpus_id: str, disabled: bool) -> ModelBundle | None:
    """The toggle, what it means, and the base model to fine-tune (None: from scratch)."""
    base = base_bundle()
    wanted = st.toggle(
        "Start from the base model",
        key=keep(FROM_BASE.removeprefix(KEEP), True),
        disabled=disabled or base is None,
        help="On: fine-tune a pretrained English model (fast, fluent). Off: train from scratch.",
    )
    st.caption(EXPLAINED)
    if base is None:
        st.info("No usable base model on this server: training starts from scratch.", icon=":material/info:")
        return None
    if not wanted:
        return None
    fits, rate = _fits(corpus_id, str(base.path), base, corpus.sentences)
    if not fits:
        st.info(
            f"The base model reads **{md_escape(corpus.name)}** as {rate:.1f} tokens a character (another script, "
            "or text unlike English): this corpus trains from scratch, with a tokenizer of its own.",
            icon=":material/translate:",
        )
        return None
    config = base.config
    st.caption(
        f":material/model_training: Fine-tunes {md_escape(base.name)}: {config.rnn.upper()} "
        f"{config.embed_dim}/{config.hidden_dim}, latent {config.latent_dim}, its {base.tokenizer.vocab_size:,}-token "
        "vocabulary (the Model and Tokenizer settings below are for training from scratch; the Training settings "
        "apply to both)."
    )
    return base
