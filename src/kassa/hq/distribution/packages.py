"""Stored data packages: writing the two bodies, reading headers and bodies (DESIGN §4).

Each ``data_packages`` row holds one package in two **variants** encoded with the package
format v1 (:mod:`kassa.sync.package`): ``channel`` (``body``: every table of the package's
jobs, for the store's channel DB) and ``offline`` (``offline_body``: the same package without
the tables of jobs excluded from offline databases, for registers' offline DBs). Both carry
the same data group, number, base number and kind, so numbering is shared.

``row_counts`` (JSON) stores the channel counts ``{table: {"upserts": n, "deletes": n}}``; a
table left out of the offline body is marked ``"offline": false`` so the offline header can be
rebuilt exactly as it was written, even if a job's exclusion changes later.

Headers are rebuilt from the row (never by decoding a body); their keys are those of
:func:`kassa.sync.package.make_header`, so :func:`kassa.sync.package.verify_and_decode`
checks a body against them as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import Connection, RowMapping, func, insert, select

from kassa.db import hq_schema as s
from kassa.db.hq_distribution_schema import data_packages
from kassa.db.upsert import insert_ignore
from kassa.domain.errors import InvalidInput, NotFound
from kassa.domain.ids import new_id
from kassa.hq.distribution.jobs import JOB_OF_TABLE
from kassa.sync.package import FORMAT_VERSION, PackageContent, PackageKind, TableChanges, sha256_hex
from kassa.sync.package import encode as encode_body

Variant = Literal["channel", "offline"]
VARIANTS: Final[tuple[Variant, ...]] = ("channel", "offline")
#: Most headers one listing returns.
MAX_LISTING: Final = 1000

_p = data_packages.c
#: Every column but the two bodies, plus their sizes (computed by the database).
_HEADER_COLUMNS = (
    _p.data_group_id,
    _p.number,
    _p.base_number,
    _p.kind,
    _p.format_version,
    _p.schedule_id,
    _p.jobs,
    _p.row_counts,
    _p.high_water_version,
    _p.created_at,
    _p.body_sha256,
    _p.offline_sha256,
    func.length(_p.body).label("size"),
    func.length(_p.offline_body).label("offline_size"),
)


@dataclass(frozen=True)
class PackageSummary:
    """What was written or found: one package of one data group.

    ``rows`` counts upserts plus deletes of the channel body; sizes are bytes of the
    compressed bodies.
    """

    data_group_id: int
    number: int
    kind: PackageKind
    base_number: int
    rows: int
    offline_rows: int
    size: int
    offline_size: int
    row_counts: dict[str, dict[str, Any]]
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``created_at`` as ISO text)."""
        return {
            "data_group_id": self.data_group_id,
            "number": self.number,
            "kind": self.kind,
            "base_number": self.base_number,
            "rows": self.rows,
            "offline_rows": self.offline_rows,
            "size": self.size,
            "offline_size": self.offline_size,
            "row_counts": self.row_counts,
            "created_at": self.created_at.isoformat(),
        }


def check_variant(variant: str) -> Variant:
    """Validate a variant name. Raises InvalidInput ``distribution.variant``."""
    if variant not in VARIANTS:
        raise InvalidInput(
            f"variant must be 'channel' or 'offline', not {variant!r}", code="distribution.variant"
        )
    return variant


def _rows(counts: dict[str, dict[str, Any]], offline: bool) -> int:
    return sum(
        int(c["upserts"]) + int(c["deletes"])
        for c in counts.values()
        if not offline or c.get("offline", True)
    )


def insert_package(
    conn: Connection,
    *,
    data_group_id: int,
    number: int,
    base_number: int,
    kind: PackageKind,
    jobs: Iterable[int],
    tables: list[TableChanges],
    excluded: set[str],
    high_water_version: int,
    schedule_id: int | None,
    now: datetime,
    if_absent: bool = False,
) -> PackageSummary | None:
    """Encode both variants of a package and store it as one ``data_packages`` row.

    Args:
        tables: row changes in dependency order (every table of ``jobs``, empty or not).
        excluded: names of tables left out of the offline body.
        if_absent: with True an existing row with the same (group, number, kind) wins and
            None is returned (used for cached snapshots built concurrently).

    Returns:
        the summary of the stored package, or None (``if_absent`` and already there).
    """
    content = PackageContent(data_group_id, number, base_number, kind, tables)
    offline = PackageContent(
        data_group_id, number, base_number, kind, [t for t in tables if t.name not in excluded]
    )
    body, offline_body = encode_body(content), encode_body(offline)
    counts: dict[str, dict[str, Any]] = dict(content.row_counts())
    for name in counts:
        if name in excluded:
            counts[name] = {**counts[name], "offline": False}
    values = {
        "id": new_id(),
        "data_group_id": data_group_id,
        "number": number,
        "base_number": base_number,
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "schedule_id": schedule_id,
        "jobs": json.dumps(sorted(set(jobs))),
        "row_counts": json.dumps(counts),
        "high_water_version": high_water_version,
        "created_at": now,
        "body": body,
        "body_sha256": sha256_hex(body),
        "offline_body": offline_body,
        "offline_sha256": sha256_hex(offline_body),
    }
    if if_absent:
        if not insert_ignore(
            conn, data_packages, [values], key_cols=["data_group_id", "number", "kind"]
        ):
            return None
    else:
        conn.execute(insert(data_packages).values(**values))
    return PackageSummary(
        data_group_id=data_group_id,
        number=number,
        kind=kind,
        base_number=base_number,
        rows=_rows(counts, False),
        offline_rows=_rows(counts, True),
        size=len(body),
        offline_size=len(offline_body),
        row_counts=counts,
        created_at=now,
    )


