"""Model bundles: a folder with model.safetensors, config.json, tokenizer.json, metrics.json,
and a single-file zip of it for download and upload.

Loading validates everything before allocating (sizes have upper bounds) and never
unpickles: weights are safetensors, everything else JSON.
"""

from __future__ import annotations

import io
import json
import lzma
import os
import pickletools
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
WEIGHTS, CONFIG, TOKENIZER, METRICS, TRAINING_STATE = (
    "model.safetensors",
    "config.json",
    "tokenizer.json",
    "metrics.json",
    "training_state.safetensors",
)
REQUIRED_FILES = (WEIGHTS, CONFIG, TOKENIZER, METRICS)
ALLOWED_FILES = set(REQUIRED_FILES) | {TRAINING_STATE}
MAX_FILE_BYTES = {
    WEIGHTS: 700 * 2**20,
    CONFIG: 2**20,
    TOKENIZER: 64 * 2**20,
    METRICS: 32 * 2**20,
    TRAINING_STATE: 1400 * 2**20,
}
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
    tmp.chmod(0o755)  # mkdtemp makes it private; a bundle folder is ordinary data
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
            f"{target} is a folder that is not a model bundle (it holds {shown}); choose a new folder so nothing is overwritten."
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


def _looks_like_safetensors(data: bytes) -> bool:
    """An 8-byte little-endian header length, then a JSON object that fits in the file."""
    return len(data) >= 10 and data[8:9] == b"{" and int.from_bytes(data[:8], "little") <= len(data) - 8


def _parses_as_pickle(data: bytes) -> bool:
    """Whether the start of ``data`` is a complete pickle, found by parsing its opcodes (never running them)."""
    try:
        return any(opcode.name == "STOP" for opcode, _, _ in pickletools.genops(io.BytesIO(data[:65536])))
    except Exception:
        return False


def _refuse_pickle(data: bytes, name: str) -> None:
    """Refuse pickles (torch.save files of any age, raw pickles of any protocol) by their bytes, without loading them."""
    torch_zip = data.startswith(b"PK\x03\x04") and b"data.pkl" in data[:4096]
    # A safetensors header length such as 640 (b"\x80\x02\0...") starts like a pickle: look closer before refusing.
    raw = (
        not data.startswith((b"PK", b"{"))
        and not _looks_like_safetensors(data)
        and (data[:2] in _PICKLE_STARTS or _parses_as_pickle(data))
    )
    if torch_zip or raw:
        raise TextVAEError(
            f"{name} is a pickle (PyTorch .pt) file. Pickles can run code when loaded, so they are refused; use a textvae bundle (.zip)."
        )


def bundle_from_files(files: dict[str, bytes], path: Path | None = None) -> ModelBundle:
    """Validate and build a bundle from file contents. Checks sizes before building the model."""
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, (bytes, bytearray)) for k, v in files.items()
    ):
        raise TextVAEError("A bundle is given as a mapping of file names to file contents (bytes).")
    for name, data in files.items():
        _refuse_pickle(data, name)
    unexpected = sorted(set(files) - ALLOWED_FILES)
    if unexpected:
        raise TextVAEError(
            f"Unexpected file {unexpected[0]!r} in the bundle; a bundle holds only {', '.join(sorted(ALLOWED_FILES))}."
        )
    missing = [n for n in REQUIRED_FILES if n not in files]
    if missing:
        raise TextVAEError(f"The bundle is missing {', '.join(missing)}; is this a textvae model bundle?")
    for name, data in files.items():
        if len(data) > MAX_FILE_BYTES[name]:
            raise TextVAEError(
                f"{name} is {len(data) / 2**20:.0f} MB, over the {MAX_FILE_BYTES[name] / 2**20:.0f} MB limit."
            )
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
            f"model.safetensors does not match config.json (missing: {', '.join(absent[:5]) or 'none'}; unexpected: {', '.join(extra[:5]) or 'none'})."
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
    metrics = _read_json(files[METRICS], METRICS)
    return ModelBundle(model, tokenizer, metrics, path)


def load_bundle(directory: str | Path) -> ModelBundle:
    """Load a bundle folder (or a .zip of one)."""
    path = Path(directory)
    try:
        if path.is_file():
            return load_bundle_zip(_read_zip_file(path))
        if not path.is_dir():
            raise TextVAEError(f"No model bundle at {path}: give a bundle folder or its .zip.")
        for f in path.iterdir():
            if f.suffix in (".pt", ".pth", ".pkl", ".bin", ".ckpt") and f.is_file():
                raise TextVAEError(f"{f.name} looks like a pickle checkpoint; textvae only loads safetensors bundles.")
        files = {}
        for name in sorted(ALLOWED_FILES):
            file = path / name
            if file.is_file():
                if file.stat().st_size > MAX_FILE_BYTES[name]:
                    raise TextVAEError(
                        f"{name} is {file.stat().st_size / 2**20:.0f} MB, over the {MAX_FILE_BYTES[name] / 2**20:.0f} MB limit."
                    )
                files[name] = file.read_bytes()
    except OSError as exc:
        raise TextVAEError(f"The model bundle at {path} could not be read: {exc.strerror or exc}.") from exc
    except ValueError as exc:  # e.g. a NUL character in the path
        raise TextVAEError(f"{str(path)!r} is not a valid path.") from exc
    return bundle_from_files(files, path)


