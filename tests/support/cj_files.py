"""Small Complete Journey parquet files for importer tests (written with pyarrow).

:func:`write_sample` writes ``products``, ``transactions`` and ``demographics`` parquet
files with the real schema and a handful of rows chosen to hit every rule:

=========  ==================================================================  ==========
product    sales lines (quantity × value + discounts)                          price
=========  ==================================================================  ==========
1 GROCERY  3 lines: 1 × 2.00 (+0.50 loyalty), 1 × 2.49, 2 × 4.00               2.49 (odd)
2 DRUG GM  2 lines: 1 × 1.00, 1 × 1.25 (+0.01 coupon match)                    1.13 (even)
3 PRODUCE  never sold                                                          no price
4 DELI     1 line quantity 0, 1 line sales value 0                             no usable
5 FUEL     1 line 10,000 units for 25.00                                       < 1 cent
6 GROCERY  1 line −1 quantity (a return)                                       no usable
=========  ==================================================================  ==========

plus one line of unknown product 99. Households 1, 2, 3 shop (1 and 2 have demographics);
stores 10 and 20.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

PRODUCTS: dict[str, list[Any]] = {
    "product_id": [1, 2, 3, 4, 5, 6],
    "manufacturer_id": [69, 2, 2, 69, 2, 69],
    "department": ["GROCERY", "DRUG GM", "PRODUCE", "DELI", "FUEL", "GROCERY"],
    "brand": ["Private", "National", "National", None, "National", "Private"],
    "product_category": ["SOUP", "COLD AND FLU", None, "CHEESE", "GASOLINE", None],
    "product_type": ["CONDENSED SOUP", None, None, "CHEESE: SLICED", "GASOLINE-REG", None],
    "package_size": ["10.5 OZ", "24 CT", None, None, None, None],
}
# household, store, basket, product, quantity, sales_value, retail_disc, coupon_match_disc
LINES: list[tuple[int, int, int, int, int, float, float, float]] = [
    (1, 10, 100, 1, 1, 2.00, 0.50, 0.0),
    (2, 10, 101, 1, 1, 2.49, 0.0, 0.0),
    (3, 20, 102, 1, 2, 4.00, 0.0, 0.0),
    (1, 10, 100, 2, 1, 1.00, 0.0, 0.0),
    (2, 20, 103, 2, 1, 1.25, 0.0, 0.01),
    (1, 10, 100, 4, 0, 0.0, 0.0, 0.0),
    (2, 10, 101, 4, 1, 0.0, 0.0, 0.0),
    (3, 20, 104, 5, 10_000, 25.00, 0.0, 0.0),
    (3, 20, 104, 6, -1, 3.00, 0.0, 0.0),
    (1, 10, 105, 99, 1, 1.00, 0.0, 0.0),
]
DEMOGRAPHICS: dict[str, list[Any]] = {
    "household_id": [1, 2],
    "age": ["45-54", "65+"],
    "income": ["50-74K", "35-49K"],
    "home_ownership": ["Homeowner", None],
    "marital_status": ["Married", None],
    "household_size": ["2", "1"],
    "household_comp": ["2 Adults No Kids", "1 Adult No Kids"],
    "kids_count": ["0", "0"],
}
#: Expected prices in cents after import.
EXPECTED_PRICES = {1: 249, 2: 113}


def transactions_table(
    lines: list[tuple[int, int, int, int, int, float, float, float]],
) -> pa.Table:
    """A transactions table with the published schema (doubles for dollars, week, time)."""
    cols: list[tuple[Any, ...]] = list(zip(*lines, strict=True)) if lines else [()] * 8
    return pa.table(
        {
            "household_id": pa.array(cols[0], pa.int64()),
            "store_id": pa.array(cols[1], pa.int64()),
            "basket_id": pa.array(cols[2], pa.int64()),
            "product_id": pa.array(cols[3], pa.int64()),
            "quantity": pa.array(cols[4], pa.int64()),
            "sales_value": pa.array(cols[5], pa.float64()),
            "retail_disc": pa.array(cols[6], pa.float64()),
            "coupon_disc": pa.array([0.0] * len(lines), pa.float64()),
            "coupon_match_disc": pa.array(cols[7], pa.float64()),
            "week": pa.array([1] * len(lines), pa.int64()),
            "transaction_timestamp": pa.array([0] * len(lines), pa.timestamp("ns")),
        }
    )


def write_sample(
    directory: Path,
    *,
    lines: list[tuple[int, int, int, int, int, float, float, float]] | None = None,
    products: dict[str, list[Any]] | None = None,
) -> Path:
    """Write the three sample files into ``directory`` (created); return it."""
    directory.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(products or PRODUCTS), directory / "products.parquet")
    pq.write_table(
        transactions_table(LINES if lines is None else lines), directory / "transactions.parquet"
    )
    pq.write_table(pa.table(DEMOGRAPHICS), directory / "demographics.parquet")
    return directory
