"""Keeping a server's models folder from filling its disk: leftovers no one can reach are removed.

- Hidden partial saves: ``save_bundle`` writes into ``.<name>.<random>`` and renames it into place, and moves a
  replaced bundle aside as ``.<name>.old-...``; a server killed mid-save leaves them behind.
- Session folders (``.sessions/<hash>``): each holds one browser session's finished trainings. Its session
  token expires soon after its last tab closes, after which nobody can list the folder again.

Both are removed once older than a limit (by modification time), never anything else.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

PARTIAL_SAVE_AGE_S = 3600.0  # a save takes seconds: an hour-old partial one is abandoned
SESSION_FOLDER_AGE_S = 2 * 24 * 3600.0  # a session's models stay two days after its last save


def _age_s(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0


def _remove(path: Path) -> bool:
    shutil.rmtree(path, ignore_errors=True)
    return not path.exists()


def remove_partial_saves(folder: Path, older_than_s: float = PARTIAL_SAVE_AGE_S, now: float | None = None) -> int:
    """Remove abandoned hidden save folders (``.<name>.*``) directly in ``folder``; returns how many."""
    now = time.time() if now is None else now
    if not folder.is_dir():
        return 0
    stale = [
        p
        for p in folder.iterdir()
        if p.is_dir() and p.name.startswith(".") and p.name.count(".") >= 2 and _age_s(p, now) > older_than_s
    ]
    return sum(_remove(p) for p in stale)


def remove_old_session_folders(
    models_dir: Path, older_than_s: float = SESSION_FOLDER_AGE_S, now: float | None = None
) -> int:
    """Remove session folders under ``models_dir/.sessions`` untouched for longer than ``older_than_s``, and
    abandoned partial saves in the shared folder and in the session folders kept; returns how many folders went."""
    now = time.time() if now is None else now
    removed = remove_partial_saves(models_dir, now=now)
    sessions = models_dir / ".sessions"
    if sessions.is_dir():
        for folder in [p for p in sessions.iterdir() if p.is_dir()]:
            last_touched = min([_age_s(folder, now)] + [_age_s(p, now) for p in folder.iterdir()])
            if last_touched > older_than_s:
                removed += _remove(folder)
            else:
                removed += remove_partial_saves(folder, now=now)
    return removed
