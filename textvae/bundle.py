"""Model bundles: a folder with model.safetensors, config.json, tokenizer.json, metrics.json,
and a single-file zip of it for download and upload.

Loading validates everything before allocating (sizes have upper bounds) and never
unpickles: weights are safetensors, everything else JSON.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes

from . import __version__
from .config import VAEConfig
from .errors import TextVAEError
from .latent_history import LatentHistory
from .metrics_schema import clean_metrics
from .model import SentenceVAE
from .safe_files import (
    ALLOWED_FILES,
    CONFIG,
    LATENT_HISTORY,
    METRICS,
    SHAPE,
    TOKENIZER,
    TRAINING_STATE,
    WEIGHTS,
    WORDS,
    check_bundle_files,
    read_bundle_folder,
    read_zip_file,
    read_zip_members,
)
from .sentence_shape import SentenceShape
from .tokenizer import TextTokenizer
from .word_guard import words_from_text, words_to_text

FORMAT = "textvae-bundle"
FORMAT_VERSION = 1


@dataclass
class ModelBundle:
    """A trained model with everything needed to use it."""

    model: SentenceVAE
    tokenizer: TextTokenizer
    metrics: dict = field(default_factory=dict)  # history, final metrics, corpus and training settings
    path: Path | None = None
    latent_history: LatentHistory | None = None  # the live map's frames, when training recorded them

    @property
    def config(self) -> VAEConfig:
        return self.model.config

    @property
    def name(self) -> str:
        name = self.metrics.get("name") if isinstance(self.metrics, dict) else None
        return str(name) if name else (self.path.name if self.path else "model")


# ---------------------------------------------------------------- saving


def save_bundle(
    bundle: ModelBundle,
    directory: str | Path,
    training_state: dict[str, torch.Tensor] | None = None,
    half: bool = False,
) -> Path:
    """Write the bundle atomically: into a temporary sibling folder, then renamed into place.

    ``half`` stores float weights as float16 (half the size; loading casts back to float32).
    """
    given = Path(directory)
    target = Path(os.path.abspath(given))  # "." and ".." get a real name to rename
    check_save_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; a saved model is an ordinary folder
        state = {k: v.detach().contiguous().cpu() for k, v in bundle.model.state_dict().items()}
        if half:
            state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
        (tmp / WEIGHTS).write_bytes(save_safetensors_bytes(state))
        config = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model": bundle.model.config.to_dict(),
            "textvae_version": __version__,
            "torch_version": torch.__version__,
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (tmp / CONFIG).write_text(json.dumps(config, indent=2))
        (tmp / TOKENIZER).write_text(bundle.tokenizer.to_json())
        (tmp / METRICS).write_text(json.dumps(bundle.metrics, indent=1, default=float))
        if bundle.tokenizer.words is not None:
            (tmp / WORDS).write_text(words_to_text(bundle.tokenizer.words), encoding="utf-8")
        if bundle.tokenizer.shape is not None:
            (tmp / SHAPE).write_text(bundle.tokenizer.shape.to_json(), encoding="utf-8")
        if bundle.latent_history is not None and len(bundle.latent_history):
            (tmp / LATENT_HISTORY).write_bytes(bundle.latent_history.to_bytes())
        if training_state:
            (tmp / TRAINING_STATE).write_bytes(
                save_safetensors_bytes({k: v.contiguous().cpu() for k, v in training_state.items()})
            )
        for f in tmp.iterdir():
            with open(f, "rb") as handle:
                os.fsync(handle.fileno())
        if target.exists():
            # Two renames: the old bundle is moved aside, not deleted, until the new one is in place.
            old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.time_ns()}")
            target.rename(old)
            try:
                tmp.rename(target)
            except BaseException:
                old.rename(target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    bundle.path = given
    return given


def safe_folder_name(name: str) -> str:
    """A model name as a folder name: letters, digits, dot, dash and underscore only."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")[:60]
    return cleaned or "model"


def new_bundle_folder(parent: str | Path, name: str) -> Path:
    """A new, empty folder for a bundle named after ``name`` and the time (``-2``, ``-3``... when taken).

    Made with an exclusive mkdir, so two people saving the same name in the same second get two folders;
    ``save_bundle`` then fills it (an empty folder may be replaced).
    """
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    base = f"{safe_folder_name(name)}-{time.strftime('%Y%m%d-%H%M%S')}"
    for n in range(1, 10_000):
        path = parent / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise TextVAEError(f"No free folder name for {base!r} in {parent}.")


def check_writable(target: Path) -> None:
    """Fail now, with a message, if a bundle could not be written at ``target`` (its nearest existing folder
    is read-only, or a path part is a file): the command line checks before minutes of training."""
    folder = Path(os.path.abspath(target)).parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise TextVAEError(f"Cannot write {target}: {folder} is not a writable folder. Choose another --out.")


def check_save_target(target: Path) -> None:
    """Only a model bundle (or an empty folder) may be replaced: never a user's file or folder."""
    if not target.exists():
        return
    if not target.is_dir():
        raise TextVAEError(
            f"{target} is a file, not a model bundle folder; choose another name so it is not overwritten."
        )
    foreign = sorted(p.name for p in target.iterdir() if p.name not in ALLOWED_FILES)
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise TextVAEError(
            f"{target} is a folder that is not a model bundle (it holds {shown}); "
            "choose a new folder so nothing is overwritten."
        )


