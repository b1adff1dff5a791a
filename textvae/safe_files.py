"""What a model bundle may hold, and the checks that keep unsafe files out before anything is built.

Pickles (PyTorch ``.pt`` files of any age, raw pickles of any protocol) can run code when loaded: they
are refused by their name and their bytes, never unpickled. Zips are checked member by member for
path escapes, unknown files and zip bombs; every file has a size limit checked before it is read.
No torch here: the corpus reader uses the pickle signatures too.
"""

from __future__ import annotations

import io
import lzma
import pickletools
import zipfile
import zlib
from pathlib import Path

from .errors import TextVAEError

WEIGHTS, CONFIG, TOKENIZER, METRICS, TRAINING_STATE, LATENT_HISTORY, WORDS, SHAPE = (
    "model.safetensors",
    "config.json",
    "tokenizer.json",
    "metrics.json",
    "training_state.safetensors",
    "latent_history.safetensors",  # the live map's frames, to replay the training (textvae.latent_history)
    "words.txt",  # the words of the training text, for the display guard (textvae.word_guard)
    "shape.json",  # how the training text's sentences begin, end and are punctuated, for the display
)
REQUIRED_FILES = (WEIGHTS, CONFIG, TOKENIZER, METRICS)
ALLOWED_FILES = set(REQUIRED_FILES) | {TRAINING_STATE, LATENT_HISTORY, WORDS, SHAPE}
MAX_FILE_BYTES = {
    WEIGHTS: 700 * 2**20,
    CONFIG: 2**20,
    TOKENIZER: 64 * 2**20,
    METRICS: 32 * 2**20,
    TRAINING_STATE: 1400 * 2**20,
    LATENT_HISTORY: 64 * 2**20,
    WORDS: 32 * 2**20,
    SHAPE: 2**20,
}
MAX_ZIP_BYTES = 800 * 2**20
MAX_ZIP_ENTRIES = 20
MAX_COMPRESSION_RATIO = 200  # a member that unpacks to more than this many times its packed size is a zip bomb

PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".bin", ".ckpt")  # file names of pickled checkpoints
PICKLE_STARTS = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")  # PROTO opcode, protocols 2-5


def _mb(size: int) -> str:
    return f"{size / 2**20:.0f} MB"


def check_file_size(name: str, size: int) -> None:
    """Refuse a bundle file over its limit in :data:`MAX_FILE_BYTES`."""
    if size > MAX_FILE_BYTES[name]:
        raise TextVAEError(f"{name} is {_mb(size)}, over the {_mb(MAX_FILE_BYTES[name])} limit.")


def _looks_like_safetensors(data: bytes) -> bool:
    """An 8-byte little-endian header length, then a JSON object that fits in the file."""
    return len(data) >= 10 and data[8:9] == b"{" and int.from_bytes(data[:8], "little") <= len(data) - 8


def _parses_as_pickle(data: bytes) -> bool:
    """Whether the start of ``data`` is a complete pickle, found by parsing its opcodes (never running them)."""
    try:
        return any(opcode.name == "STOP" for opcode, _, _ in pickletools.genops(io.BytesIO(data[:65536])))
    except Exception:
        return False


def refuse_pickle(data: bytes, name: str) -> None:
    """Refuse pickles (torch.save files of any age, raw pickles of any protocol) by their bytes, never loading them."""
    torch_zip = data.startswith(b"PK\x03\x04") and b"data.pkl" in data[:4096]
    # A safetensors header length such as 640 (b"\x80\x02\0...") starts like a pickle: look closer before refusing.
    raw = (
        not data.startswith((b"PK", b"{"))
        and not _looks_like_safetensors(data)
        and (data[:2] in PICKLE_STARTS or _parses_as_pickle(data))
    )
    if torch_zip or raw:
        raise TextVAEError(
            f"{name} is a pickle (PyTorch .pt) file. Pickles can run code when loaded, so they are refused; "
            "use a textvae bundle (.zip)."
        )


def check_bundle_files(files: dict[str, bytes]) -> None:
    """The file set of a bundle: bytes only, no pickles, no unknown files, none missing, none over its limit."""
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, (bytes, bytearray)) for k, v in files.items()
    ):
        raise TextVAEError("A bundle is given as a mapping of file names to file contents (bytes).")
    for name, data in files.items():
        refuse_pickle(data, name)
    unexpected = sorted(set(files) - ALLOWED_FILES)
    if unexpected:
        raise TextVAEError(
            f"Unexpected file {unexpected[0]!r} in the bundle; a bundle holds only {', '.join(sorted(ALLOWED_FILES))}."
        )
    missing = [n for n in REQUIRED_FILES if n not in files]
    if missing:
        raise TextVAEError(f"The bundle is missing {', '.join(missing)}; is this a textvae model bundle?")
    for name, data in files.items():
        check_file_size(name, len(data))


