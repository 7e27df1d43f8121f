"""insert_ignore / upsert on SQLite and PostgreSQL: unchanged rows keep their version."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from kassa.db.channel_schema import metadata
from kassa.db.migrate import prepare_database
from kassa.db.upsert import insert_ignore, upsert

products = metadata.tables["products"]
UPDATE_COLS = [c.name for c in products.columns if c.name != "id"]


def product(pid: int, version: int, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": pid,
        "name": f"Product {pid}",
        "manufacturer_id": 2,
        "department": "GROCERY",
        "brand": None,
        "category": "SOUP",
        "product_type": None,
        "package_size": "10 OZ",
        "barcode": f"{pid:013d}",
        "unit_of_measure": "each",
        "tax_group_id": "food",
        "version": version,
    }
    row.update(over)
    return row


def versions(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(products.c.id, products.c.version)).all())  # type: ignore[arg-type]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = prepare_database(db_url, "channel")
    yield engine
    engine.dispose()


def test_upsert_inserts_new_rows_and_reports_them(engine: Engine) -> None:
    with engine.begin() as conn:
        written = upsert(conn, products, [product(1, 5), product(2, 5)], ["id"], UPDATE_COLS)
    assert sorted(written) == [(1,), (2,)]
    assert versions(engine) == {1: 5, 2: 5}


def test_unchanged_rows_keep_their_version_changed_rows_take_the_new_one(engine: Engine) -> None:
    # given two products at version 5
    with engine.begin() as conn:
        upsert(conn, products, [product(1, 5), product(2, 5)], ["id"], UPDATE_COLS)
    # when both are written again at version 6, only product 2 with a new name
    rows = [product(1, 6), product(2, 6, name="Renamed")]
    with engine.begin() as conn:
        written = upsert(conn, products, rows, ["id"], UPDATE_COLS)
    # then only product 2 changed and took version 6
    assert written == [(2,)]
    assert versions(engine) == {1: 5, 2: 6}


@pytest.mark.parametrize(("before", "after"), [(None, "ACME"), ("ACME", None), ("A", "B")])
def test_change_from_or_to_null_counts_as_a_change(
    engine: Engine, before: str | None, after: str | None
) -> None:
    with engine.begin() as conn:
        upsert(conn, products, [product(1, 5, brand=before)], ["id"], UPDATE_COLS)
    with engine.begin() as conn:
        written = upsert(conn, products, [product(1, 6, brand=after)], ["id"], UPDATE_COLS)
    assert written == [(1,)]
    with engine.connect() as conn:
        assert conn.execute(select(products.c.brand)).scalar_one() == after


def test_only_if_changed_false_updates_every_conflicting_row(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert(conn, products, [product(1, 5)], ["id"], UPDATE_COLS)
    with engine.begin() as conn:
        written = upsert(conn, products, [product(1, 6)], ["id"], UPDATE_COLS, False)
    assert written == [(1,)]
    assert versions(engine) == {1: 6}


def test_compare_cols_decide_what_is_a_change(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert(conn, products, [product(1, 5)], ["id"], UPDATE_COLS)
    with engine.begin() as conn:
        written = upsert(
            conn, products, [product(1, 6, brand="X")], ["id"], UPDATE_COLS, compare_cols=["name"]
        )
    assert written == []
    assert versions(engine) == {1: 5}


def test_large_batches_are_written_completely(engine: Engine) -> None:
    rows = [product(i, 1) for i in range(1, 2501)]
    with engine.begin() as conn:
        assert len(upsert(conn, products, rows, ["id"], UPDATE_COLS)) == 2500
    with engine.begin() as conn:
        assert len(insert_ignore(conn, products, [product(i, 2) for i in range(2401, 2601)])) == 100
    assert len(versions(engine)) == 2600


def test_repeated_key_in_one_call_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="twice"), engine.begin() as conn:
        upsert(conn, products, [product(1, 5), product(1, 6)], ["id"], UPDATE_COLS)


def test_empty_rows_write_nothing(engine: Engine) -> None:
    with engine.begin() as conn:
        assert upsert(conn, products, [], ["id"], UPDATE_COLS) == []
        assert insert_ignore(conn, products, []) == []


def test_insert_ignore_ignores_only_the_key_not_other_unique_constraints(engine: Engine) -> None:
    # given product 1 with its barcode
    with engine.begin() as conn:
        insert_ignore(conn, products, [product(1, 5)])
    # when another product brings the same barcode, then it is an error, not a silent drop
    with pytest.raises(IntegrityError), engine.begin() as conn:
        insert_ignore(conn, products, [product(2, 5, barcode=product(1, 5)["barcode"])])


def test_upsert_by_a_unique_non_primary_key(engine: Engine) -> None:
    customers = metadata.tables["customers"]
    row = {"id": 7, "name": "Household 7", "loyalty_card": "4000000000007", "version": 1}
    with engine.begin() as conn:
        upsert(conn, customers, [row], ["loyalty_card"], ["name", "version"])
        written = upsert(
            conn,
            customers,
            [{**row, "name": "Renamed", "version": 2}],
            ["loyalty_card"],
            ["name", "version"],
        )
    assert written == [("4000000000007",)]
