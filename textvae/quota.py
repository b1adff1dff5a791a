"""How much a save may add to the app's models folder: TEXTVAE_MAX_SHARED_MB caps the whole folder (a class must not
fill the server's disk), TEXTVAE_MAX_SESSION_MB what one browser session keeps there (one person must not take it
all). A save over either is undone and said in a sentence that names the way out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import TextVAEError
from .limits import MB, Limits


class QuotaError(TextVAEError):
    """A save would go over a quota; nothing of it was kept."""


def folder_bytes(path: Path) -> int:
    """Bytes in the files under ``path`` (0 when it is gone; files vanishing meanwhile are skipped)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def megabytes(n: int) -> str:
    """A size for people: two digits below 1 MB and one decimal below 10 (a tiny model is not "0 MB"), whole MB
    above."""
    if n < MB:
        return f"{n / MB:.2g}"
    return f"{n / MB:.1f}" if n < 10 * MB else f"{n / MB:,.0f}"


@dataclass(frozen=True)
class Usage:
    shared: int  # bytes in the whole models folder
    session: int  # bytes of this session's own models


def check_room(before: Usage, adding: int, limits: Limits) -> None:
    """Raise QuotaError when ``adding`` bytes would take the folder or the session over its limit."""
    shared, session = before.shared + adding, before.session + adding
    if shared > limits.max_shared_bytes:
        raise QuotaError(
            f"This server's models folder is full ({megabytes(shared)} of {megabytes(limits.max_shared_bytes)} MB): "
            "delete a model on the Models page or ask the teacher."
        )
    if session > limits.max_session_bytes:
        raise QuotaError(
            f"Your models on this server would take {megabytes(session)} of the "
            f"{megabytes(limits.max_session_bytes)} MB one session may keep: delete one of yours on the Models page, "
            "or keep this one with Download .zip."
        )


@dataclass(frozen=True)
class Quota:
    """What a session's next save counts against: the models folder, and the folders that are the session's own."""

    models_dir: Path
    session_folders: tuple[Path, ...]
    limits: Limits

    def usage(self) -> Usage:
        return Usage(folder_bytes(self.models_dir), sum(folder_bytes(p) for p in set(self.session_folders)))
