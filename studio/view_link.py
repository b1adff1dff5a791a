"""A link to a view of the latent map: the page's address holds its projection, colours, clusters, search and
typed sentence (and the bundled corpus it shows), so copying the address bookmarks or shares the view.

A link sets the view once, when it is opened; after that the address follows the controls. Values are checked
(a hand-edited link cannot put a widget out of range). A model saved in the server's models folder (every model
in personal mode, a shared one in classroom mode) is named in the link and opened with it; a model private to a
session is not (another person opens the view with their own active model, the bundled demo unless they chose
one).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from studio.state import KEEP

CORPUS = "corpus"
MODEL = "model"  # the folder name of a model in the server's models folder
APPLIED = "view_link.applied"  # the query string already applied in this session


def _int_in(low: int, high: int) -> Callable[[str], int | None]:
    def parse(text: str) -> int | None:
        return int(text) if text.isdigit() and low <= int(text) <= high else None

    return parse


def _choice(*options: str) -> Callable[[str], str | None]:
    return lambda text: text if text in options else None


def _text(limit: int) -> Callable[[str], str | None]:
    return lambda text: text[:limit]


# link parameter -> (the map control's kept widget key, parser)
PARAMS: dict[str, tuple[str, Callable[[str], object]]] = {
    "method": ("map.method", _choice("pca", "tsne", "axis")),
    "dims": ("map.dims", _int_in(2, 3)),
    "color": ("map.color", _choice("cluster", "length", "label")),
    "k": ("map.k", _int_in(2, 30)),
    "points": ("map.cap", _int_in(500, 20_000)),
    "search": ("map.search", _text(200)),
    "sentence": ("map.typed", _text(500)),
}


def open_view_link() -> None:
    """Apply the view in the address (once per link): the bundled corpus it names, then the map's controls."""
    given = {name: st.query_params[name] for name in (*PARAMS, CORPUS, MODEL) if name in st.query_params}
    signature = repr(sorted(given.items()))
    if not given or st.session_state.get(APPLIED) == signature:
        return
    st.session_state[APPLIED] = signature
    for name, (key, parse) in PARAMS.items():
        if name in given and (value := parse(given[name])) is not None:
            st.session_state[KEEP + key] = value
    opened_model = MODEL in given and _open_saved_model(given[MODEL])
    opened_corpus = CORPUS in given and _open_bundled_corpus(given[CORPUS])
    if opened_model or opened_corpus:
        st.rerun()  # the whole app again, its sidebar included, with the link's model and corpus


def _open_bundled_corpus(file_name: str) -> bool:
    """Make the bundled corpus of this file name the active one; whether it was not already."""
    from studio.corpora import active_corpus, bundled_corpora, bundled_corpus, set_active_corpus

    for path in bundled_corpora():
        if path.name == file_name:
            corpus, corpus_id = bundled_corpus(path)
            if (found := active_corpus()) is not None and found[1] == corpus_id:
                return False
            set_active_corpus(corpus, corpus_id)
            return True
    return False


def _open_saved_model(folder_name: str) -> bool:
    """Make the model of this folder in the shared models folder the active one; whether it was not already."""
    from studio.models import active_bundle, load_saved_model, saved_models
    from textvae import TextVAEError

    for path in saved_models():  # the shared models folder only: a name cannot reach a session's private models
        if path.name == folder_name:
            active = active_bundle()
            if active is not None and active.path is not None and Path(active.path).resolve() == path.resolve():
                return False
            try:
                load_saved_model(path)
            except TextVAEError as exc:
                st.warning(f"The link's model could not be opened ({exc}); the map shows the active model.")
                return False
            return True
    return False


def linkable_model() -> str | None:
    """The active model's folder name when it is in the server's models folder (then a link can open it)."""
    from studio.models import active_bundle, models_dir

    bundle = active_bundle()
    if bundle is None or bundle.path is None:
        return None
    path = Path(bundle.path).resolve()
    return path.name if path.parent == models_dir().resolve() else None


def publish_view(corpus_file: str | None) -> None:
    """Write the map's current controls (and the bundled corpus's file name, if it is one) into the address."""
    for name, (key, _) in PARAMS.items():
        value = st.session_state.get(KEEP + key)
        if value in (None, ""):
            st.query_params.pop(name, None)
        else:
            st.query_params[name] = str(value)
    for name, given in ((CORPUS, corpus_file), (MODEL, linkable_model())):
        if given:
            st.query_params[name] = given
        else:
            st.query_params.pop(name, None)
    st.session_state[APPLIED] = repr(
        sorted((n, st.query_params[n]) for n in (*PARAMS, CORPUS, MODEL) if n in st.query_params)
    )  # the address now says what the page shows: nothing to apply on the next run
