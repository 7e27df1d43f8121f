"""Bad source files: one clear DataFileError naming the file and the problem, and nothing
written — not even the import run (issue 2 §4)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func, select

from kassa.config import sqlite_url
from kassa.db import hq_schema as s
from kassa.db.migrate import prepare_database
from kassa.domain.errors import DataFileError, InvalidInput
from kassa.hq.importer import run_import
from support.cj_files import PRODUCTS, write_sample


@pytest.fixture
def hq(data_dir: Path) -> Iterator[Engine]:
    engine = prepare_database(sqlite_url(data_dir / "hq.sqlite"), "hq")
    yield engine
    engine.dispose()


def _nothing_written(engine: Engine) -> bool:
    with engine.connect() as conn:
        tables = (s.products, s.prices, s.customers, s.stores, s.import_runs)
        counts = [conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables]
        counter = conn.execute(select(s.change_counter.c.value)).scalar_one()
    return counts == [0] * len(tables) and counter == 0


def _refused(engine: Engine, source: Path) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        run_import(engine, source=source)
    assert _nothing_written(engine)
    assert "\n" not in info.value.message
    return info.value


def test_missing_file(hq: Engine, tmp_path: Path) -> None:
    source = write_sample(tmp_path / "cj")
    (source / "demographics.parquet").unlink()
    error = _refused(hq, source)
    assert error.code == "data_file.missing"
    assert "demographics.parquet" in error.message and "not found" in error.message


def test_missing_directory(hq: Engine, tmp_path: Path) -> None:
    error = _refused(hq, tmp_path / "nowhere")
    assert error.code == "data_file.missing" and "nowhere" in error.message


def test_garbage_instead_of_parquet(hq: Engine, tmp_path: Path) -> None:
    source = write_sample(tmp_path / "cj")
    (source / "transactions.parquet").write_bytes(b"PAR1 this is not parquet at all \x00\xff")
    error = _refused(hq, source)
    assert error.code == "data_file.unreadable"
    assert (
        "transactions.parquet" in error.message and "not a readable parquet file" in error.message
    )


def test_truncated_parquet(hq: Engine, tmp_path: Path) -> None:
    source = write_sample(tmp_path / "cj")
    path = source / "products.parquet"
    path.write_bytes(path.read_bytes()[:-100])
    error = _refused(hq, source)
    assert error.code == "data_file.unreadable" and "products.parquet" in error.message


def test_missing_column(hq: Engine, tmp_path: Path) -> None:
    source = write_sample(tmp_path / "cj")
    table = pq.read_table(source / "transactions.parquet").drop_columns(["retail_disc", "quantity"])
    pq.write_table(table, source / "transactions.parquet")
    error = _refused(hq, source)
    assert error.code == "data_file.column_missing"
    assert error.message.endswith("missing column(s) quantity, retail_disc")
    assert "transactions.parquet" in error.message


def test_wrong_column_type(hq: Engine, tmp_path: Path) -> None:
    products = {**PRODUCTS, "product_id": [str(p) for p in PRODUCTS["product_id"]]}
    source = write_sample(tmp_path / "cj", products=products)
    error = _refused(hq, source)
    assert error.code == "data_file.column_type"
    assert "products.parquet: column product_id has type string, expected integer" in error.message


def test_money_as_text_is_refused(hq: Engine, tmp_path: Path) -> None:
    source = write_sample(tmp_path / "cj")
    table = pq.read_table(source / "transactions.parquet")
    index = table.schema.get_field_index("sales_value")
    as_text = pa.array([str(v) for v in table["sales_value"].to_pylist()])
    pq.write_table(table.set_column(index, "sales_value", as_text), source / "transactions.parquet")
    error = _refused(hq, source)
    assert "column sales_value has type string, expected number" in error.message


def test_bad_options_are_refused_before_anything_is_read(hq: Engine, tmp_path: Path) -> None:
    source = write_sample(tmp_path / "cj")
    with pytest.raises(InvalidInput) as info:
        run_import(hq, source=source, registers_per_store=0)
    assert info.value.code == "import.registers_per_store"
    with pytest.raises(InvalidInput) as info:
        run_import(hq, source=source, operator_password="abc")
    assert info.value.code == "password.invalid"
    assert _nothing_written(hq)


def test_null_values_are_counted_not_fatal(hq: Engine, tmp_path: Path) -> None:
    # given lines with a null quantity and a NaN sales value
    lines = [
        (1, 10, 100, 1, 1, 2.00, 0.0, 0.0),
        (1, 10, 100, 2, 1, float("nan"), 0.0, 0.0),
    ]
    source = write_sample(tmp_path / "cj", lines=lines)
    table = pq.read_table(source / "transactions.parquet")
    index = table.schema.get_field_index("quantity")
    pq.write_table(
        table.set_column(index, "quantity", pa.array([None, 1], pa.int64())),
        source / "transactions.parquet",
    )
    report = run_import(hq, source=source)
    assert report["sales lines"].rejected == {"missing or non-finite value": 2}
    assert report["prices"].rejected["no price: no usable sales line"] == 2
