"""This session's models on the server: where they are kept (TEXTVAE_MODE), which folders it created and so may
rename or delete, and saving, renaming and deleting within the quotas (textvae.quota, textvae.model_store).

Personal mode (one person's machine): every model goes to the shared models folder, listed in every tab, and any
of them may be renamed or deleted. Classroom mode: a session's trainings stay in its own folder until it shares
them, and it may rename or delete only what it saved itself. There is no login: "own" means made in this browser
session (kept across a reload, see studio.resume)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from studio import resume
from studio.models import models_dir, session_models_dir
from studio.paths import demo_model_dir
from studio.runtime import server_limits

if TYPE_CHECKING:
    from textvae import ModelBundle
    from textvae.quota import Quota

OWN = "own_models"  # session state: the resolved folders (str) this session saved or shared in the models folder


def classroom() -> bool:
    return server_limits().classroom


def save_dir() -> Path:
    """Where a finished training is saved: the shared folder (personal) or this session's own (classroom)."""
    return session_models_dir() if classroom() else models_dir()


def where_kept() -> str:
    """Where a trained model is kept, in a sentence for the Train page."""
    if classroom():
        return "Kept for this session only; press Share on the Models page to let others use it."
    return "Saved in the models folder: every tab on this server lists it."


def _own() -> set[str]:
    return st.session_state[OWN]


def note_own(path: Path) -> None:
    """Remember a folder this session saved or shared (it may rename and delete it)."""
    _own().add(str(path.resolve()))
    resume.remember()


def quota() -> Quota:
    """What this session's next save counts against: the models folder, its own folder and what it shared."""
    from textvae.quota import Quota

    mine = session_models_dir()
    shares = tuple(Path(p) for p in _own() if Path(p).parent != mine.resolve())  # its own folder counts whole
    return Quota(models_dir(), (mine, *shares), server_limits())


def _bundled(path: Path) -> bool:
    from textvae.base_model import base_dir

    return path.resolve() in (demo_model_dir().resolve(), base_dir().resolve())


def may_manage(path: Path) -> bool:
    """Whether this session may rename or delete the bundle folder ``path``: never the demo or base model, nor
    anything outside the models folder; in classroom mode only its own folder's models and its own shares."""
    folder = path.resolve()
    if _bundled(path):
        return False
    mine = session_models_dir().resolve()
    if folder.parent not in (models_dir().resolve(), mine):
        return False
    return not classroom() or folder.parent == mine or str(folder) in _own()


def _check(path: Path) -> None:
    from textvae import TextVAEError

    if _bundled(path):
        raise TextVAEError("The bundled models are part of the app: they cannot be renamed or deleted.")
    if not may_manage(path):
        raise TextVAEError(
            "Only the session that shared this model may rename or delete it; ask the teacher to remove it."
        )


def _is_active(path: Path) -> ModelBundle | None:
    bundle = st.session_state.get("model")
    if bundle is not None and bundle.path is not None and Path(bundle.path).resolve() == path.resolve():
        return bundle
    return None


def rename_model(path: Path, name: str) -> str:
    """Give a listed model a new display name (its folder stays); returns the name kept."""
    from textvae.model_store import rename

    _check(path)
    kept = rename(path, name)
    if (bundle := _is_active(path)) is not None:
        bundle.metrics["name"] = kept
    return kept


def delete_model(path: Path) -> bool:
    """Delete a listed model. If it is this session's active model it stays active, in memory only (True)."""
    from textvae.model_store import delete

    _check(path)
    bundle = _is_active(path)
    delete(path)
    _own().discard(str(path.resolve()))
    if bundle is not None:
        bundle.path = None  # Download .zip now writes it from memory
    resume.remember()
    return bundle is not None


def save_model(bundle: ModelBundle, name: str) -> Path:
    """Save ``bundle`` as a new model in the shared folder, within the quotas (QuotaError: nothing kept)."""
    from textvae import TextVAEError
    from textvae.model_store import save_new

    bundle.metrics["name"] = name
    try:
        path = save_new(bundle, models_dir(), name, quota())
    except OSError as exc:  # a full or read-only disk: say so; the model stays active in this session
        raise TextVAEError(
            f"The model could not be saved on the server ({exc.strerror or exc}). It is still active here: "
            "use Download .zip to keep it."
        ) from exc
    note_own(path)
    return path


def keep_upload(bundle: ModelBundle) -> str | None:
    """In personal mode an uploaded model is saved in the models folder at once; why it could not be, or None."""
    from textvae import TextVAEError

    if classroom():
        return None
    try:
        save_model(bundle, bundle.name)
    except TextVAEError as exc:
        return str(exc)
    return None


def folder_note() -> str:
    """What the Models page's list holds and who may change it, with the models folder's use of its quotas."""
    from textvae.quota import megabytes

    limits, used = server_limits(), quota().usage()
    sizes = (
        f"The models folder holds {megabytes(used.shared)} of {megabytes(limits.max_shared_bytes)} MB; "
        f"this session's models {megabytes(used.session)} of {megabytes(limits.max_session_bytes)} MB."
    )
    if classroom():
        return (
            "Your trainings are kept for this session only. Shared models live in the server's models folder "
            "(TEXTVAE\\_MODELS\\_DIR) and are listed for everyone on this server; only the session that shared one "
            f"may rename or delete it. {sizes}"
        )
    return (
        "Every model here is in the server's models folder (TEXTVAE\\_MODELS\\_DIR): every tab on this server lists "
        f"it and may rename or delete it. {sizes}"
    )
