"""The full snapshot of the real catalogue (The Complete Journey, DESIGN §9) for one store's
data group: every product, verified through the package format; its size stays compact."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from kassa.config import sqlite_url
from kassa.db import hq_schema as s
from kassa.db.migrate import prepare_database
from kassa.hq.distribution.jobs import CUSTOMERS, seed_distribution, set_job_excluded
from kassa.hq.distribution.snapshot import snapshot_for
from kassa.hq.distribution.writer import run_schedule
from kassa.hq.importer import run_import
from support.hq_world import read_package, tables_by_name

#: The snapshot body of the whole catalogue must stay below this (measured ≈ 2.0 MB).
MAX_SNAPSHOT_BYTES = 4_000_000


def test_full_snapshot_of_the_real_catalogue(data_dir: Path) -> None:
    # given the real catalogue imported into HQ, customers excluded from offline DBs
    engine = prepare_database(sqlite_url(data_dir / "hq.sqlite"), "hq")
    try:
        run_import(engine)
        with engine.begin() as conn:
            seed_distribution(conn)
            set_job_excluded(conn, CUSTOMERS, True)
            first = select(s.data_groups.c.id).order_by(s.data_groups.c.id).limit(1)
            group = int(conn.execute(first).scalar_one())
        report = run_schedule(engine, "All jobs", [group])
        assert [g.outcome for g in report.groups] == ["baseline"]
        # when a new target asks for the snapshot
        summary = snapshot_for(engine, group)
        # then it holds every product and price, compactly, and verifies
        _, content = read_package(engine, group, summary.number, kind="snapshot")
        t = tables_by_name(content)
        assert len(t["products"].rows) == 92_331
        assert len(t["prices"].rows) == summary.row_counts["prices"]["upserts"] > 60_000
        assert len(t["customers"].rows) == 2_469
        assert [r[0] for r in t["stores"].rows] == [group]
        assert len(t["registers"].rows) == 4
        assert summary.size < MAX_SNAPSHOT_BYTES
        _, offline = read_package(engine, group, summary.number, kind="snapshot", variant="offline")
        assert "customers" not in tables_by_name(offline)
        assert summary.offline_size < summary.size
    finally:
        engine.dispose()
