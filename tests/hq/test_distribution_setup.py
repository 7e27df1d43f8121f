"""Support offline, channel database entities, the entity view and the scheduler
(DESIGN §1, §4; issue 3 §1, §3, §7)."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select, update

from kassa.db import hq_schema as s
from kassa.db.hq_distribution_schema import channel_db_entities, distribution_schedules
from kassa.domain.errors import InvalidInput, NotAllowed, NotFound
from kassa.domain.ids import new_id
from kassa.hq.distribution.entities import channel_databases, record_status
from kassa.hq.distribution.jobs import seed_distribution
from kassa.hq.distribution.scheduler import Scheduler, is_due
from kassa.hq.distribution.setup import reconcile_entities, set_support_offline
from kassa.hq.distribution.writer import get_schedule, list_schedules, run_schedule
from support.hq_world import STORE_A, STORE_B, World, build_world


@pytest.fixture
def world(db_url: str) -> World:
    return build_world(db_url)


def _entities(w: World, **kw: object) -> list:
    with w.engine.connect() as conn:
        return channel_databases(conn, **kw)  # type: ignore[arg-type]


def test_support_offline_creates_an_offline_entity_and_bumps_the_register(world: World) -> None:
    rid = world.registers[(STORE_A, 1)]
    before = world.version_of(s.registers, rid)
    # when Support offline is set
    with world.engine.begin() as conn:
        result = set_support_offline(conn, rid, True, world.clock.now())
    # then the register has it with a new version, and the group has channel + offline entities
    assert result.changed and result.entity_id is not None
    assert world.version_of(s.registers, rid) > before
    views = _entities(world, data_group_id=STORE_A)
    assert [(v.kind, v.register_number) for v in views] == [("channel", None), ("offline", 1)]
    assert views[1].id == result.entity_id and views[1].checkpoint is None
    # and the change travels in the next package of the store's group only
    run_schedule(world.engine, "All jobs", clock=world.clock)  # baselines
    with world.engine.begin() as conn:  # setting it again changes nothing
        again = set_support_offline(conn, rid, True, world.clock.now())
    assert not again.changed and again.entity_id == result.entity_id


def test_clearing_support_offline_retires_the_entity(world: World) -> None:
    rid = world.registers[(STORE_A, 2)]
    with world.engine.begin() as conn:
        first = set_support_offline(conn, rid, True, world.clock.now())
    world.clock.advance(60)
    with world.engine.begin() as conn:
        off = set_support_offline(conn, rid, False, world.clock.now())
    assert off.changed and off.entity_id is None
    assert [v.kind for v in _entities(world, data_group_id=STORE_A)] == ["channel"]
    retired = [v for v in _entities(world, include_retired=True) if v.kind == "offline"]
    assert len(retired) == 1 and retired[0].id == first.entity_id
    assert not retired[0].active and retired[0].retired_at == world.clock.now()
    # setting it again later makes a new entity (a new offline DB starts without checkpoint)
    with world.engine.begin() as conn:
        on_again = set_support_offline(conn, rid, True, world.clock.now())
    assert on_again.entity_id not in (None, first.entity_id)


def test_unknown_register_is_refused(world: World) -> None:
    with world.engine.begin() as conn, pytest.raises(NotFound) as err:
        set_support_offline(conn, new_id(), True, world.clock.now())
    assert err.value.code == "register.unknown"


def test_view_shows_checkpoint_lag_last_contact_and_pending_uploads(world: World) -> None:
    rid = world.registers[(STORE_A, 1)]
    with world.engine.begin() as conn:
        set_support_offline(conn, rid, True, world.clock.now())
    run_schedule(world.engine, "All jobs", clock=world.clock)
    for price in (100, 200, 300):
        world.set_price(1001, price)
        run_schedule(world.engine, "All jobs", clock=world.clock)  # packages 2, 3, 4
    # when the store reports its channel DB at 4 and the register's offline DB at 2
    with world.engine.begin() as conn:
        record_status(
            conn,
            store_id=STORE_A,
            register_id=None,
            checkpoint=4,
            pending_uploads=None,
            mode=None,
            now=world.clock.now(),
        )
        entity = record_status(
            conn,
            store_id=STORE_A,
            register_id=rid,
            checkpoint=2,
            pending_uploads=5,
            mode="offline (manual)",
            now=world.clock.now(),
        )
        # a register without Support offline has no entity: nothing recorded
        assert (
            record_status(
                conn,
                store_id=STORE_A,
                register_id=world.registers[(STORE_A, 2)],
                checkpoint=1,
                pending_uploads=0,
                mode="online",
                now=world.clock.now(),
            )
            is None
        )
    assert entity is not None
    channel, offline = _entities(world, data_group_id=STORE_A)
    assert (channel.checkpoint, channel.latest_number, channel.lag) == (4, 4, 0)
    assert (offline.checkpoint, offline.lag, offline.pending_uploads) == (2, 2, 5)
    assert offline.mode == "offline (manual)" and offline.last_contact_at == world.clock.now()


def test_a_store_cannot_report_for_another_stores_register(world: World) -> None:
    with world.engine.begin() as conn, pytest.raises(NotAllowed):
        record_status(
            conn,
            store_id=STORE_A,
            register_id=world.registers[(STORE_B, 1)],
            checkpoint=1,
            pending_uploads=0,
            mode="online",
            now=world.clock.now(),
        )
    with world.engine.begin() as conn, pytest.raises(InvalidInput):
        record_status(
            conn,
            store_id=STORE_A,
            register_id=None,
            checkpoint=-1,
            pending_uploads=0,
            mode=None,
            now=world.clock.now(),
        )


def test_reconcile_creates_entities_for_imported_offline_registers(world: World) -> None:
    # given registers flagged Support offline by an import (no entities yet)
    with world.engine.begin() as conn:
        conn.execute(
            update(s.registers)
            .where(s.registers.c.store_id == STORE_B)
            .values(support_offline=True)
        )
        counts = reconcile_entities(conn, world.clock.now())
        again = reconcile_entities(conn, world.clock.now())
    assert counts == {"channel_created": 2, "offline_created": 2, "offline_retired": 0}
    assert again == {"channel_created": 0, "offline_created": 0, "offline_retired": 0}
    assert [v.kind for v in _entities(world, data_group_id=STORE_B)] == [
        "channel",
        "offline",
        "offline",
    ]
    # and a cleared flag retires the entity
    with world.engine.begin() as conn:
        conn.execute(
            update(s.registers)
            .where(s.registers.c.id == world.registers[(STORE_B, 2)])
            .values(support_offline=False)
        )
        assert reconcile_entities(conn, world.clock.now())["offline_retired"] == 1
        assert conn.execute(select(channel_db_entities.c.id)).all()


def test_seed_is_idempotent_and_keeps_admin_changes(world: World) -> None:
    with world.engine.begin() as conn:
        conn.execute(
            update(distribution_schedules)
            .values(interval_s=300)
            .where(distribution_schedules.c.name == "Prices")
        )
        seed_distribution(conn)
        seed_distribution(conn)
        schedules = list_schedules(conn)
    assert [(x.name, x.interval_s) for x in schedules] == [("All jobs", None), ("Prices", 300)]
    assert list(get_schedule_jobs(world, "All jobs")) == [1010, 1040, 1060, 1070, 1110]


def get_schedule_jobs(w: World, name: str) -> tuple[int, ...]:
    with w.engine.connect() as conn:
        return get_schedule(conn, name).job_ids


def test_scheduler_runs_due_schedules_on_their_interval(world: World) -> None:
    with world.engine.begin() as conn:
        conn.execute(
            update(distribution_schedules)
            .values(interval_s=60)
            .where(distribution_schedules.c.name == "Prices")
        )
        prices = get_schedule(conn, "Prices")
    assert is_due(prices, world.clock.now())
    scheduler = Scheduler(world.engine, clock=world.clock, poll_s=0.05)
    # when it runs: "Prices" is due (never ran), "All jobs" has no interval
    reports = scheduler.run_due()
    assert [r.schedule_name for r in reports] == ["Prices"]
    # then it is not due again until 60 s have passed
    assert scheduler.run_due() == []
    world.set_price(1002, 1)
    world.clock.advance(60)
    # and the background thread picks it up
    seen: list[str] = []
    scheduler.on_report = lambda r: seen.append(json.dumps(r.to_dict()))
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        scheduler.stop()
    assert not scheduler.running
    assert seen and '"outcome": "package"' in seen[0]
