"""File bytes -> text: byte-order marks, UTF-8, UTF-16 without a BOM, the cp1252 fallback, and binary files refused."""

from __future__ import annotations

import unicodedata

from ..errors import TextVAEError
from ..safe_files import PICKLE_STARTS

_UPLOAD_HINT = "Upload a .txt, .md, .csv or .tsv file."
_BINARY_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"PK\x03\x04": "a zip archive",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"\x7fELF": "a program (ELF binary)",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    **dict.fromkeys(PICKLE_STARTS, "a Python pickle"),
}


def decode_bytes(data: bytes) -> tuple[str, str, list[str]]:
    """Decode file bytes: BOM-marked UTF-8/UTF-16, then UTF-8, then cp1252 with a warning.

    Returns (text, encoding, warnings); binary files (images, archives, pickles, NUL bytes) are refused.
    """
    warnings: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        text, encoding = data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(data):
        encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else _utf16_without_bom(data)
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise TextVAEError(
                "The file looks like UTF-16 text but is not valid UTF-16; save it as UTF-8 and upload it again."
            ) from exc
    else:
        for magic, what in _BINARY_MAGIC.items():
            if data.startswith(magic):
                raise TextVAEError(f"This looks like {what}, not text. {_UPLOAD_HINT}")
        if b"\x00" in data[:65536]:
            raise TextVAEError(f"This looks like a binary file (it contains NUL bytes), not text. {_UPLOAD_HINT}")
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = data.decode("cp1252", errors="replace"), "cp1252"
            warnings.append(
                "The file is not valid UTF-8; it was read as Windows-1252 (cp1252). Check accented letters."
            )
    sample = text[:65536]
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t")
    if sample and controls / len(sample) > 0.05:
        raise TextVAEError(f"This looks like a binary file (many control characters), not text. {_UPLOAD_HINT}")
    return text, encoding, warnings


def _utf16_without_bom(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" when every other byte is NUL, as in ASCII text saved as UTF-16 without a BOM."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None