def _read_zip_file(path: Path) -> bytes:
    """The bytes of a zipped bundle on disk; anything else (a pickle, a text file) is refused before it is read in full."""
    with path.open("rb") as handle:
        head = handle.read(65536)
        if not head.startswith(b"PK"):
            _refuse_pickle(head, path.name)
            raise TextVAEError(f"{path.name} is not a model bundle: give the bundle folder or its .zip.")
        size = path.stat().st_size
        if size > MAX_ZIP_BYTES:
            raise TextVAEError(
                f"{path.name} is {size / 2**20:.0f} MB, over the {MAX_ZIP_BYTES / 2**20:.0f} MB limit for a bundle."
            )
        return head + handle.read()  # no size argument: read(n) would reserve n bytes up front


def read_zip_members(data: bytes) -> dict[str, bytes]:
    """Bundle files from zip bytes, refusing path escapes, unknown members and zip bombs."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TextVAEError(f"A zipped bundle is given as bytes, not {type(data).__name__}.")
    data = bytes(data)
    _refuse_pickle(data, "The upload")
    if len(data) > MAX_ZIP_BYTES:
        raise TextVAEError(f"The zip is {len(data) / 2**20:.0f} MB, over the {MAX_ZIP_BYTES / 2**20:.0f} MB limit.")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise TextVAEError("This is not a valid zip file (it may be truncated or corrupted).") from exc
    files: dict[str, bytes] = {}
    with zf:
        infos = zf.infolist()
        if len(infos) > 20:
            raise TextVAEError(f"The zip holds {len(infos)} entries; a bundle has at most {len(ALLOWED_FILES)}.")
        total = 0
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or ".." in Path(name).parts or ".." in name.split("\\") or ":" in name:
                raise TextVAEError(f"The zip entry {name!r} points outside the bundle folder; refused.")
            if info.is_dir():
                continue
            base = Path(name).name
            if base not in ALLOWED_FILES:
                if base.endswith((".pt", ".pth", ".pkl", ".bin", ".ckpt")):
                    raise TextVAEError(
                        f"The zip holds {base}, a pickle checkpoint; textvae only loads safetensors bundles."
                    )
                raise TextVAEError(
                    f"Unexpected file {name!r} in the zip; a bundle holds only {', '.join(sorted(ALLOWED_FILES))}."
                )
            if base in files:
                raise TextVAEError(f"The zip holds {base} twice; a bundle has one of each file.")
            if info.file_size > MAX_FILE_BYTES[base]:
                raise TextVAEError(
                    f"{base} would unpack to {info.file_size / 2**20:.0f} MB, over its limit (a zip bomb?)."
                )
            total += info.file_size
            if total > MAX_ZIP_BYTES:
                raise TextVAEError(
                    f"The zip would unpack to over {MAX_ZIP_BYTES / 2**20:.0f} MB (a zip bomb?); refused."
                )
            if info.file_size > 1024 and info.file_size > 200 * max(info.compress_size, 1):
                raise TextVAEError(
                    f"{base} is compressed {info.file_size / max(info.compress_size, 1):.0f}x, which looks like a zip bomb; refused."
                )
            try:
                with zf.open(info) as handle:
                    content = handle.read(MAX_FILE_BYTES[base] + 1)
            except NotImplementedError as exc:  # before RuntimeError, its base class
                raise TextVAEError(
                    f"{base} in the zip uses a compression method that is not supported; use ordinary (deflate) zip."
                ) from exc
            except RuntimeError as exc:  # zipfile's way to say "encrypted"
                raise TextVAEError(f"{base} in the zip is encrypted; zip the bundle without a password.") from exc
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
                raise TextVAEError(f"{base} in the zip is corrupted: {str(exc)[:200]}") from exc
            if len(content) > MAX_FILE_BYTES[base]:
                raise TextVAEError(f"{base} is over its size limit.")
            files[base] = content
    return files


def load_bundle_zip(data: bytes) -> ModelBundle:
    """Load a bundle from the bytes of its .zip (an upload)."""
    return bundle_from_files(read_zip_members(data))
