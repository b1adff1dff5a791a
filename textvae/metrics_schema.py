"""What a bundle's metrics.json may hold, and the cleaning that keeps a malformed one from breaking its readers.

metrics.json is informative (the model works without it), so a bad value is dropped, not fatal: a number
where a number belongs, a list of numbers for ``kl_per_dim``, plain scalars in the settings, events that are
objects. Anything else is removed and the app shows "–" where it would have been.
"""

from __future__ import annotations

import math

from .validation import readable_name

SECTIONS = ("corpus", "tokenizer", "training", "result")  # objects of plain settings
MAX_HISTORY = 100_000


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, bool)) or _number(value)


def _plain(value: object) -> bool:
    """A scalar, or a short list of scalars (settings such as a list of layer sizes)."""
    return _scalar(value) or (isinstance(value, list) and len(value) <= 10_000 and all(map(_scalar, value)))


def _valid_section(value: object) -> dict:
    """Held-out metrics: numbers, and lists of numbers (kl_per_dim)."""
    if not isinstance(value, dict):
        return {}
    kept = {}
    for key, item in value.items():
        if _number(item) or (isinstance(item, list) and len(item) <= 100_000 and all(map(_number, item))):
            kept[str(key)] = item
    return kept


def _event(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("type"), str) and all(map(_plain, value.values()))


def clean_metrics(metrics: dict) -> dict:
    """A copy of ``metrics`` with every value of the wrong type removed (see the module's docstring)."""
    cleaned: dict = {}
    for key, value in metrics.items():
        if key == "valid":
            cleaned[key] = _valid_section(value)
        elif key in SECTIONS:
            cleaned[key] = {str(k): v for k, v in value.items() if _plain(v)} if isinstance(value, dict) else {}
        elif key == "history":
            cleaned[key] = [e for e in value[:MAX_HISTORY] if _event(e)] if isinstance(value, list) else []
        elif key in ("name", "base"):
            if isinstance(value, str):
                cleaned[key] = readable_name(value, "model")  # shown in the app: no hidden or reordering marks
            elif key == "base" and value is None:
                cleaned[key] = value
        else:
            cleaned[key] = value  # read by no one but its writer (say base_sources): kept as written
    return cleaned