def summary_of(rec: RowMapping) -> PackageSummary:
    """A :class:`PackageSummary` from a row selected with the header columns."""
    counts = json.loads(rec["row_counts"])
    return PackageSummary(
        data_group_id=int(rec["data_group_id"]),
        number=int(rec["number"]),
        kind=rec["kind"],
        base_number=int(rec["base_number"]),
        rows=_rows(counts, False),
        offline_rows=_rows(counts, True),
        size=int(rec["size"]),
        offline_size=int(rec["offline_size"]),
        row_counts=counts,
        created_at=rec["created_at"],
    )


def header_of(rec: RowMapping, variant: Variant) -> dict[str, Any]:
    """The header of one variant of a stored package (keys of ``make_header``)."""
    counts: dict[str, dict[str, Any]] = json.loads(rec["row_counts"])
    jobs: list[int] = json.loads(rec["jobs"])
    if variant == "offline":
        left_out = {t for t, c in counts.items() if not c.get("offline", True)}
        counts = {t: c for t, c in counts.items() if t not in left_out}
        jobs = [j for j in jobs if j not in {JOB_OF_TABLE.get(t) for t in left_out}]
    return {
        "format": int(rec["format_version"]),
        "data_group_id": int(rec["data_group_id"]),
        "number": int(rec["number"]),
        "base_number": int(rec["base_number"]),
        "kind": rec["kind"],
        "jobs": jobs,
        "row_counts": {
            t: {"upserts": int(c["upserts"]), "deletes": int(c["deletes"])}
            for t, c in counts.items()
        },
        "sha256": rec["offline_sha256"] if variant == "offline" else rec["body_sha256"],
        "size": int(rec["offline_size"] if variant == "offline" else rec["size"]),
        "high_water_version": int(rec["high_water_version"]),
        "created_at": rec["created_at"].isoformat(),
    }


def latest_number(conn: Connection, data_group_id: int) -> int | None:
    """Number of the group's newest delta package; None when it has none yet."""
    value = conn.execute(
        select(func.max(_p.number)).where(_p.data_group_id == data_group_id, _p.kind == "delta")
    ).scalar_one_or_none()
    return None if value is None else int(value)


def find(conn: Connection, data_group_id: int, number: int, kind: str) -> RowMapping | None:
    """The header columns of one stored package, or None."""
    return (
        conn.execute(
            select(*_HEADER_COLUMNS).where(
                _p.data_group_id == data_group_id, _p.number == number, _p.kind == kind
            )
        )
        .mappings()
        .first()
    )


def get_header(
    conn: Connection, data_group_id: int, number: int, kind: str, variant: Variant
) -> dict[str, Any]:
    """Header of a stored package. Raises NotFound ``distribution.unknown_package``."""
    rec = find(conn, data_group_id, number, kind)
    if rec is None:
        raise _unknown(data_group_id, number, kind)
    return header_of(rec, variant)


def get_body(
    conn: Connection, data_group_id: int, number: int, kind: str, variant: Variant
) -> bytes:
    """Body bytes of one variant. Raises NotFound ``distribution.unknown_package``."""
    column = _p.offline_body if variant == "offline" else _p.body
    body = conn.execute(
        select(column).where(
            _p.data_group_id == data_group_id, _p.number == number, _p.kind == kind
        )
    ).scalar_one_or_none()
    if body is None:
        raise _unknown(data_group_id, number, kind)
    return bytes(body)


def list_deltas(
    conn: Connection, data_group_id: int, after: int, variant: Variant, limit: int = 100
) -> list[dict[str, Any]]:
    """Headers of the group's delta packages numbered after ``after``, ascending, at most
    ``limit`` (1…:data:`MAX_LISTING`)."""
    limit = max(1, min(limit, MAX_LISTING))
    recs = conn.execute(
        select(*_HEADER_COLUMNS)
        .where(_p.data_group_id == data_group_id, _p.kind == "delta", _p.number > after)
        .order_by(_p.number)
        .limit(limit)
    ).mappings()
    return [header_of(r, variant) for r in recs]


def list_packages(
    conn: Connection, data_group_id: int, *, before: int | None = None, limit: int = 100
) -> list[PackageSummary]:
    """Summaries of the group's packages (deltas and cached snapshots), newest first."""
    limit = max(1, min(limit, MAX_LISTING))
    stmt = select(*_HEADER_COLUMNS).where(_p.data_group_id == data_group_id)
    if before is not None:
        stmt = stmt.where(_p.number < before)
    recs = conn.execute(stmt.order_by(_p.number.desc(), _p.kind).limit(limit)).mappings()
    return [summary_of(r) for r in recs]


def require_groups(conn: Connection, group_ids: Iterable[int]) -> None:
    """Check that every id names a channel data group.

    Raises:
        NotFound: code ``distribution.unknown_group`` listing the unknown ids.
    """
    wanted = sorted(set(group_ids))
    known = set(
        conn.execute(select(s.data_groups.c.id).where(s.data_groups.c.id.in_(wanted))).scalars()
    )
    missing = [g for g in wanted if g not in known]
    if missing:
        raise NotFound(
            f"no channel data group {', '.join(map(str, missing))}",
            code="distribution.unknown_group",
            details={"data_group_ids": missing},
        )


def _unknown(data_group_id: int, number: int, kind: str) -> NotFound:
    return NotFound(
        f"data group {data_group_id} has no {kind} package {number}",
        code="distribution.unknown_package",
        details={"data_group_id": data_group_id, "number": number, "kind": kind},
    )
