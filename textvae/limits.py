"""Resource caps, read from environment variables so a deployment can change them without code.

    TEXTVAE_MAX_UPLOAD_MB       largest corpus file, in MB (default 50)
    TEXTVAE_MAX_SENTENCES       sentences kept from one corpus (default 200000)
    TEXTVAE_MAX_VOCAB           largest tokenizer vocabulary (default 50000)
    TEXTVAE_MAX_PARAMETERS      largest model the app may train (default 20000000)
    TEXTVAE_MAX_TRAIN_MINUTES   longest training run the app allows (default 30)
    TEXTVAE_MAX_TRAININGS       trainings the app runs at once (default 2)
    TEXTVAE_MODELS_DIR          where the app keeps saved bundles (default runs/models)

``get_limits()`` reads the environment on every call (it is cheap), so a changed variable
takes effect without a restart and tests can set variables with ``monkeypatch.setenv``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import TextVAEError


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int = 50 * 2**20
    max_sentences: int = 200_000
    max_vocab: int = 50_000
    max_parameters: int = 20_000_000
    max_train_minutes: float = 30.0
    max_trainings: int = 2
    models_dir: Path = Path("runs/models")

    @property
    def max_upload_mb(self) -> float:
        return self.max_upload_bytes / 2**20


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


def get_limits() -> Limits:
    """The current caps: environment variables where set, defaults elsewhere."""
    d = Limits()
    upload_mb = _number("TEXTVAE_MAX_UPLOAD_MB", d.max_upload_bytes / 2**20, integer=False, minimum=0.001)
    return Limits(
        max_upload_bytes=int(upload_mb * 2**20),
        max_sentences=int(_number("TEXTVAE_MAX_SENTENCES", d.max_sentences, integer=True)),
        max_vocab=int(_number("TEXTVAE_MAX_VOCAB", d.max_vocab, integer=True, minimum=5)),
        max_parameters=int(_number("TEXTVAE_MAX_PARAMETERS", d.max_parameters, integer=True)),
        max_train_minutes=float(_number("TEXTVAE_MAX_TRAIN_MINUTES", d.max_train_minutes, integer=False, minimum=0.01)),
        max_trainings=int(_number("TEXTVAE_MAX_TRAININGS", d.max_trainings, integer=True)),
        models_dir=Path(os.environ.get("TEXTVAE_MODELS_DIR", "").strip() or d.models_dir),
    )
