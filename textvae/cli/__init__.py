"""Command line: python -m textvae train|evaluate|sample|interpolate|reconstruct|encode|map|inspect|steer.

Every user error prints one line ("error: ...") and exits with status 2; no tracebacks.

    parser    the arguments; defaults and choices come from the settings dataclasses and presets
    commands  what each sub-command does (torch is imported only there, and only when needed)
    inspection  ``inspect``: what a corpus file becomes, before any training (no torch)
    report    ``report``: a self-contained HTML report of a model on a corpus
    steering  ``steer``: a sentence moved from one label towards another
"""

from __future__ import annotations

import contextlib
import io
import os
import sys

from ..errors import TextVAEError
from .commands import (
    cmd_encode,
    cmd_evaluate,
    cmd_interpolate,
    cmd_map,
    cmd_reconstruct,
    cmd_sample,
    cmd_train,
)
from .inspection import cmd_inspect
from .parser import build_parser, train_settings
from .report import cmd_report
from .steering import cmd_steer

__all__ = ["COMMANDS", "TextVAEError", "build_parser", "main", "train_settings"]

COMMANDS = {
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "sample": cmd_sample,
    "interpolate": cmd_interpolate,
    "reconstruct": cmd_reconstruct,
    "encode": cmd_encode,
    "map": cmd_map,
    "inspect": cmd_inspect,
    "report": cmd_report,
    "steer": cmd_steer,
}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    """Run one command. Every failure prints exactly one line, "error: ...", and returns non-zero.

    Under torchrun (``train`` in several processes) only rank 0 prints progress and the errors every process
    meets alike (a bad argument or file); the others print only an unexpected error."""
    follower = os.environ.get("RANK", "0") != "0"
    try:
        with contextlib.redirect_stderr(io.StringIO()) if follower else contextlib.nullcontext():
            args = build_parser().parse_args(argv)
            return COMMANDS[args.command](args)
    except TextVAEError as exc:
        if not follower:
            print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except (OSError, MemoryError) as exc:
        print(f"error: {exc.__class__.__name__}: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("TEXTVAE_DEBUG"):
            raise
        print(
            f"error: internal error ({exc.__class__.__name__}: {_one_line(exc)[:300]}); this is a bug in textvae, "
            "please report it (set TEXTVAE_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 70
