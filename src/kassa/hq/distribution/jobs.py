"""The job catalogue, per-data-group row filters and the default schedules (DESIGN §1, §4).

A **job** names the master-data tables it distributes:

=====  ===========================  =============================================================
id     name                         tables (in :data:`kassa.db.hq_schema.MASTER_DATA_TABLES` order)
=====  ===========================  =============================================================
1010   Customers                    customers
1040   Products, prices & barcodes  tax_groups, products, prices
1060   Staff                        operators (with password hashes, for offline sign-in)
1070   Channel configuration        data_groups, offline_profiles, stores, registers, tender_types
1110   Global configuration         commerce_parameters
=====  ===========================  =============================================================

A job may be *excluded from offline databases* (``distribution_jobs.exclude_from_offline``,
default False): its tables then appear in a package's channel ``body`` but never in its
``offline_body``.

Rows travel to a channel data group according to :func:`group_filter`: the group's own
``data_groups`` row, its stores, the registers of those stores, operators of those stores or of
all stores (``store_id`` NULL); every other table is global (all rows to every group).
Columns travel as they are in HQ (the channel and offline schemas mirror them), except the
HQ-only :data:`HQ_ONLY_COLUMNS` (a store server's token hash never leaves HQ).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Column, ColumnElement, Connection, Table, or_, select, update

from kassa.db import hq_schema as s
from kassa.db.hq_distribution_schema import distribution_jobs, distribution_schedules
from kassa.db.upsert import insert_ignore
from kassa.domain.errors import NotFound


@dataclass(frozen=True)
class JobSpec:
    """One catalogue entry: job ``id``, ``name`` and the names of its ``tables``."""

    id: int
    name: str
    tables: tuple[str, ...]


CUSTOMERS: Final = 1010
PRODUCTS: Final = 1040
STAFF: Final = 1060
CHANNEL_CONFIGURATION: Final = 1070
GLOBAL_CONFIGURATION: Final = 1110

#: The job catalogue (DESIGN §1).
CATALOGUE: Final[tuple[JobSpec, ...]] = (
    JobSpec(CUSTOMERS, "Customers", ("customers",)),
    JobSpec(PRODUCTS, "Products, prices & barcodes", ("tax_groups", "products", "prices")),
    JobSpec(STAFF, "Staff", ("operators",)),
    JobSpec(
        CHANNEL_CONFIGURATION,
        "Channel configuration",
        ("data_groups", "offline_profiles", "stores", "registers", "tender_types"),
    ),
    JobSpec(GLOBAL_CONFIGURATION, "Global configuration", ("commerce_parameters",)),
)
ALL_JOB_IDS: Final[tuple[int, ...]] = tuple(j.id for j in CATALOGUE)
SPEC_BY_ID: Final[dict[int, JobSpec]] = {j.id: j for j in CATALOGUE}
#: Table name → the job that distributes it.
JOB_OF_TABLE: Final[dict[str, int]] = {t: j.id for j in CATALOGUE for t in j.tables}

#: Default schedules created by :func:`seed_distribution`: (name, job ids, interval_s).
DEFAULT_SCHEDULES: Final[tuple[tuple[str, tuple[int, ...], int | None], ...]] = (
    ("All jobs", ALL_JOB_IDS, None),
    ("Prices", (PRODUCTS,), None),
)

#: Columns that stay at HQ (nullable in the channel/offline mirrors, so they stay NULL there).
HQ_ONLY_COLUMNS: Final[dict[str, frozenset[str]]] = {"stores": frozenset({"server_token_hash"})}

_TABLE_BY_NAME: Final[dict[str, Table]] = {t.name: t for t in s.MASTER_DATA_TABLES}


@dataclass(frozen=True)
class Job:
    """A job as stored in ``distribution_jobs``: catalogue entry plus the offline flag."""

    id: int
    name: str
    tables: tuple[str, ...]
    exclude_from_offline: bool


def tables_of(job_ids: Iterable[int]) -> list[Table]:
    """The master-data tables of ``job_ids``, in dependency order (HQ's tuple order).

    Raises:
        NotFound: code ``distribution.unknown_job`` for an id outside the catalogue.
    """
    names: set[str] = set()
    for job_id in job_ids:
        spec = SPEC_BY_ID.get(job_id)
        if spec is None:
            raise NotFound(f"no distribution job {job_id}", code="distribution.unknown_job")
        names.update(spec.tables)
    return [t for t in s.MASTER_DATA_TABLES if t.name in names]


def table(name: str) -> Table:
    """The HQ master-data table called ``name`` (KeyError if it is not one)."""
    return _TABLE_BY_NAME[name]


def wire_columns(t: Table) -> list[Column[Any]]:
    """Columns of ``t`` that travel in packages (all but :data:`HQ_ONLY_COLUMNS`)."""
    hidden = HQ_ONLY_COLUMNS.get(t.name, frozenset())
    return [c for c in t.columns if c.name not in hidden]


def _wire(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def row_converter(columns: Sequence[Column[Any]]) -> Callable[[Sequence[Any]], list[Any]]:
    """A function turning a result row into a package row of msgpack primitives.

    UUIDs become 32-char hex text and datetimes ISO-8601 text (package format v1,
    :mod:`kassa.sync.package`); only columns whose Python type needs it are converted.
    """
    special = [i for i, c in enumerate(columns) if _python_type(c) in (uuid.UUID, datetime)]
    if not special:
        return list

    def convert(row: Sequence[Any]) -> list[Any]:
        out = list(row)
        for i in special:
            out[i] = _wire(out[i])
        return out

    return convert


def _python_type(c: Column[Any]) -> type | None:
    try:
        return c.type.python_type
    except NotImplementedError:
        return None


def wire_key(t: Table, row_key: str) -> list[Any]:
    """A tombstone's text key (``kassa.hq.masterdata.row_key``) as a package delete key.

    Single-column keys only (every master-data table has one): ``int`` columns become
    ``int``, UUIDs 32-char hex, text stays text.
    """
    (key_col,) = list(t.primary_key.columns)
    kind = _python_type(key_col)
    if kind is int:
        return [int(row_key)]
    if kind is uuid.UUID:
        return [uuid.UUID(row_key).hex]
    return [row_key]


def _stores_of(group_id: int) -> Any:
    return select(s.stores.c.id).where(s.stores.c.data_group_id == group_id)


def group_filter(t: Table, group_id: int) -> ColumnElement[bool] | None:
    """Row filter of ``t`` for channel data group ``group_id``; None = every row (global).

    Rule (issue 3): ``data_groups`` id = group; ``stores`` of the group; ``registers`` of
    those stores; ``operators`` with ``store_id`` NULL or one of those stores.
    """
    if t is s.data_groups:
        return s.data_groups.c.id == group_id
    if t is s.stores:
        return s.stores.c.data_group_id == group_id
    if t is s.registers:
        return s.registers.c.store_id.in_(_stores_of(group_id))
    if t is s.operators:
        return or_(
            s.operators.c.store_id.is_(None), s.operators.c.store_id.in_(_stores_of(group_id))
        )
    return None


def is_group_scoped(t: Table) -> bool:
    """True when ``t`` has a per-group filter (its tombstones cannot be attributed to a group)."""
    return t.name in ("data_groups", "stores", "registers", "operators")


def seed_distribution(conn: Connection) -> None:
    """Create the job catalogue and the default schedules if missing (idempotent).

    Existing rows are left as they are (an administrator's ``exclude_from_offline`` or
    schedule interval survives a re-seed).
    """
    insert_ignore(
        conn,
        distribution_jobs,
        [
            {
                "id": j.id,
                "name": j.name,
                "tables": json.dumps(list(j.tables)),
                "exclude_from_offline": False,
            }
            for j in CATALOGUE
        ],
    )
    taken = set(conn.execute(select(distribution_schedules.c.name)).scalars())
    next_id = int(
        conn.execute(
            select(distribution_schedules.c.id).order_by(distribution_schedules.c.id.desc())
        )
        .scalars()
        .first()
        or 0
    )
    for name, job_ids, interval_s in DEFAULT_SCHEDULES:
        if name in taken:
            continue
        next_id += 1
        insert_ignore(
            conn,
            distribution_schedules,
            [
                {
                    "id": next_id,
                    "name": name,
                    "job_ids": json.dumps(list(job_ids)),
                    "interval_s": interval_s,
                    "active": True,
                    "last_run_at": None,
                }
            ],
            key_cols=["name"],
        )


def load_jobs(conn: Connection) -> dict[int, Job]:
    """The stored jobs by id (catalogue tables, stored name and offline flag)."""
    out: dict[int, Job] = {}
    for rec in conn.execute(select(distribution_jobs)).mappings():
        spec = SPEC_BY_ID.get(int(rec["id"]))
        tables = spec.tables if spec else tuple(json.loads(rec["tables"]))
        out[int(rec["id"])] = Job(
            int(rec["id"]), str(rec["name"]), tables, bool(rec["exclude_from_offline"])
        )
    return out


def excluded_tables(jobs: dict[int, Job]) -> set[str]:
    """Names of the tables of jobs excluded from offline databases."""
    return {t for j in jobs.values() if j.exclude_from_offline for t in j.tables}


def set_job_excluded(conn: Connection, job_id: int, excluded: bool) -> Job:
    """Mark job ``job_id`` excluded (or not) from offline databases; effective from the next
    package written (packages already written keep what they hold).

    Raises:
        NotFound: code ``distribution.unknown_job``.
    """
    result = conn.execute(
        update(distribution_jobs)
        .where(distribution_jobs.c.id == job_id)
        .values(exclude_from_offline=excluded)
    )
    if result.rowcount == 0:
        raise NotFound(f"no distribution job {job_id}", code="distribution.unknown_job")
    return load_jobs(conn)[job_id]
