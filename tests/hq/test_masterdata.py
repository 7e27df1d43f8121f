"""Versioned master-data writes: one version per transaction, unchanged rows keep theirs,
deletes leave tombstones (DESIGN §4) — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from kassa.db import hq_schema as s
from kassa.db.migrate import prepare_database
from kassa.hq.masterdata import RowSet, VersionStamp, delete_rows, next_version, upsert_rows


@pytest.fixture
def hq(db_url: str) -> Iterator[Engine]:
    engine = prepare_database(db_url, "hq")
    with engine.begin() as conn:
        conn.execute(
            s.tax_groups.insert(), [{"id": "FOOD", "name": "Food", "rate_bp": 0, "version": 0}]
        )
    yield engine
    engine.dispose()


def _product(pid: int, name: str) -> dict[str, Any]:
    return {
        "id": pid,
        "name": name,
        "manufacturer_id": None,
        "department": "GROCERY",
        "brand": None,
        "category": None,
        "product_type": None,
        "package_size": None,
        "barcode": f"{pid:012d}",
        "unit_of_measure": "each",
        "tax_group_id": "FOOD",
    }


def _versions(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(s.products.c.id, s.products.c.version)).all())


def _counter(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(s.change_counter.c.value)).scalar_one())


def test_next_version_is_monotonic(hq: Engine) -> None:
    with hq.begin() as conn:
        first = next_version(conn)
    with hq.begin() as conn:
        second = next_version(conn)
    assert second == first + 1 == _counter(hq)


def test_one_version_per_transaction_and_unchanged_rows_keep_theirs(hq: Engine) -> None:
    # given three products written in one transaction
    with hq.begin() as conn:
        counts = upsert_rows(
            conn, s.products, [_product(i, f"P{i}") for i in (1, 2, 3)], VersionStamp(conn)
        )
    assert (counts.inserted, counts.updated, counts.unchanged) == (3, 0, 0)
    v1 = _versions(hq)
    assert set(v1.values()) == {_counter(hq)}
    # when one is renamed and one added in a second transaction
    rows = [_product(1, "P1"), _product(2, "renamed"), _product(3, "P3"), _product(4, "P4")]
    with hq.begin() as conn:
        counts = upsert_rows(conn, s.products, rows, VersionStamp(conn))
    # then only the changed and the new row carry the new version
    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 1, 2)
    v2 = _versions(hq)
    new = _counter(hq)
    assert v2 == {1: v1[1], 2: new, 3: v1[3], 4: new}


def test_writing_the_same_rows_again_takes_no_version(hq: Engine) -> None:
    rows = RowSet.of([_product(i, f"P{i}") for i in (1, 2)])
    with hq.begin() as conn:
        upsert_rows(conn, s.products, rows, VersionStamp(conn))
    before = _counter(hq), _versions(hq)
    with hq.begin() as conn:
        stamp = VersionStamp(conn)
        counts = upsert_rows(conn, s.products, rows, stamp)
        assert not stamp.taken
    assert counts.unchanged == 2 and (_counter(hq), _versions(hq)) == before


def test_seed_inserts_missing_rows_and_keeps_existing_ones(hq: Engine) -> None:
    with hq.begin() as conn:
        upsert_rows(conn, s.products, [_product(1, "edited in back office")], VersionStamp(conn))
    with hq.begin() as conn:
        rows = [_product(1, "default"), _product(2, "default")]
        counts = upsert_rows(conn, s.products, rows, VersionStamp(conn), seed=True)
    assert (counts.inserted, counts.unchanged) == (1, 1)
    with hq.connect() as conn:
        names = dict(conn.execute(select(s.products.c.id, s.products.c.name)).all())
    assert names == {1: "edited in back office", 2: "default"}


def test_columns_not_given_are_left_alone(hq: Engine) -> None:
    # given a store whose server token hash was set by someone else
    with hq.begin() as conn:
        stamp = VersionStamp(conn)
        upsert_rows(conn, s.data_groups, [{"id": 1, "name": "Store 1"}], stamp)
        upsert_rows(
            conn,
            s.offline_profiles,
            [
                {
                    "id": 1,
                    "name": "Default",
                    "timeout_s": 5,
                    "retry_count_to_offline": 0,
                    "reconnect_interval_s": 60,
                    "health_check_interval_s": None,
                    "prompt_on_seamless_offline": False,
                    "download_interval_s": 60,
                    "upload_interval_s": 10,
                    "upload_batch_size": 100,
                    "pause_offline_sync": False,
                }
            ],
            stamp,
        )
        store = {
            "id": 1,
            "name": "Store 1",
            "data_group_id": 1,
            "offline_profile_id": 1,
            "currency": "USD",
            "receipt_header": "h",
            "receipt_footer": "f",
        }
        upsert_rows(conn, s.stores, [{**store, "server_token_hash": "ab" * 32}], stamp)
    # when the store is upserted without that column, with a new name
    with hq.begin() as conn:
        upsert_rows(conn, s.stores, [{**store, "name": "Store One"}], VersionStamp(conn))
    # then the hash is still there
    with hq.connect() as conn:
        row = conn.execute(select(s.stores)).mappings().one()
    assert row["name"] == "Store One" and row["server_token_hash"] == "ab" * 32


def test_delete_leaves_tombstones_and_reinsert_clears_them(hq: Engine) -> None:
    with hq.begin() as conn:
        upsert_rows(conn, s.products, [_product(i, f"P{i}") for i in (1, 2)], VersionStamp(conn))
    with hq.begin() as conn:
        assert delete_rows(conn, s.products, [1, 99], VersionStamp(conn)) == 1
    version = _counter(hq)
    with hq.connect() as conn:
        stones = conn.execute(select(s.tombstones)).mappings().all()
    assert [(t["table_name"], t["row_key"], t["version"]) for t in stones] == [
        ("products", "1", version)
    ]
    # deleting nothing takes no version
    with hq.begin() as conn:
        assert delete_rows(conn, s.products, [1], VersionStamp(conn)) == 0
    assert _counter(hq) == version
    # the row comes back: its tombstone goes
    with hq.begin() as conn:
        upsert_rows(conn, s.products, [_product(1, "P1")], VersionStamp(conn))
    with hq.connect() as conn:
        assert conn.execute(select(s.tombstones)).first() is None


def test_rows_must_not_carry_version_or_lack_the_key(hq: Engine) -> None:
    with hq.begin() as conn, pytest.raises(ValueError):
        upsert_rows(conn, s.products, [{**_product(1, "x"), "version": 5}], VersionStamp(conn))
    with hq.begin() as conn, pytest.raises(ValueError):
        upsert_rows(conn, s.prices, [{"price_cents": 100}], VersionStamp(conn))
