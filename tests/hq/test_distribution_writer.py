"""Running distribution schedules: one package per data group with exactly the changed rows
(DESIGN §4; issue 3 §3, §4). Real SQLite files and real PostgreSQL (``db_url``)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from kassa.db import hq_schema as s
from kassa.db.hq_distribution_schema import data_packages
from kassa.domain.errors import NotFound
from kassa.hq.distribution.jobs import CUSTOMERS, PRODUCTS, set_job_excluded
from kassa.hq.distribution.writer import run_schedule
from kassa.hq.masterdata import VersionStamp
from support.hq_world import STORE_A, STORE_B, World, build_world, read_package, tables_by_name


@pytest.fixture
def world(db_url: str) -> World:
    w = build_world(db_url)
    report = run_schedule(w.engine, "All jobs", clock=w.clock)  # baselines
    assert [g.outcome for g in report.groups] == ["baseline", "baseline"]
    return w


def _package_count(w: World, group: int) -> int:
    with w.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(data_packages)
                .where(data_packages.c.data_group_id == group)
            ).scalar_one()
        )


def test_first_run_writes_an_empty_baseline_covering_every_job(world: World) -> None:
    # given the baseline written by the fixture
    header, content = read_package(world.engine, STORE_A, 1)
    # then it is delta 1 on top of 0, covers every job and holds no rows
    assert (header["number"], header["base_number"], header["kind"]) == (1, 0, "delta")
    assert header["jobs"] == [1010, 1040, 1060, 1070, 1110]
    assert content.total_rows() == 0
    assert header["high_water_version"] == world.version_of(s.prices, 1001)


def test_a_price_change_gives_each_group_one_package_with_exactly_that_row(world: World) -> None:
    # given a price change at HQ
    world.set_price(1002, 449)
    # when "All jobs" runs
    report = run_schedule(world.engine, "All jobs", clock=world.clock)
    # then each group gets package 2 holding only that price row
    assert [(g.data_group_id, g.outcome) for g in report.groups] == [
        (STORE_A, "package"),
        (STORE_B, "package"),
    ]
    for group in (STORE_A, STORE_B):
        header, content = read_package(world.engine, group, 2)
        assert (header["number"], header["base_number"]) == (2, 1)
        assert content.total_rows() == 1
        prices = tables_by_name(content)["prices"]
        assert prices.columns == ["product_id", "price_cents", "version"]
        assert prices.rows == [[1002, 449, world.version_of(s.prices, 1002)]]
        assert header["row_counts"]["prices"] == {"upserts": 1, "deletes": 0}
        assert header["row_counts"]["products"] == {"upserts": 0, "deletes": 0}


def test_unchanged_rows_written_again_give_no_package(world: World) -> None:
    # given the same rows written again (an unchanged re-import)
    assert world.write(s.prices, [{"product_id": 1001, "price_cents": 349}]) == 0
    # when the schedule runs
    report = run_schedule(world.engine, "All jobs", clock=world.clock)
    # then no group gets a package
    assert [g.outcome for g in report.groups] == ["no changes", "no changes"]
    assert report.packages == []
    assert _package_count(world, STORE_A) == 1


def test_a_deleted_product_travels_as_a_tombstone(world: World) -> None:
    # given a product deleted at HQ (its price first)
    world.delete(s.prices, [1003])
    world.delete(s.products, [1003])
    # when the schedule runs
    run_schedule(world.engine, "All jobs", clock=world.clock)
    # then the next package deletes both rows and upserts nothing
    _, content = read_package(world.engine, STORE_A, 2)
    t = tables_by_name(content)
    assert t["prices"].deletes == [[1003]] and t["prices"].rows == []
    assert t["products"].deletes == [[1003]] and t["products"].rows == []
    assert content.total_rows() == 2


def test_a_row_deleted_and_created_again_is_only_upserted(world: World) -> None:
    # given a customer deleted and then created again before the next run
    world.delete(s.customers, [2])
    world.write(s.customers, [{"id": 2, "name": "Household 2b", "loyalty_card": "400000000002"}])
    # when the schedule runs
    run_schedule(world.engine, "All jobs", clock=world.clock)
    # then the package upserts the new row and deletes nothing
    _, content = read_package(world.engine, STORE_A, 2)
    customers = tables_by_name(content)["customers"]
    assert customers.deletes == []
    assert [r[1] for r in customers.rows] == ["Household 2b"]


def test_an_excluded_job_is_in_the_channel_body_but_not_the_offline_body(world: World) -> None:
    # given job 1010 customers excluded from offline databases, and a customer change
    with world.engine.begin() as conn:
        set_job_excluded(conn, CUSTOMERS, True)
    world.write(
        s.customers, [{"id": 1, "name": "Household 1 (moved)", "loyalty_card": "400000000001"}]
    )
    world.set_price(1001, 359)
    # when the schedule runs
    run_schedule(world.engine, "All jobs", clock=world.clock)
    # then the channel body has the customer; the offline body has the price but no customers
    ch_header, channel = read_package(world.engine, STORE_A, 2, variant="channel")
    off_header, offline = read_package(world.engine, STORE_A, 2, variant="offline")
    assert len(tables_by_name(channel)["customers"].rows) == 1
    assert "customers" not in tables_by_name(offline)
    assert len(tables_by_name(offline)["prices"].rows) == 1
    assert CUSTOMERS in ch_header["jobs"] and CUSTOMERS not in off_header["jobs"]
    assert "customers" not in off_header["row_counts"]
    assert off_header["number"] == ch_header["number"] == 2
    assert off_header["sha256"] != ch_header["sha256"]


def test_numbering_is_per_group(world: World) -> None:
    # given a price change distributed to store A's group only
    world.set_price(1001, 359)
    run_schedule(world.engine, "All jobs", [STORE_A], clock=world.clock)
    world.set_price(1002, 459)
    run_schedule(world.engine, "All jobs", [STORE_A], clock=world.clock)
    # when the schedule then runs for every group
    report = run_schedule(world.engine, "All jobs", clock=world.clock)
    # then A is at 3 (nothing new), B gets its package 2 with both changes
    assert [(g.data_group_id, g.outcome) for g in report.groups] == [
        (STORE_A, "no changes"),
        (STORE_B, "package"),
    ]
    _, content = read_package(world.engine, STORE_B, 2)
    assert sorted(r[0] for r in tables_by_name(content)["prices"].rows) == [1001, 1002]
    assert _package_count(world, STORE_A) == 3


def test_rows_of_another_groups_store_do_not_reach_a_group(world: World) -> None:
    # given a change to a register of store B and to store B's cashier
    rid = world.registers[(STORE_B, 1)]
    world.write(
        s.registers,
        [{"id": rid, "store_id": STORE_B, "number": 1, "name": "Front", "support_offline": False}],
    )
    world.write(
        s.operators,
        [
            {
                "id": f"{STORE_B}-1",
                "name": "Renamed",
                "role": "cashier",
                "password_hash": "x",
                "store_id": STORE_B,
            }
        ],
    )
    # when the schedule runs
    report = run_schedule(world.engine, "All jobs", clock=world.clock)
    # then only B's group gets a package, with the register and the operator
    assert [(g.data_group_id, g.outcome) for g in report.groups] == [
        (STORE_A, "no changes"),
        (STORE_B, "package"),
    ]
    t = tables_by_name(read_package(world.engine, STORE_B, 2)[1])
    assert [r[0] for r in t["registers"].rows] == [rid.hex]
    assert [r[0] for r in t["operators"].rows] == [f"{STORE_B}-1"]


def test_a_prices_only_run_does_not_hide_other_changes_from_all_jobs(world: World) -> None:
    # given a customer change and a price change, and the "Prices" schedule run first
    world.write(
        s.customers, [{"id": 1, "name": "Household 1 (new)", "loyalty_card": "400000000001"}]
    )
    world.set_price(1001, 369)
    prices_run = run_schedule(world.engine, "Prices", [STORE_A], clock=world.clock)
    assert prices_run.groups[0].package is not None
    header, content = read_package(world.engine, STORE_A, 2)
    assert header["jobs"] == [PRODUCTS] and set(tables_by_name(content)) == {
        "tax_groups",
        "products",
        "prices",
    }
    # when "All jobs" runs
    run_schedule(world.engine, "All jobs", [STORE_A], clock=world.clock)
    # then the customer change still arrives, and the price is not sent twice
    t = tables_by_name(read_package(world.engine, STORE_A, 3)[1])
    assert [r[0] for r in t["customers"].rows] == [1]
    assert t["prices"].rows == []


def test_unknown_schedule_or_group_is_refused(world: World) -> None:
    with pytest.raises(NotFound) as err:
        run_schedule(world.engine, 999, clock=world.clock)
    assert err.value.code == "distribution.unknown_schedule"
    with pytest.raises(NotFound) as err:
        run_schedule(world.engine, "All jobs", [STORE_A, 4242], clock=world.clock)
    assert err.value.code == "distribution.unknown_group"


def test_a_change_committing_during_a_run_is_never_missed(world: World) -> None:
    # given a master-data writer that holds a change version but has not committed yet
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with world.engine.begin() as conn:
            stamp = VersionStamp(conn)
            conn.execute(
                s.prices.update()
                .where(s.prices.c.product_id == 1003)
                .values(price_cents=79, version=stamp.value)
            )
            holding.set()
            release.wait(10)

    t = threading.Thread(target=writer)
    t.start()
    assert holding.wait(10)
    # when a run starts meanwhile
    result: list[object] = []
    runner = threading.Thread(
        target=lambda: result.append(run_schedule(world.engine, "All jobs", [STORE_A]))
    )
    runner.start()
    time.sleep(0.5)
    # then it waits for the writer (the counter lock) ...
    assert result == []
    release.set()
    t.join(10)
    runner.join(20)
    # ... and its package holds the change
    t_ = tables_by_name(read_package(world.engine, STORE_A, 2)[1])
    assert [r[:2] for r in t_["prices"].rows] == [[1003, 79]]
