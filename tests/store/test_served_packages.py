"""Which packages the store server offers a register (kassa.store.served; DESIGN §4: a target
without a checkpoint starts from a snapshot, never from a replay of history)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from kassa.db.migrate import prepare_database
from kassa.domain.errors import NotFound
from kassa.store import served
from support.package_factory import GROUP, PRICE_COLUMNS, catalogue_tables, package

NOW = datetime(2017, 3, 1, tzinfo=UTC)


@pytest.fixture
def channel(db_url: str) -> Iterator[Engine]:
    engine = prepare_database(db_url, "channel")
    # held: snapshot 3, deltas 4..6 (the store server started at 3)
    with engine.begin() as conn:
        served.keep(conn, *package(3, kind="snapshot", **catalogue_tables(1)), NOW)
        for n in (4, 5, 6):
            served.keep(conn, *package(n, prices=(PRICE_COLUMNS, [[1001, n, n]], [])), NOW)
    yield engine
    engine.dispose()


def _numbers(engine: Engine, after: int | None, limit: int = 100) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [(h["number"], h["kind"]) for h in served.listing(conn, GROUP, after, limit)]


def test_new_register_gets_the_snapshot_then_the_later_deltas(channel: Engine) -> None:
    assert _numbers(channel, None) == [(3, "snapshot"), (4, "delta"), (5, "delta"),
                                       (6, "delta")]
    assert _numbers(channel, None, limit=2) == [(3, "snapshot"), (4, "delta")]


def test_register_with_a_checkpoint_gets_the_deltas_after_it(channel: Engine) -> None:
    assert _numbers(channel, 4) == [(5, "delta"), (6, "delta")]
    assert _numbers(channel, 3) == [(4, "delta"), (5, "delta"), (6, "delta")]
    assert _numbers(channel, 6) == []
    assert _numbers(channel, 9) == []


def test_register_older_than_anything_held_starts_again_from_the_snapshot(
    channel: Engine,
) -> None:
    assert _numbers(channel, 1) == [(3, "snapshot"), (4, "delta"), (5, "delta"), (6, "delta")]


def test_keeping_twice_changes_nothing_and_bodies_come_back_unchanged(channel: Engine) -> None:
    header, body = package(4, prices=(PRICE_COLUMNS, [[1001, 4, 4]], []))
    with channel.begin() as conn:
        assert served.keep(conn, header, body, NOW) is False
    with channel.connect() as conn:
        got_header, got_body = served.body(conn, GROUP, 4, "delta")
        assert (got_header, got_body) == (header, body)
        with pytest.raises(NotFound):
            served.body(conn, GROUP, 4, "snapshot")
        with pytest.raises(NotFound):
            served.body(conn, GROUP + 1, 4, "delta")
