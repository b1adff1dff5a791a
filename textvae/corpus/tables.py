"""CSV/TSV files: rows read, the text column and the optional label column chosen."""

from __future__ import annotations

import csv
import io

from ..errors import TextVAEError

TABLE_DELIMITERS = {".csv": ",", ".tsv": "\t"}  # the table file types, by suffix
TEXT_COLUMN_NAMES = ("text", "sentence", "sentences", "review", "content", "body", "message", "utterance")
LABEL_COLUMN_NAMES = ("label", "labels", "class", "category", "sentiment", "target")


def read_table(
    text: str, delimiter: str, text_column: str | None, label_column: str | None
) -> tuple[list[str], list[str] | None, list[str]]:
    """Rows of a CSV/TSV -> (texts, labels, warnings). Ragged rows are skipped and counted."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise TextVAEError(
                f"A field of the table is longer than {csv.field_size_limit():,} characters; "
                "check the quotes (an unclosed quote swallows the rest of the file)."
            ) from exc
        raise TextVAEError(f"The table could not be parsed: {exc}.") from exc
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise TextVAEError("The table is empty.")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    width = len(header)
    good = [r for r in body if len(r) == width]
    warnings = []
    if len(good) < len(body):
        warnings.append(
            f"Skipped {len(body) - len(good)} rows whose number of fields differs from the header's {width}."
        )
    if not good:
        raise TextVAEError(f"The table has a header ({', '.join(header)}) but no complete rows.")
    columns = {name: [r[i] for r in good] for i, name in enumerate(header)}
    text_col = choose_text_column(columns, text_column)
    label_col = choose_label_column(columns, label_column, text_col)
    return columns[text_col], (columns[label_col] if label_col else None), warnings


def _is_number(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


def choose_text_column(columns: dict[str, list[str]], wanted: str | None) -> str:
    """The named column, else one named like "text", else the column with the longest strings."""
    names = list(columns)
    if wanted:
        if wanted not in columns:
            raise TextVAEError(f"The table has no column {wanted!r}; its columns are: {', '.join(names)}.")
        values = [v for v in columns[wanted] if v.strip()]
        if values and sum(_is_number(v) for v in values) / len(values) > 0.9:
            raise TextVAEError(f"Column {wanted!r} holds numbers, not text. Pick a column of sentences.")
        return wanted
    for name in names:
        if name.lower() in TEXT_COLUMN_NAMES:
            return name
    textual = [
        n
        for n in names
        if columns[n] and sum(_is_number(v) or not v.strip() for v in columns[n]) / len(columns[n]) < 0.5
    ]
    if not textual:
        raise TextVAEError(f"No column holds text (columns: {', '.join(names)}). Name the text column.")
    best = max(textual, key=lambda n: sum(len(v) for v in columns[n]) / len(columns[n]))
    if sum(len(v.split()) for v in columns[best]) / len(columns[best]) < 2:
        raise TextVAEError(f"No column holds sentences (columns: {', '.join(names)}). Name the text column.")
    return best


def choose_label_column(columns: dict[str, list[str]], wanted: str | None, text_col: str) -> str | None:
    """The named column ("" means none), else the first other than ``text_col`` named like "label", else None."""
    if wanted == "":
        return None
    if wanted:
        if wanted not in columns:
            raise TextVAEError(f"The table has no column {wanted!r}; its columns are: {', '.join(columns)}.")
        return wanted
    for name in columns:
        if name != text_col and name.lower() in LABEL_COLUMN_NAMES:
            return name
    return None