def bundle_to_zip(directory: str | Path) -> bytes:
    """The bundle folder as one zip file (for download)."""
    if not (Path(directory) / CONFIG).is_file():
        raise TextVAEError(f"{directory} is not a model bundle folder (it has no {CONFIG}).")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(ALLOWED_FILES):
            path = Path(directory) / name
            if path.exists():
                zf.write(path, name)
    return buffer.getvalue()


# ---------------------------------------------------------------- loading


def _read_json(data: bytes, name: str) -> dict:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: bad JSON, or an integer of thousands of digits
        raise TextVAEError(f"{name} is not valid JSON: {str(exc)[:200]}") from exc
    except RecursionError as exc:
        raise TextVAEError(f"{name} is not valid JSON: it is nested too deeply.") from exc
    if not isinstance(value, dict):
        raise TextVAEError(f"{name} must hold a JSON object.")
    return value


def bundle_from_files(files: dict[str, bytes], path: Path | None = None) -> ModelBundle:
    """Validate and build a bundle from file contents. Checks sizes before building the model."""
    check_bundle_files(files)
    config = _read_json(files[CONFIG], CONFIG)
    if config.get("format") != FORMAT:
        raise TextVAEError(f"config.json is not a textvae bundle config (format is {config.get('format')!r}).")
    if config.get("format_version") != FORMAT_VERSION:
        raise TextVAEError(
            f"Bundle format version {config.get('format_version')!r} is not supported (expected {FORMAT_VERSION})."
        )
    if not isinstance(config.get("model"), dict):
        raise TextVAEError('config.json has no "model" object with the model settings.')
    model_config = VAEConfig.from_dict(config["model"])  # types and bounds checked here, before any allocation
    tokenizer = TextTokenizer.from_json(bytes(files[TOKENIZER]).decode("utf-8", errors="replace"))
    if tokenizer.vocab_size != model_config.vocab_size:
        raise TextVAEError(
            f"The tokenizer has {tokenizer.vocab_size} tokens but the model expects {model_config.vocab_size}; "
            "tokenizer.json and config.json come from different models."
        )
    try:
        weights = load_safetensors_bytes(bytes(files[WEIGHTS]))
    except (SafetensorError, ValueError, RuntimeError, TypeError) as exc:
        raise TextVAEError(f"model.safetensors is corrupt or not a safetensors file: {str(exc)[:200]}") from exc
    model = SentenceVAE(model_config)
    expected = model.state_dict()
    if set(weights) != set(expected):
        extra, absent = sorted(set(weights) - set(expected)), sorted(set(expected) - set(weights))
        raise TextVAEError(
            f"model.safetensors does not match config.json (missing: {', '.join(absent[:5]) or 'none'}; "
            f"unexpected: {', '.join(extra[:5]) or 'none'})."
        )
    state = {}
    for key, tensor in weights.items():
        if tensor.shape != expected[key].shape:
            raise TextVAEError(
                f"Weight {key} has shape {tuple(tensor.shape)} but config.json implies {tuple(expected[key].shape)}."
            )
        if tensor.is_floating_point() != expected[key].is_floating_point():
            raise TextVAEError(
                f"Weight {key} is stored as {str(tensor.dtype).removeprefix('torch.')}, but it must be "
                f"{'a floating-point' if expected[key].is_floating_point() else 'an integer'} tensor."
            )
        state[key] = tensor.to(expected[key].dtype)
        if state[key].is_floating_point() and not bool(torch.isfinite(state[key]).all()):
            raise TextVAEError(
                f"Weight {key} contains NaN or infinite values; the model is broken (training diverged?)."
            )
    model.load_state_dict(state)
    model.eval()
    metrics = clean_metrics(_read_json(files[METRICS], METRICS))
    if WORDS in files:
        tokenizer.words = words_from_text(bytes(files[WORDS]).decode("utf-8", errors="replace"))
    if SHAPE in files:
        tokenizer.shape = SentenceShape.from_json(bytes(files[SHAPE]).decode("utf-8", errors="replace"))
    history = None
    if LATENT_HISTORY in files:
        history = LatentHistory.from_bytes(bytes(files[LATENT_HISTORY]), model_config.latent_dim)
    return ModelBundle(model, tokenizer, metrics, path, history)


def load_bundle(directory: str | Path) -> ModelBundle:
    """Load a bundle folder (or a .zip of one)."""
    path = Path(directory)
    try:
        if path.is_file():
            return load_bundle_zip(read_zip_file(path))
        if not path.is_dir():
            raise TextVAEError(f"No model bundle at {path}: give a bundle folder or its .zip.")
        files = read_bundle_folder(path)
    except OSError as exc:
        raise TextVAEError(f"The model bundle at {path} could not be read: {exc.strerror or exc}.") from exc
    except ValueError as exc:  # e.g. a NUL character in the path
        raise TextVAEError(f"{str(path)!r} is not a valid path.") from exc
    return bundle_from_files(files, path)


def load_bundle_zip(data: bytes) -> ModelBundle:
    """Load a bundle from the bytes of its .zip (an upload)."""
    return bundle_from_files(read_zip_members(data))