def read_bundle_folder(path: Path) -> dict[str, bytes]:
    """The bundle files of a folder, refusing pickle checkpoints in it and files over their limit before reading."""
    for f in path.iterdir():
        if f.suffix in PICKLE_SUFFIXES and f.is_file():
            raise TextVAEError(f"{f.name} looks like a pickle checkpoint; textvae only loads safetensors bundles.")
    files = {}
    for name in sorted(ALLOWED_FILES):
        file = path / name
        if file.is_file():
            check_file_size(name, file.stat().st_size)
            files[name] = file.read_bytes()
    return files


def read_zip_file(path: Path) -> bytes:
    """The bytes of a zipped bundle on disk; anything else (a pickle, a text file) is refused before a full read."""
    with path.open("rb") as handle:
        head = handle.read(65536)
        if not head.startswith(b"PK"):
            refuse_pickle(head, path.name)
            raise TextVAEError(f"{path.name} is not a model bundle: give the bundle folder or its .zip.")
        size = path.stat().st_size
        if size > MAX_ZIP_BYTES:
            raise TextVAEError(f"{path.name} is {_mb(size)}, over the {_mb(MAX_ZIP_BYTES)} limit for a bundle.")
        return head + handle.read()  # no size argument: read(n) would reserve n bytes up front


def read_zip_members(data: bytes) -> dict[str, bytes]:
    """Bundle files from zip bytes, refusing path escapes, unknown members and zip bombs."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TextVAEError(f"A zipped bundle is given as bytes, not {type(data).__name__}.")
    data = bytes(data)
    refuse_pickle(data, "The upload")
    if len(data) > MAX_ZIP_BYTES:
        raise TextVAEError(f"The zip is {_mb(len(data))}, over the {_mb(MAX_ZIP_BYTES)} limit.")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise TextVAEError("This is not a valid zip file (it may be truncated or corrupted).") from exc
    files: dict[str, bytes] = {}
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise TextVAEError(f"The zip holds {len(infos)} entries; a bundle has at most {len(ALLOWED_FILES)}.")
        total = 0
        for info in infos:
            if info.is_dir():
                _check_member_name(info.filename)
                continue
            base = _check_member_name(info.filename)
            if base in files:
                raise TextVAEError(f"The zip holds {base} twice; a bundle has one of each file.")
            total += info.file_size
            _check_member_size(info, base, total)
            files[base] = _read_member(zf, info, base)
    return files


def _check_member_name(name: str) -> str:
    """The member's file name, if it is inside the bundle folder and a bundle file."""
    if name.startswith(("/", "\\")) or ".." in Path(name).parts or ".." in name.split("\\") or ":" in name:
        raise TextVAEError(f"The zip entry {name!r} points outside the bundle folder; refused.")
    base = Path(name).name
    if name.endswith("/") or base in ALLOWED_FILES:
        return base
    if base.endswith(PICKLE_SUFFIXES):
        raise TextVAEError(f"The zip holds {base}, a pickle checkpoint; textvae only loads safetensors bundles.")
    raise TextVAEError(f"Unexpected file {name!r} in the zip; a bundle holds only {', '.join(sorted(ALLOWED_FILES))}.")


def _check_member_size(info: zipfile.ZipInfo, base: str, total: int) -> None:
    """Sizes as the zip declares them, before unpacking: the file's limit, the total, the compression ratio."""
    if info.file_size > MAX_FILE_BYTES[base]:
        raise TextVAEError(f"{base} would unpack to {_mb(info.file_size)}, over its limit (a zip bomb?).")
    if total > MAX_ZIP_BYTES:
        raise TextVAEError(f"The zip would unpack to over {_mb(MAX_ZIP_BYTES)} (a zip bomb?); refused.")
    if info.file_size > 1024 and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        raise TextVAEError(f"{base} is compressed {ratio:.0f}x, which looks like a zip bomb; refused.")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, base: str) -> bytes:
    """The member's bytes, reading at most one byte past its limit (the declared size may lie)."""
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
    return content
