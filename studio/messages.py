"""What the user reads: user text escaped for markdown, errors without tracebacks, one-off notices,
and warnings about typed sentences."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import streamlit as st

from studio.runtime import log

if TYPE_CHECKING:
    from textvae import ModelBundle

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_escape(text: str) -> str:
    """User text inside a markdown string: every markdown/HTML/LaTeX character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def show_error(error: Exception | str, prefix: str = "") -> None:
    """A user-facing error: the library's message, never a traceback. Its text may quote user input."""
    from textvae import TextVAEError

    message = str(error)
    if not isinstance(error, (TextVAEError, str)):
        log.exception("unexpected error", exc_info=error)
        message = f"Something went wrong ({type(error).__name__}). {message}"
    if prefix.strip(": ") and message.startswith(prefix.strip(": ")):
        prefix = ""  # the message names the file already: "a.txt is empty", not "a.txt: a.txt is empty"
    st.error(md_escape(prefix + message), icon=":material/error:")


def notice(message: str, kind: str = "success") -> None:
    """A message for the top of the next page run (after st.rerun)."""
    st.session_state.notice = (kind, message)


def show_notice() -> None:
    if st.session_state.get("notice"):
        kind, message = st.session_state.notice
        st.session_state.notice = None
        getattr(st, kind)(message, icon=":material/check_circle:" if kind == "success" else None)


def check_typed(bundle: ModelBundle, sentences: dict[str, str]) -> bool:
    """Say what is wrong with sentences a person typed ({field label: text}) before they are encoded.

    An empty one is an error (False: nothing to encode). A sentence longer than the model reads,
    or made of words the model does not know, gets a warning: the result then says little about it.
    """
    ok = True
    for label, text in sentences.items():
        if not text.strip():
            st.error(f"**{label}** is empty: type a sentence to encode.", icon=":material/error:")
            ok = False
    if not ok:
        return False
    tokenizer, max_length = bundle.tokenizer, bundle.config.max_length
    for label, text in sentences.items():
        ids = tokenizer.encode(text)
        if len(ids) > max_length:
            st.warning(
                f"**{label}** has {len(ids):,} tokens; this model reads only the first {max_length}, "
                "the rest is ignored.",
                icon=":material/warning:",
            )
        unknown = sum(1 for i in ids if i == tokenizer.unk_id) / max(1, len(ids))
        if unknown == 1.0:
            st.warning(
                f"None of the words in **{label}** are in this model's vocabulary: it reads each one as `<unk>`, "
                "so the result says nothing about your sentence. "
                "Use everyday words, or a model trained on text like it.",
                icon=":material/warning:",
            )
        elif unknown >= 0.5:
            st.warning(
                f"{unknown:.0%} of the words in **{label}** are not in this model's vocabulary "
                "(it reads them as `<unk>`); expect a vague result.",
                icon=":material/warning:",
            )
    return True
