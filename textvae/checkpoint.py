"""Model bundles: a folder with model.safetensors, config.json, tokenizer.json, metrics.json,
and a single-file zip of it for download and upload.

Loading validates everything before allocating (sizes have upper bounds) and never
unpickles: weights are safetensors, everything else JSON.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes

from . import __version__
from .errors import TextVAEError
from .model import SentenceVAE, VAEConfig
from .tokenizer import TextTokenizer

FORMAT = "textvae-bundle"
FORMAT_VERSION = 1
WEIGHTS, CONFIG, TOKENIZER, METRICS, TRAINING_STATE = "model.safetensors", "config.json", "tokenizer.json", "metrics.json", "training_state.safetensors"
REQUIRED_FILES = (WEIGHTS, CONFIG, TOKENIZER, METRICS)
ALLOWED_FILES = set(REQUIRED_FILES) | {TRAINING_STATE}
MAX_FILE_BYTES = {WEIGHTS: 700 * 2**20, CONFIG: 2**20, TOKENIZER: 64 * 2**20, METRICS: 32 * 2**20, TRAINING_STATE: 1400 * 2**20}
MAX_ZIP_BYTES = 800 * 2**20
_PICKLE_STARTS = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


@dataclass
class ModelBundle:
    """A trained model with everything needed to use it."""

    model: SentenceVAE
    tokenizer: TextTokenizer
    metrics: dict = field(default_factory=dict)  # history, final metrics, corpus and training settings
    path: Path | None = None

    @property
    def config(self) -> VAEConfig:
        return self.model.config

    @property
    def name(self) -> str:
        return self.metrics.get("name") or (self.path.name if self.path else "model")


# ---------------------------------------------------------------- saving

def save_bundle(bundle: ModelBundle, directory: str | Path, training_state: dict[str, torch.Tensor] | None = None, half: bool = False) -> Path:
    """Write the bundle atomically: into a temporary sibling folder, then renamed into place.

    ``half`` stores float weights as float16 (half the size; loading casts back to float32).
    """
    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
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
        if training_state:
            (tmp / TRAINING_STATE).write_bytes(save_safetensors_bytes({k: v.contiguous().cpu() for k, v in training_state.items()}))
        for f in tmp.iterdir():
            with open(f, "rb") as handle:
                os.fsync(handle.fileno())
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.time_ns()}")
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    bundle.path = target
    return target


def bundle_to_zip(directory: str | Path) -> bytes:
    """The bundle folder as one zip file (for download)."""
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
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TextVAEError(f"{name} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise TextVAEError(f"{name} must hold a JSON object.")
    return value


def _refuse_pickle(data: bytes, name: str) -> None:
    if data[:2] in _PICKLE_STARTS or data.startswith(b"PK\x03\x04") and b"data.pkl" in data[:4096]:
        raise TextVAEError(f"{name} is a pickle (PyTorch .pt) file. Pickles can run code when loaded, so they are refused; use a textvae bundle (.zip).")


def bundle_from_files(files: dict[str, bytes], path: Path | None = None) -> ModelBundle:
    """Validate and build a bundle from file contents. Checks sizes before building the model."""
    for name, data in files.items():
        _refuse_pickle(data, name)
    missing = [n for n in REQUIRED_FILES if n not in files]
    if missing:
        raise TextVAEError(f"The bundle is missing {', '.join(missing)}.")
    for name, data in files.items():
        if len(data) > MAX_FILE_BYTES.get(name, 0):
            raise TextVAEError(f"{name} is {len(data) / 2**20:.0f} MB, over the {MAX_FILE_BYTES.get(name, 0) / 2**20:.0f} MB limit.")
    config = _read_json(files[CONFIG], CONFIG)
    if config.get("format") != FORMAT:
        raise TextVAEError(f"config.json is not a textvae bundle config (format is {config.get('format')!r}).")
    if config.get("format_version") != FORMAT_VERSION:
        raise TextVAEError(f"Bundle format version {config.get('format_version')!r} is not supported (expected {FORMAT_VERSION}).")
    model_config = VAEConfig.from_dict(config.get("model"))  # bounds checked here, before any allocation
    tokenizer = TextTokenizer.from_json(files[TOKENIZER].decode("utf-8", errors="replace"))
    if tokenizer.vocab_size != model_config.vocab_size:
        raise TextVAEError(f"The tokenizer has {tokenizer.vocab_size} tokens but the model expects {model_config.vocab_size}.")
    try:
        weights = load_safetensors_bytes(files[WEIGHTS])
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise TextVAEError(f"model.safetensors is corrupt or not a safetensors file: {str(exc)[:200]}") from exc
    model = SentenceVAE(model_config)
    expected = model.state_dict()
    if set(weights) != set(expected):
        extra, absent = sorted(set(weights) - set(expected)), sorted(set(expected) - set(weights))
        raise TextVAEError(f"model.safetensors does not match config.json (missing: {', '.join(absent[:5]) or 'none'}; unexpected: {', '.join(extra[:5]) or 'none'}).")
    for key, tensor in weights.items():
        if tensor.shape != expected[key].shape:
            raise TextVAEError(f"Weight {key} has shape {tuple(tensor.shape)} but config.json implies {tuple(expected[key].shape)}.")
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise TextVAEError(f"Weight {key} contains NaN or infinite values.")
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in weights.items()})
    model.eval()
    metrics = _read_json(files[METRICS], METRICS)
    return ModelBundle(model, tokenizer, metrics, path)


def load_bundle(directory: str | Path) -> ModelBundle:
    """Load a bundle folder (or a .zip of one)."""
    path = Path(directory)
    if path.is_file():
        return load_bundle_zip(path.read_bytes())
    if not path.is_dir():
        raise TextVAEError(f"No model bundle at {path}.")
    files = {name: (path / name).read_bytes() for name in ALLOWED_FILES if (path / name).is_file()}
    for f in path.iterdir():
        if f.suffix in (".pt", ".pth", ".pkl", ".bin", ".ckpt") and f.is_file():
            raise TextVAEError(f"{f.name} looks like a pickle checkpoint; textvae only loads safetensors bundles.")
    for name in ALLOWED_FILES:
        if (path / name).is_file() and (path / name).stat().st_size > MAX_FILE_BYTES[name]:
            raise TextVAEError(f"{name} is over its size limit.")
    return bundle_from_files(files, path)


def read_zip_members(data: bytes) -> dict[str, bytes]:
    """Bundle files from zip bytes, refusing path escapes, unknown members and zip bombs."""
    _refuse_pickle(data, "The upload")
    if len(data) > MAX_ZIP_BYTES:
        raise TextVAEError(f"The zip is {len(data) / 2**20:.0f} MB, over the {MAX_ZIP_BYTES / 2**20:.0f} MB limit.")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise TextVAEError("This is not a valid zip file (it may be truncated or corrupted).") from exc
    files: dict[str, bytes] = {}
    with zf:
        infos = zf.infolist()
        if len(infos) > 20:
            raise TextVAEError(f"The zip holds {len(infos)} entries; a bundle has at most {len(ALLOWED_FILES)}.")
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or ".." in Path(name).parts or ":" in name:
                raise TextVAEError(f"The zip entry {name!r} points outside the bundle folder; refused.")
            if info.is_dir():
                continue
            base = Path(name).name
            if base not in ALLOWED_FILES:
                if base.endswith((".pt", ".pth", ".pkl", ".bin", ".ckpt")):
                    raise TextVAEError(f"The zip holds {base}, a pickle checkpoint; textvae only loads safetensors bundles.")
                raise TextVAEError(f"Unexpected file {name!r} in the zip; a bundle holds only {', '.join(sorted(ALLOWED_FILES))}.")
            if info.file_size > MAX_FILE_BYTES[base]:
                raise TextVAEError(f"{base} would unpack to {info.file_size / 2**20:.0f} MB, over its limit (a zip bomb?).")
            if info.compress_size and info.file_size / info.compress_size > 200:
                raise TextVAEError(f"{base} is compressed {info.file_size / info.compress_size:.0f}x, which looks like a zip bomb; refused.")
            try:
                with zf.open(info) as handle:
                    content = handle.read(MAX_FILE_BYTES[base] + 1)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                raise TextVAEError(f"{base} in the zip is corrupted: {exc}") from exc
            if len(content) > MAX_FILE_BYTES[base]:
                raise TextVAEError(f"{base} is over its size limit.")
            files[base] = content
    return files


def load_bundle_zip(data: bytes) -> ModelBundle:
    return bundle_from_files(read_zip_members(data))
