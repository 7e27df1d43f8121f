"""Search SQLite database files for plain-text secrets (issue 8 §3: "the offline DB holds no
plain-text secrets").

:func:`secrets_found` opens the file with ``sqlite3`` and looks at every value of every
column of every table — text as it is, blobs as they are and zstd-decompressed (data package
bodies) — and then at the raw bytes of the file and of its ``-wal`` (free pages included).
Returns ``"<where>: <secret name>"`` for each hit.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import zstandard


def _texts(value: object) -> list[bytes]:
    if isinstance(value, str):
        return [value.encode("utf-8")]
    if isinstance(value, bytes):
        out = [value]
        with contextlib.suppress(zstandard.ZstdError):  # not a package body
            out.append(zstandard.ZstdDecompressor().decompress(value, max_output_size=1 << 28))
        return out
    return []


def columns_scanned(path: Path) -> int:
    """How many table columns the file has (to show the scan covered something)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL")]
        return sum(len(db.execute(f'SELECT * FROM "{t}" LIMIT 0').description) for t in tables)
    finally:
        db.close()


def secrets_found(path: Path, secrets: dict[str, str]) -> list[str]:
    """Where the ``secrets`` (name → plain value) occur in the database file (docstring)."""
    needles = {name: value.encode("utf-8") for name, value in secrets.items()}
    hits: list[str] = []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL")]
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            for row in cursor:
                for column, value in zip(names, row, strict=True):
                    for text in _texts(value):
                        hits += [f"{table}.{column}: {n}" for n, v in needles.items()
                                 if v in text]
    finally:
        db.close()
    for file in (path, path.with_name(path.name + "-wal")):
        if file.exists():
            raw = file.read_bytes()
            hits += [f"{file.name} bytes: {n}" for n, v in needles.items() if v in raw]
    return sorted(set(hits))
