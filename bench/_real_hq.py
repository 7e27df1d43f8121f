"""A real HQ for the distribution benchmarks (not a benchmark itself: the name starts with _).

:func:`real_hq` imports The Complete Journey into a fresh SQLite HQ (92,331 products, their
prices, customers, stores, registers, staff), seeds the distribution jobs, issues a store
server token for :data:`STORE` and writes the "All jobs" baseline of its data group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy import Engine

from kassa.config import sqlite_url
from kassa.db.migrate import prepare_database
from kassa.domain.clock import SystemClock
from kassa.hq.distribution import access
from kassa.hq.distribution.jobs import seed_distribution
from kassa.hq.distribution.setup import reconcile_entities
from kassa.hq.distribution.writer import run_schedule
from kassa.hq.importer import run_import

#: The store whose data group the benchmarks use (a store of The Complete Journey).
STORE: Final = 367


def real_hq(root: Path) -> tuple[Engine, int, str]:
    """``(HQ engine, data group of STORE, STORE's server token)`` (module docstring)."""
    hq = prepare_database(sqlite_url(root / "hq.sqlite"), "hq")
    run_import(hq, registers_per_store=4)
    now = SystemClock().now()
    with hq.begin() as conn:
        seed_distribution(conn)
        reconcile_entities(conn, now)
        token = access.issue_store_token(conn, STORE, now).token
        group = access.store_for_token(conn, token).data_group_id
    run_schedule(hq, "All jobs", [group])
    return hq, group, token
