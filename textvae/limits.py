"""Resource caps, read from environment variables so a deployment can change them without code.

    TEXTVAE_MAX_UPLOAD_MB       largest corpus file, in MB (default 50)
    TEXTVAE_MAX_SENTENCES       sentences kept from one corpus (default 200000)
    TEXTVAE_MAX_VOCAB           largest tokenizer vocabulary (default 50000)
    TEXTVAE_MAX_PARAMETERS      largest model the app may train (default 20000000)
    TEXTVAE_MAX_TRAIN_MINUTES   longest training run the app allows (default 30)
    TEXTVAE_MAX_TRAININGS       trainings the app runs at once (default 2)
    TEXTVAE_MODELS_DIR          where the app keeps saved bundles (default runs/models)
    TEXTVAE_MAX_SHARED_MB       total size of the models folder (default 2000)
    TEXTVAE_MAX_SESSION_MB      what one browser session may keep in it (default 200)
    TEXTVAE_MODE                personal (every model in the shared folder, listed in every tab) or
                                classroom (each session's models private until shared); default personal

``get_limits()`` reads the environment on every call (it is cheap), so a changed variable
takes effect without a restart and tests can set variables with ``monkeypatch.setenv``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import TextVAEError

PERSONAL, CLASSROOM = "personal", "classroom"  # TEXTVAE_MODE: one person's machine, or a class sharing a server
MB = 2**20


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int = 50 * 2**20
    max_sentences: int = 200_000
    max_vocab: int = 50_000
    max_parameters: int = 20_000_000
    max_train_minutes: float = 30.0
    max_trainings: int = 2
    models_dir: Path = Path("runs/models")
    max_shared_bytes: int = 2000 * 2**20
    max_session_bytes: int = 200 * 2**20
    mode: str = PERSONAL

    @property
    def max_upload_mb(self) -> float:
        return self.max_upload_bytes / 2**20

    @property
    def classroom(self) -> bool:
        return self.mode == CLASSROOM


def _number(name: str, default: float, integer: bool, minimum: float = 1) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise TextVAEError(
            f"The environment variable {name}={raw!r} must be {kind}; unset it to use the default ({default:g})."
        ) from None
    if not math.isfinite(value) or value < minimum:
        raise TextVAEError(
            f"The environment variable {name}={raw!r} must be at least {minimum:g}; "
            f"unset it to use the default ({default:g})."
        )
    return value


def _mb(name: str, default_bytes: int) -> int:
    return int(_number(name, default_bytes / MB, integer=False, minimum=0.001) * MB)


def _choice(name: str, options: tuple[str, ...], default: str) -> str:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in options:
        raise TextVAEError(
            f"The environment variable {name}={raw!r} must be {' or '.join(options)}; "
            f"unset it to use the default ({default})."
        )
    return raw


def get_limits() -> Limits:
    """The current caps: environment variables where set, defaults elsewhere."""
    d = Limits()
    return Limits(
        max_upload_bytes=_mb("TEXTVAE_MAX_UPLOAD_MB", d.max_upload_bytes),
        max_sentences=int(_number("TEXTVAE_MAX_SENTENCES", d.max_sentences, integer=True)),
        max_vocab=int(_number("TEXTVAE_MAX_VOCAB", d.max_vocab, integer=True, minimum=5)),
        max_parameters=int(_number("TEXTVAE_MAX_PARAMETERS", d.max_parameters, integer=True)),
        max_train_minutes=float(_number("TEXTVAE_MAX_TRAIN_MINUTES", d.max_train_minutes, integer=False, minimum=0.01)),
        max_trainings=int(_number("TEXTVAE_MAX_TRAININGS", d.max_trainings, integer=True)),
        models_dir=Path(os.environ.get("TEXTVAE_MODELS_DIR", "").strip() or d.models_dir),
        max_shared_bytes=_mb("TEXTVAE_MAX_SHARED_MB", d.max_shared_bytes),
        max_session_bytes=_mb("TEXTVAE_MAX_SESSION_MB", d.max_session_bytes),
        mode=_choice("TEXTVAE_MODE", (PERSONAL, CLASSROOM), d.mode),
    )
