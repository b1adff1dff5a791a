"""Type and range checks for the settings dataclasses.

Settings arrive from JSON files, web forms and the command line; a string where a number
belongs must give a sentence naming the setting, not a TypeError from a comparison deep inside.
"""

from __future__ import annotations

import functools
import math
import numbers
import types
import typing
from dataclasses import fields

from .errors import TextVAEError

_KIND = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}


@functools.cache
def _allowed_types(cls: type) -> dict[str, tuple[type, ...]]:
    hints = typing.get_type_hints(cls)
    allowed = {}
    for f in fields(cls):
        hint = hints[f.name]
        options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
        allowed[f.name] = tuple(options)
    return allowed


def field_types(cls: type) -> dict[str, tuple[type, ...]]:
    """The types each field of the dataclass ``cls`` allows, from its annotations (``float | None``: float, None)."""
    return dict(_allowed_types(cls))


def _is_bool(value: object) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"  # numpy.bool_ is no bool subclass


def _conform(value: object, kind: type) -> object:
    """``value`` as ``kind`` (numpy scalars become Python ones), or raise ValueError."""
    if kind is bool:
        if _is_bool(value):
            return bool(value)
    elif kind is int:
        if isinstance(value, numbers.Integral) and not _is_bool(value):
            return int(value)
    elif kind is float:
        if isinstance(value, numbers.Real) and not _is_bool(value) and math.isfinite(float(value)):
            return value if type(value) in (int, float) else float(value)
    elif isinstance(value, kind):
        return value
    raise ValueError(type(value).__name__)


def check_fields(obj: object, what: str) -> None:
    """Each field of the dataclass ``obj`` must hold its annotated type (or None where the type allows it).

    ``what`` names the group in messages, e.g. "Training setting". Numpy scalars are
    converted to Python numbers, so the settings always serialise to JSON.
    """
    for name, allowed in _allowed_types(type(obj)).items():
        value = getattr(obj, name)
        if value is None and type(None) in allowed:
            continue
        kinds = [k for k in allowed if k is not type(None)]
        for kind in kinds:
            try:
                object.__setattr__(obj, name, _conform(value, kind))
                break
            except ValueError:
                continue
        else:
            wanted = " or ".join(_KIND.get(k, getattr(k, "__name__", str(k))) for k in kinds)
            if type(None) in allowed:
                wanted += " (or empty)"
            if isinstance(value, float) and not math.isfinite(value):
                wanted = "a finite number"
            raise TextVAEError(f"{what} {name} must be {wanted}, not {value!r}.")


def check_range(what: str, name: str, value: float, low: float, high: float, low_open: bool = False) -> None:
    """``low <= value <= high`` (``low < value`` with ``low_open``), else a message giving the range."""
    if (value <= low if low_open else value < low) or value > high:
        interval = f"{'(' if low_open else '['}{_number(low)}, {_number(high)}]"
        raise TextVAEError(f"{what} {name}={value!r} is outside {interval}.")


def _number(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


_INVISIBLE = dict.fromkeys(
    [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200B, 0x200E, 0x200F, *range(0x202A, 0x202F)]
)
_INVISIBLE.update(dict.fromkeys([0x2060, *range(0x2066, 0x206A), 0xFEFF]))


def readable_name(name: str, fallback: str = "upload") -> str:
    """A file or model name fit to show: control characters (NUL included) and direction overrides, which can
    disguise a name ("report\u202etxt.exe"), removed; at most 120 characters; ``fallback`` if nothing is left."""
    cleaned = " ".join(str(name).translate(_INVISIBLE).split())[:120]
    return cleaned or fallback
