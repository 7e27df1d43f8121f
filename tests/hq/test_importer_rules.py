"""Importer rules on small hand-made parquet files (tests/support/cj_files.py): prices as
exact medians, counted outcomes for every row, names, ownership on re-import."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update

from kassa.db import hq_schema as s
from kassa.db.migrate import prepare_database
from kassa.domain.barcode import MAX_PRODUCT_ID, upc_a_from_id
from kassa.hq.importer import run_import
from kassa.hq.importer.catalogue import barcodes, product_names
from kassa.hq.importer.pricing import compute_prices
from kassa.hq.importer.source import read_source
from support.cj_files import EXPECTED_PRICES, LINES, PRODUCTS, transactions_table, write_sample


@pytest.fixture
def hq(db_url: str) -> Iterator[Engine]:
    engine = prepare_database(db_url, "hq")
    yield engine
    engine.dispose()


def _prices(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(s.prices.c.product_id, s.prices.c.price_cents)).all())


def test_sample_import_counts_every_row(hq: Engine, tmp_path: Path) -> None:
    # given the sample files
    source = write_sample(tmp_path / "cj")
    # when imported
    report = run_import(hq, source=source, registers_per_store=2)
    # then prices are the exact medians, the rest counted with reasons
    assert _prices(hq) == EXPECTED_PRICES
    lines = report["sales lines"]
    assert lines.read == len(LINES)
    assert lines.rejected == {
        "unknown product": 1,
        "zero quantity": 1,
        "negative quantity": 1,
        "zero value": 1,
    }
    assert lines.used == 6
    assert "product 99" in lines.examples["unknown product"]
    prices = report["prices"]
    assert prices.read == 6 and prices.imported == 2
    assert prices.rejected == {
        "no price: never sold": 1,
        "no price: no usable sales line": 2,
        "price below one cent": 1,
    }
    assert prices.examples["no price: never sold"] == "product 3"
    assert prices.examples["price below one cent"] == "product 5"
    assert report["customers"].imported == 3 and report.customers_with_demographics == 2
    assert report["stores"].imported == 2 and report["registers"].imported == 4
    assert all(o.accounted for o in report.entities.values())
    # and the rejections are stored with the run
    with hq.connect() as conn:
        stored = {(r.entity, r.reason): r.count for r in conn.execute(select(s.import_rejections))}
    assert stored[("prices", "no price: no usable sales line")] == 2
    assert stored[("sales lines", "negative quantity")] == 1


def test_half_a_cent_rounds_up_and_medians_are_exact() -> None:
    # given two lines 1.00 and 1.01 (median 1.005) and three lines of 1/3, 1/3, 2/3 dollars
    lines = [
        (1, 1, 1, 1, 1, 1.00, 0.0, 0.0),
        (1, 1, 1, 1, 1, 1.01, 0.0, 0.0),
        (1, 1, 2, 2, 3, 1.00, 0.0, 0.0),
        (1, 1, 3, 2, 3, 1.00, 0.0, 0.0),
        (1, 1, 4, 2, 3, 2.00, 0.0, 0.0),
    ]
    products = pa.table({"product_id": pa.array([1, 2], pa.int64())})
    # when priced
    result = compute_prices(transactions_table(lines), products)
    # then 1.005 rounds half-up to 1.01, and 0.333… to 0.33
    assert dict(result.prices) == {1: 101, 2: 33}


def test_values_off_whole_cents_are_not_guessed() -> None:
    lines = [(1, 1, 1, 1, 1, 1.005, 0.0, 0.0), (1, 1, 1, 1, 1, 2.00, 0.0, 0.0)]
    products = pa.table({"product_id": pa.array([1], pa.int64())})
    result = compute_prices(transactions_table(lines), products)
    assert result.lines.rejected == {"value not in whole cents": 1}
    assert dict(result.prices) == {1: 200}


def test_absurd_quantities_are_counted_not_priced() -> None:
    lines = [(1, 1, 1, 1, 2**26, 5.00, 0.0, 0.0), (1, 1, 1, 1, 1, 2.00, 0.0, 0.0)]
    products = pa.table({"product_id": pa.array([1], pa.int64())})
    result = compute_prices(transactions_table(lines), products)
    assert result.lines.rejected == {"quantity or value too large": 1}
    assert "line 0:" in result.lines.examples["quantity or value too large"]
    assert dict(result.prices) == {1: 200}


def test_product_names_from_the_description() -> None:
    names = product_names(pa.table(PRODUCTS)).to_pylist()
    assert names == [
        "CONDENSED SOUP 10.5 OZ (Private)",
        "COLD AND FLU 24 CT (National)",
        "PRODUCE (National)",
        "CHEESE: SLICED",
        "GASOLINE-REG (National)",
        "GROCERY (Private)",
    ]
    empty = pa.table(
        {
            "product_id": pa.array([7], pa.int64()),
            **{
                c: pa.array([" "], pa.string())
                for c in PRODUCTS
                if c not in ("product_id", "manufacturer_id")
            },
        }
    )
    assert product_names(empty).to_pylist() == ["Product 7"]


def test_duplicate_and_missing_ids_are_counted(hq: Engine, tmp_path: Path) -> None:
    products = {k: [*v, v[0], v[0]] for k, v in PRODUCTS.items()}
    products["product_id"][-1] = None
    source = write_sample(tmp_path / "cj", products=products)
    report = run_import(hq, source=source)
    assert report["products"].read == 8
    assert report["products"].imported == 6
    assert report["products"].rejected == {"duplicate id": 1, "missing id": 1}
    assert report["products"].accounted


def test_reimport_updates_changed_rows_and_keeps_back_office_settings(
    hq: Engine, tmp_path: Path
) -> None:
    # given an import, then back-office edits: a register's Support offline, a parameter
    source = write_sample(tmp_path / "cj")
    first = run_import(hq, source=source)
    with hq.begin() as conn:
        conn.execute(
            update(s.registers).where(s.registers.c.number == 1).values(support_offline=False)
        )
        conn.execute(
            update(s.commerce_parameters)
            .where(s.commerce_parameters.c.key == "allow_offline_gift_card_conclusion")
            .values(value="true")
        )
    # and the source changes one price line
    lines = [*LINES]
    lines[1] = (2, 10, 101, 1, 1, 2.60, 0.0, 0.0)  # product 1: 2.00, 2.50, 2.60 → 2.50
    write_sample(source, lines=lines)
    # when imported again
    again = run_import(hq, source=source)
    # then only that price is updated, with a new version; back-office edits stay
    assert again.version == (first.version or 0) + 1
    assert (again["prices"].updated, again["prices"].unchanged) == (1, 1)
    assert _prices(hq)[1] == 250 and again["products"].unchanged == 6
    with hq.connect() as conn:
        assert (
            conn.execute(select(s.prices.c.version).where(s.prices.c.product_id == 1)).scalar_one()
            == again.version
        )
        assert (
            conn.execute(select(s.prices.c.version).where(s.prices.c.product_id == 2)).scalar_one()
            == first.version
        )
        offline = (
            conn.execute(select(s.registers.c.support_offline).where(s.registers.c.number == 1))
            .scalars()
            .all()
        )
        assert offline and not any(offline)
        value = conn.execute(
            select(s.commerce_parameters.c.value).where(
                s.commerce_parameters.c.key == "allow_offline_gift_card_conclusion"
            )
        ).scalar_one()
    assert value == "true"


def test_a_new_operator_password_rehashes(hq: Engine, tmp_path: Path) -> None:
    source = write_sample(tmp_path / "cj")
    run_import(hq, source=source)
    report = run_import(hq, source=source, operator_password="another-secret")
    assert report["operators"].updated == 6
    assert report.version is not None


def test_decimal_is_used_not_float() -> None:
    # the median of 0.10 and 0.20 is exactly 0.15 (a float sum would give 0.15000000000000002)
    lines = [(1, 1, 1, 1, 1, 0.10, 0.0, 0.0), (1, 1, 1, 1, 1, 0.20, 0.0, 0.0)]
    products = pa.table({"product_id": pa.array([1], pa.int64())})
    assert dict(compute_prices(transactions_table(lines), products).prices) == {1: 15}
    assert Decimal("0.15") * 100 == 15


def test_vectorised_barcodes_equal_the_domain_rule_on_every_dataset_id() -> None:
    ids = read_source().products["product_id"]
    assert barcodes(ids).to_pylist() == [upc_a_from_id(i) for i in ids.to_pylist()]


@given(st.lists(st.integers(min_value=0, max_value=MAX_PRODUCT_ID), min_size=1, max_size=50))
def test_vectorised_barcodes_equal_the_domain_rule(ids: list[int]) -> None:
    assert barcodes(pa.array(ids, pa.int64())).to_pylist() == [upc_a_from_id(i) for i in ids]
