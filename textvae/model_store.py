"""The app's models folder: a new bundle saved within the quotas, a bundle renamed (its display name only: folders
never move), a bundle deleted. Plain files, no Streamlit; who may rename or delete what is the app's decision."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from .bundle import ModelBundle, new_bundle_folder, save_bundle
from .errors import TextVAEError
from .quota import Quota, check_room, folder_bytes
from .safe_files import ALLOWED_FILES, METRICS, WEIGHTS
from .validation import readable_name

MAX_NAME = 60


def save_new(bundle: ModelBundle, parent: Path, name: str, quota: Quota | None = None) -> Path:
    """Save ``bundle`` into a new folder of ``parent`` named after ``name``. A save over a quota is removed again
    (QuotaError) and the bundle keeps the path it had."""
    before = quota.usage() if quota is not None else None
    target = new_bundle_folder(parent, name)
    previous = bundle.path
    try:
        save_bundle(bundle, target)
        if quota is not None and before is not None:
            check_room(before, folder_bytes(target), quota.limits)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        bundle.path = previous
        raise
    return target


def clean_name(name: str) -> str:
    """A display name as typed, made safe to keep and show (no control or direction characters, at most 60)."""
    cleaned = readable_name(name, fallback="")[:MAX_NAME].strip()
    if not cleaned:
        raise TextVAEError("Type a name for the model.")
    return cleaned


def _check_bundle(folder: Path) -> None:
    """Only a bundle folder is changed: never a folder someone put there by hand (messages name no server path)."""
    if not (folder / WEIGHTS).is_file():
        raise TextVAEError(f"{folder.name} is not a model bundle (it may have been deleted meanwhile).")
    if any(p.name not in ALLOWED_FILES for p in folder.iterdir()):
        raise TextVAEError(f"{folder.name} holds files that are not part of a model bundle; it is left as it is.")


def rename(folder: Path, name: str) -> str:
    """Set the bundle's display name (metrics.json "name", written atomically); returns the name kept."""
    _check_bundle(folder)
    name = clean_name(name)
    try:
        metrics = json.loads((folder / METRICS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        metrics = {}
    if not isinstance(metrics, dict):
        metrics = {}
    metrics["name"] = name
    handle, tmp = tempfile.mkstemp(prefix=f".{METRICS}.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(metrics, out, indent=1, default=float)
        os.replace(tmp, folder / METRICS)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return name


def delete(folder: Path) -> None:
    """Remove a bundle folder: first renamed out of sight (a page listing models meanwhile never sees half of it),
    then removed; a leftover is tidied by textvae.housekeeping as an abandoned partial save."""
    _check_bundle(folder)
    hidden = folder.with_name(f".{folder.name}.deleted-{os.getpid()}-{time.time_ns()}")
    folder.rename(hidden)
    shutil.rmtree(hidden, ignore_errors=True)
