"""Full snapshots for targets without a checkpoint (DESIGN §4; issue 3 §4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from kassa.config import sqlite_url
from kassa.db import hq_schema as s
from kassa.db.hq_distribution_schema import data_packages
from kassa.db.migrate import prepare_database
from kassa.domain.errors import NotFound
from kassa.hq.distribution import packages
from kassa.hq.distribution.jobs import CUSTOMERS, set_job_excluded, wire_columns
from kassa.hq.distribution.snapshot import snapshot_for
from kassa.hq.distribution.writer import run_schedule
from kassa.sync.apply import apply_package
from kassa.sync.package import PackageContent, check_sequence
from support.hq_world import STORE_A, STORE_B, World, build_world, read_package, tables_by_name

State = dict[str, dict[Any, list[Any]]]


@pytest.fixture
def world(db_url: str) -> World:
    return build_world(db_url)


def _apply(state: State, content: PackageContent) -> None:
    """Test oracle: apply a package to ``{table: {key: row}}`` (snapshot replaces all)."""
    if content.kind == "snapshot":
        state.clear()
    for t in content.tables:
        rows = state.setdefault(t.name, {})
        for key in t.deletes:
            rows.pop(key[0], None)
        for row in t.rows:
            rows[row[0]] = row


def _hq_state(w: World, group: int) -> State:
    """What a target of ``group`` must hold: HQ rows in wire form, filtered like the writer."""
    from kassa.hq.distribution.jobs import group_filter, row_converter

    out: State = {}
    with w.engine.connect() as conn:
        for t in s.MASTER_DATA_TABLES:
            cols = wire_columns(t)
            stmt = select(*cols)
            where = group_filter(t, group)
            if where is not None:
                stmt = stmt.where(where)
            convert = row_converter(cols)
            out[t.name] = {r[0]: r for r in (convert(x) for x in conn.execute(stmt))}
    return out


def test_a_group_without_packages_gets_its_baseline_and_snapshot_1(world: World) -> None:
    # when a new target asks for the snapshot of a group that never had a run
    summary = snapshot_for(world.engine, STORE_A, clock=world.clock)
    # then the baseline delta 1 exists and the snapshot is number 1 with every row of the group
    assert (summary.number, summary.kind) == (1, "snapshot")
    header, content = read_package(world.engine, STORE_A, 1, kind="snapshot")
    assert header["kind"] == "snapshot" and header["number"] == 1
    t = tables_by_name(content)
    assert len(t["products"].rows) == 3 and len(t["prices"].rows) == 3
    assert [r[0] for r in t["stores"].rows] == [STORE_A]
    assert len(t["registers"].rows) == 2
    assert sorted(r[0] for r in t["operators"].rows) == ["1001", f"{STORE_A}-1"]
    assert all(tc.deletes == [] for tc in content.tables)
    assert "server_token_hash" not in t["stores"].columns


def test_new_target_applies_snapshot_then_later_deltas_and_matches_hq(world: World) -> None:
    # given some history: baseline, price change, delete, customer change
    run_schedule(world.engine, "All jobs", clock=world.clock)
    world.set_price(1001, 399)
    run_schedule(world.engine, "All jobs", clock=world.clock)
    # and a change made after the last run (the snapshot will already hold it)
    world.set_price(1002, 499)
    snap = snapshot_for(world.engine, STORE_A, clock=world.clock)
    assert snap.number == 2
    world.delete(s.prices, [1003])
    world.delete(s.products, [1003])
    world.set_price(1002, 509)
    run_schedule(world.engine, "All jobs", clock=world.clock)
    # when a new target applies the snapshot then the later deltas in order
    state: State = {}
    checkpoint = None
    header, content = read_package(world.engine, STORE_A, snap.number, kind="snapshot")
    assert check_sequence(header, checkpoint)
    _apply(state, content)
    checkpoint = header["number"]
    header, content = read_package(world.engine, STORE_A, 3)
    assert check_sequence(header, checkpoint)
    _apply(state, content)
    # then it holds exactly HQ's current rows for its group
    assert state == _hq_state(world, STORE_A)


def test_the_snapshot_is_built_once_per_number(world: World) -> None:
    first = snapshot_for(world.engine, STORE_A, clock=world.clock)
    again = snapshot_for(world.engine, STORE_A, clock=world.clock)
    assert again == first
    with world.engine.connect() as conn:
        n = conn.execute(
            select(func.count())
            .select_from(data_packages)
            .where(data_packages.c.kind == "snapshot")
        ).scalar_one()
    assert n == 1
    # a new delta means a new snapshot number
    world.set_price(1001, 1)
    run_schedule(world.engine, "All jobs", [STORE_A], clock=world.clock)
    assert snapshot_for(world.engine, STORE_A, clock=world.clock).number == 2
    assert snapshot_for(world.engine, STORE_B, clock=world.clock).number == 1


def test_the_offline_snapshot_leaves_out_excluded_jobs(world: World) -> None:
    with world.engine.begin() as conn:
        set_job_excluded(conn, CUSTOMERS, True)
    snapshot_for(world.engine, STORE_A, clock=world.clock)
    _, channel = read_package(world.engine, STORE_A, 1, kind="snapshot", variant="channel")
    off_header, offline = read_package(world.engine, STORE_A, 1, kind="snapshot", variant="offline")
    assert len(tables_by_name(channel)["customers"].rows) == 2
    assert "customers" not in tables_by_name(offline)
    assert CUSTOMERS not in off_header["jobs"]
    assert len(tables_by_name(offline)["products"].rows) == 3


def test_snapshot_of_an_unknown_group_is_refused(world: World) -> None:
    with pytest.raises(NotFound) as err:
        snapshot_for(world.engine, 4242, clock=world.clock)
    assert err.value.code == "distribution.unknown_group"


@pytest.mark.parametrize("variant", ["channel", "offline"])
def test_hq_packages_apply_to_real_channel_and_offline_databases(
    world: World, variant: str, tmp_path: Path
) -> None:
    # given a snapshot, then a price change, a delete and a new customer in delta 2
    with world.engine.begin() as conn:
        set_job_excluded(conn, CUSTOMERS, True)
    snap = snapshot_for(world.engine, STORE_A, clock=world.clock)
    world.set_price(1001, 1234)
    world.delete(s.prices, [1003])
    world.delete(s.products, [1003])
    world.write(s.customers, [{"id": 3, "name": "Household 3", "loyalty_card": "400000000003"}])
    run_schedule(world.engine, "All jobs", [STORE_A], clock=world.clock)
    # when both are applied to a fresh target database with the sync applier
    kind = "offline" if variant == "offline" else "channel"
    target = prepare_database(sqlite_url(tmp_path / f"{kind}.sqlite"), kind)
    try:
        for number, pkind in ((snap.number, "snapshot"), (2, "delta")):
            v = packages.check_variant(variant)
            with world.engine.connect() as conn:
                header = packages.get_header(conn, STORE_A, number, pkind, v)
                body = packages.get_body(conn, STORE_A, number, pkind, v)
            apply_package(target, header, body, now=world.clock.now())
        # then the target holds HQ's rows (customers only in the channel DB)
        with target.connect() as conn:
            prices = dict(conn.execute(text("SELECT product_id, price_cents FROM prices")).all())
            products = {r[0] for r in conn.execute(text("SELECT id FROM products"))}
            customers = {r[0] for r in conn.execute(text("SELECT id FROM customers"))}
            checkpoint = conn.execute(
                text("SELECT package_number FROM package_checkpoint")
            ).scalar()
        assert prices == {1001: 1234, 1002: 429}
        assert products == {1001, 1002}
        assert customers == ({1, 2, 3} if variant == "channel" else set())
        assert checkpoint == 2
    finally:
        target.dispose()
