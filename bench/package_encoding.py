"""Package body encoding on the real full snapshot: msgpack + zstd (format v1) vs JSON + gzip
and JSON + zstd (issue 3 §4: "a compact binary or compressed encoding (measure; pick with
numbers)").

Input: the snapshot content of one store's channel data group after importing The Complete
Journey into a fresh SQLite HQ (untimed): 92,331 products, 68,165 prices, 2,469 customers …
≈ 163,000 rows, read by :func:`kassa.hq.distribution.changes.read_full`.

Each codec encodes the same document (the package format's dict) and decodes it back;
timed ``RUNS`` times alternately after a warm-up, median. Figures (one per baseline):
``kassa_s`` = msgpack+zstd encode + decode seconds, ``baseline_s`` = the other codec's,
target ratio ≤ 1.0; extra keys carry the body sizes in bytes and the split encode/decode
times. ``met`` also requires the Kassa body to be the smaller one.
"""

from __future__ import annotations

import gzip
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack
import zstandard
from sqlalchemy import select

from kassa.config import sqlite_url
from kassa.db import hq_schema as s
from kassa.db.migrate import prepare_database
from kassa.hq.distribution.changes import read_full
from kassa.hq.distribution.jobs import ALL_JOB_IDS, tables_of
from kassa.hq.importer import run_import
from kassa.sync.package import FORMAT_VERSION, ZSTD_LEVEL

RUNS = 5
TARGET = 1.0
GZIP_LEVEL = 6  # zlib's default: the usual speed/size trade-off
Codec = tuple[Callable[[dict[str, Any]], bytes], Callable[[bytes], Any]]


def real_snapshot_doc(workdir: Path) -> dict[str, Any]:
    """Import the real catalogue into ``workdir/hq.sqlite`` and return the snapshot document
    of the first store's data group (the dict the package format encodes)."""
    engine = prepare_database(sqlite_url(workdir / "hq.sqlite"), "hq")
    try:
        run_import(engine)
        with engine.connect() as conn:
            group = conn.execute(select(s.data_groups.c.id).order_by(s.data_groups.c.id)).scalar()
            assert group is not None
            tables = read_full(conn, int(group), tables_of(ALL_JOB_IDS))
    finally:
        engine.dispose()
    return {
        "format": FORMAT_VERSION,
        "data_group_id": int(group),
        "number": 1,
        "base_number": 0,
        "kind": "snapshot",
        "tables": [
            {"name": t.name, "columns": t.columns, "rows": t.rows, "deletes": t.deletes}
            for t in tables
        ],
    }


def _msgpack_zstd() -> Codec:
    def enc(doc: dict[str, Any]) -> bytes:
        packed = msgpack.packb(doc, use_bin_type=True)
        return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(packed)

    def dec(body: bytes) -> Any:
        return msgpack.unpackb(zstandard.ZstdDecompressor().decompress(body), raw=False)

    return enc, dec


def _json_gzip() -> Codec:
    def enc(doc: dict[str, Any]) -> bytes:
        return gzip.compress(json.dumps(doc, separators=(",", ":")).encode(), GZIP_LEVEL)

    def dec(body: bytes) -> Any:
        return json.loads(gzip.decompress(body))

    return enc, dec


def _json_zstd() -> Codec:
    def enc(doc: dict[str, Any]) -> bytes:
        raw = json.dumps(doc, separators=(",", ":")).encode()
        return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(raw)

    def dec(body: bytes) -> Any:
        return json.loads(zstandard.ZstdDecompressor().decompress(body))

    return enc, dec


def _measure(codec: Codec, doc: dict[str, Any]) -> tuple[float, float, int]:
    """One encode + decode: (encode s, decode s, body bytes); checks the round trip."""
    enc, dec = codec
    t0 = time.perf_counter()
    body = enc(doc)
    t1 = time.perf_counter()
    back = dec(body)
    t2 = time.perf_counter()
    assert back["tables"][0]["name"] == doc["tables"][0]["name"]
    return t1 - t0, t2 - t1, len(body)


def run() -> list[dict[str, Any]]:
    """Measure the three codecs on the real snapshot (module docstring)."""
    with tempfile.TemporaryDirectory(prefix="kassa-bench-") as tmp:
        doc = real_snapshot_doc(Path(tmp))
    rows = sum(len(t["rows"]) for t in doc["tables"])
    codecs = {"msgpack+zstd": _msgpack_zstd(), "json+gzip": _json_gzip(), "json+zstd": _json_zstd()}
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in codecs}
    for codec in codecs.values():
        _measure(codec, doc)  # warm-up
    for _ in range(RUNS):
        for name, codec in codecs.items():
            samples[name].append(_measure(codec, doc))
    stats = {
        name: {
            "encode_s": statistics.median(x[0] for x in got),
            "decode_s": statistics.median(x[1] for x in got),
            "bytes": got[0][2],
        }
        for name, got in samples.items()
    }
    kassa = stats["msgpack+zstd"]
    kassa_s = kassa["encode_s"] + kassa["decode_s"]
    figures = []
    for other in ("json+gzip", "json+zstd"):
        base = stats[other]
        base_s = base["encode_s"] + base["decode_s"]
        ratio = kassa_s / base_s
        figures.append(
            {
                "figure": f"snapshot body encode+decode: msgpack+zstd vs {other} ({rows:,} rows)",
                "kassa_s": round(kassa_s, 4),
                "baseline_s": round(base_s, 4),
                "ratio": round(ratio, 3),
                "target": TARGET,
                "met": ratio <= TARGET and kassa["bytes"] <= base["bytes"],
                "kassa_bytes": kassa["bytes"],
                "baseline_bytes": base["bytes"],
                "kassa_encode_s": round(kassa["encode_s"], 4),
                "kassa_decode_s": round(kassa["decode_s"], 4),
                "baseline_encode_s": round(base["encode_s"], 4),
                "baseline_decode_s": round(base["decode_s"], 4),
                "rows": rows,
            }
        )
    return figures


if __name__ == "__main__":
    for fig in run():
        print(json.dumps(fig))
