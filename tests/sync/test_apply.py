"""Applying data packages to channel DBs (SQLite, PostgreSQL) and offline DBs (DESIGN §4;
issue 3 acceptance): snapshot then deltas, idempotence, and every refusal leaving the
database exactly as it was."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from kassa.config import sqlite_url
from kassa.db import channel_schema as cs
from kassa.db import product_search
from kassa.db.migrate import prepare_database
from kassa.domain.errors import PackageError
from kassa.store.catalogue import search_products
from kassa.sync.apply import apply_package, checkpoint_of
from support.package_factory import (
    PRICE_COLUMNS,
    PRODUCT_COLUMNS,
    catalogue_tables,
    channel_tables,
    dump,
    package,
    product,
)

NOW = datetime(2017, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def channel(db_url: str) -> Iterator[Engine]:
    engine = prepare_database(db_url, "channel")
    yield engine
    engine.dispose()


@pytest.fixture
def offline(data_dir: Path) -> Iterator[Engine]:
    engine = prepare_database(sqlite_url(data_dir / "offline.sqlite"), "offline")
    yield engine
    engine.dispose()


def _prices(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(cs.metadata.tables["prices"].c[0:2])).all())  # type: ignore[arg-type]


def _product_ids(engine: Engine) -> list[int]:
    t = cs.metadata.tables["products"]
    with engine.connect() as conn:
        return list(conn.execute(select(t.c.id).order_by(t.c.id)).scalars())


def _snapshot(engine: Engine, n: int = 5) -> None:
    header, body = package(1, kind="snapshot", **catalogue_tables(n))
    result = apply_package(engine, header, body, now=NOW)
    assert (result.number, result.kind, result.skipped) == (1, "snapshot", False)


def _snapshot_then_deltas(engine: Engine) -> None:
    # given a new database: no checkpoint
    assert checkpoint_of(engine) is None
    # when the snapshot and then a delta with a price change and a delete are applied
    _snapshot(engine)
    header, body = package(
        2,
        products=(PRODUCT_COLUMNS, [], [[1005]]),
        prices=(PRICE_COLUMNS, [[1002, 449, 2]], [[1005]]),
    )
    result = apply_package(engine, header, body, now=NOW)
    # then the price changed, the product is gone, the checkpoint is 2
    assert (result.number, result.rows, result.skipped) == (2, 3, False)
    assert _prices(engine) == {1001: 100, 1002: 449, 1003: 102, 1004: 103}
    assert _product_ids(engine) == [1001, 1002, 1003, 1004]
    assert checkpoint_of(engine) == 2


def test_channel_db_gets_snapshot_then_price_change_and_delete(channel: Engine) -> None:
    _snapshot_then_deltas(channel)


def test_offline_db_gets_snapshot_then_price_change_and_delete(offline: Engine) -> None:
    _snapshot_then_deltas(offline)


def test_same_package_twice_changes_nothing(channel: Engine) -> None:
    _snapshot(channel)
    header, body = package(2, prices=(PRICE_COLUMNS, [[1001, 999, 2]], []))
    apply_package(channel, header, body, now=NOW)
    before = dump(channel)
    # when the same delta (and the old snapshot) arrive again
    again = apply_package(channel, header, body, now=datetime(2017, 3, 2, tzinfo=UTC))
    snap_header, snap_body = package(1, kind="snapshot", **catalogue_tables(2))
    old = apply_package(channel, snap_header, snap_body, now=NOW)
    # then both are skipped and nothing changed, not even applied_at
    assert again.skipped and old.skipped and again.rows == 0
    assert dump(channel) == before


@pytest.mark.parametrize(
    ("spoil", "code"),
    [
        ("truncate", "package.truncated"),
        ("checksum", "package.checksum_mismatch"),
        ("gap", "package.gap"),
    ],
)
def test_refused_package_leaves_the_database_as_it_was(
    channel: Engine, spoil: str, code: str
) -> None:
    # given a channel DB at package 1
    _snapshot(channel)
    before = dump(channel)
    header, body = package(2, prices=(PRICE_COLUMNS, [[1001, 5, 2]], []),
                           products=(PRODUCT_COLUMNS, [], [[1003]]))
    bad_header, bad_body = dict(header), body
    if spoil == "truncate":
        bad_body = body[: len(body) // 2]
    elif spoil == "checksum":
        bad_body = body[:-1] + bytes([body[-1] ^ 0xFF])
    else:
        bad_header, bad_body = package(3, prices=(PRICE_COLUMNS, [[1001, 5, 3]], []))
    # when the spoiled package is applied
    with pytest.raises(PackageError) as err:
        apply_package(channel, bad_header, bad_body, now=NOW)
    # then a clear error, the database exactly as before, and the good package applies next
    assert err.value.code == code
    assert str(err.value.message)
    assert dump(channel) == before
    assert apply_package(channel, header, body, now=NOW).number == 2
    assert _prices(channel)[1001] == 5


def test_delta_without_checkpoint_needs_a_snapshot(offline: Engine) -> None:
    header, body = package(1, prices=(PRICE_COLUMNS, [[1001, 5, 2]], []))
    before = dump(offline)
    with pytest.raises(PackageError) as err:
        apply_package(offline, header, body, now=NOW)
    assert err.value.code == "package.needs_snapshot"
    assert dump(offline) == before


@pytest.mark.parametrize(
    ("tables", "code"),
    [
        ({"no_such_table": (["id"], [[1]], [])}, "package.unknown_table"),
        ({"prices": (["product_id", "colour"], [[1, "red"]], [])}, "package.bad_columns"),
        ({"prices": (["price_cents"], [[1]], [])}, "package.bad_columns"),
        ({"prices": (PRICE_COLUMNS, [[1, 2]], [])}, "package.bad_value"),
        ({"registers": (["id", "store_id"], [["not-a-uuid", 1]], [])}, "package.bad_value"),
    ],
)
def test_package_that_does_not_fit_the_schema_is_refused(
    channel: Engine, tables: dict[str, tuple[list[str], list[list[object]], list[object]]],
    code: str,
) -> None:
    _snapshot(channel)
    before = dump(channel)
    header, body = package(2, **tables)  # type: ignore[arg-type]
    with pytest.raises(PackageError) as err:
        apply_package(channel, header, body, now=NOW)
    assert err.value.code == code
    assert dump(channel) == before


def test_barcode_swap_in_one_delta_applies(channel: Engine) -> None:
    # given two products with barcodes A and B
    _snapshot(channel, 2)
    a, b = product(1001)[8], product(1002)[8]
    # when one delta swaps their barcodes
    header, body = package(2, products=(PRODUCT_COLUMNS, [product(1001, barcode=b, version=2),
                                                          product(1002, barcode=a, version=2)],
                                        []))
    apply_package(channel, header, body, now=NOW)
    # then both rows hold the other's barcode
    t = cs.metadata.tables["products"]
    with channel.connect() as conn:
        got: dict[int, str] = dict(conn.execute(select(t.c.id, t.c.barcode)).all())
    assert got == {1001: b, 1002: a}


def test_barcode_taken_by_an_untouched_row_is_a_conflict(channel: Engine) -> None:
    _snapshot(channel, 2)
    before = dump(channel)
    header, body = package(2, products=(PRODUCT_COLUMNS,
                                        [product(1003, barcode=product(1001)[8])], []))
    with pytest.raises(PackageError) as err:
        apply_package(channel, header, body, now=NOW)
    assert err.value.code == "package.conflict"
    assert dump(channel) == before


def test_package_of_another_data_group_is_refused(channel: Engine) -> None:
    _snapshot(channel)
    before = dump(channel)
    header, body = package(5, kind="snapshot", group=8, **catalogue_tables(1))
    with pytest.raises(PackageError) as err:
        apply_package(channel, header, body, now=NOW)
    assert err.value.code == "package.wrong_group"
    assert dump(channel) == before


def test_new_snapshot_replaces_rows_and_search_index_and_keeps_schema(channel: Engine) -> None:
    # given a snapshot with products 1001-1005
    _snapshot(channel)
    schema = dump(channel)["__schema__"]
    # when a later snapshot holds other products with other names
    tables = catalogue_tables(0)
    tables["products"] = (PRODUCT_COLUMNS, [product(2001, "OAT MILK BARISTA"),
                                            product(2002, "ALMOND BUTTER")], [])
    header, body = package(4, kind="snapshot", **tables)
    result = apply_package(channel, header, body, now=NOW)
    # then only the new rows exist, indexes and triggers are back, search finds the new names
    assert result.rows == 2 + 2 + 0 + 2
    assert _product_ids(channel) == [2001, 2002]
    assert dump(channel)["__schema__"] == schema
    with channel.connect() as conn:
        assert [p["id"] for p in search_products(conn, "barista oat")] == [2001]
        assert search_products(conn, "product") == []
    # and a later delta keeps the search index in step through the triggers
    header, body = package(5, products=(PRODUCT_COLUMNS, [product(2003, "OAT FLAKES")],
                                        [[2001]]))
    apply_package(channel, header, body, now=NOW)
    with channel.connect() as conn:
        assert [p["id"] for p in search_products(conn, "oat")] == [2003]


def _offline_search(engine: Engine, q: str) -> list[int]:
    with engine.connect() as conn:
        hits = product_search.hits(conn, q, 20)
        return [int(r.id) for r in conn.execute(select(hits.c.id).order_by(hits.c.score,
                                                                          hits.c.id))]


def test_offline_search_index_follows_snapshots_and_deltas(offline: Engine) -> None:
    # given an offline DB with a snapshot of products 1001-1005
    _snapshot(offline)
    assert _offline_search(offline, "produ 1003") == [1003]
    # when a later snapshot replaces the products
    tables = catalogue_tables(0)
    tables["products"] = (PRODUCT_COLUMNS, [product(2001, "OAT MILK BARISTA"),
                                            product(2002, "ALMOND BUTTER")], [])
    header, body = package(4, kind="snapshot", **tables)
    apply_package(offline, header, body, now=NOW)
    # then the index holds the new names only, and the triggers are back
    assert _offline_search(offline, "barista oat") == [2001]
    assert _offline_search(offline, "product") == []
    # and a delta (delete, rename, insert) keeps it in step through the triggers
    header, body = package(5, products=(PRODUCT_COLUMNS, [product(2002, "OAT BRAN"),
                                                          product(2003, "OAT FLAKES")],
                                        [[2001]]))
    apply_package(offline, header, body, now=NOW)
    assert _offline_search(offline, "oat") == [2002, 2003]
    assert _offline_search(offline, "almond") == []
    with offline.connect() as conn:
        check = "INSERT INTO products_fts(products_fts, rank) VALUES ('integrity-check', 1)"
        conn.exec_driver_sql(check)  # raises when the index differs from the rows


def test_uuid_values_travel_as_hex_and_come_back_as_uuids(offline: Engine) -> None:
    register = uuid.uuid4()
    header, body = package(1, kind="snapshot", **channel_tables(register, "ab" * 32))
    apply_package(offline, header, body, now=NOW)
    t = cs.metadata.tables["registers"]
    with offline.connect() as conn:
        got = conn.execute(select(t.c.id, t.c.device_token_hash)).one()
    assert tuple(got) == (register, "ab" * 32)
