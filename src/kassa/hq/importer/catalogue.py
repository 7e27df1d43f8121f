"""HQ rows for the dataset entities: products, customers and the stores seen in the sales.

Rule source: issue 2 §4, DESIGN §9. The Complete Journey has no product names, barcodes,
customer names or store details, so Kassa derives them deterministically:

* product name: ``"<product_type | product_category | department> <package_size> (<brand>)"``
  with the empty parts left out, or ``"Product <id>"`` when there is nothing to name it by;
  barcode :func:`~kassa.domain.barcode.upc_a_from_id`; unit ``each``; tax group from the
  department (:func:`~kassa.domain.tax.tax_group_for_department`).
* customer: every household seen in the sales lines, ``"Household <id>"``, loyalty card
  :func:`~kassa.domain.loyalty.loyalty_card_for`, demographics where the household has a
  row in ``demographics.parquet``.
* store: every store id seen in the sales lines, ``"Store <id>"``.

Rows that cannot be stored are counted, never dropped: null or duplicate ids, ids out of
range, text longer than its column.
"""

from __future__ import annotations

from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table

from kassa.db import hq_schema as s
from kassa.domain.barcode import MAX_PRODUCT_ID, UPC_PREFIX
from kassa.domain.loyalty import MAX_HOUSEHOLD_ID, loyalty_card_for
from kassa.domain.tax import tax_group_for_department
from kassa.hq.importer.report import EntityOutcome
from kassa.hq.importer.source import DEMOGRAPHIC_TEXT
from kassa.hq.masterdata import RowSet

UNIT_EACH: Final = "each"
#: source column → HQ ``products`` column
PRODUCT_COLUMNS: Final = {
    "department": "department",
    "brand": "brand",
    "product_category": "category",
    "product_type": "product_type",
    "package_size": "package_size",
}
_MAX_STORE_ID: Final = 2**31 - 1

NULL_ID = "missing id"
DUPLICATE_ID = "duplicate id"
ID_OUT_OF_RANGE = "id out of range"


def _limits(table: Table, columns: dict[str, str]) -> dict[str, int]:
    """Source column → the HQ column's length (``String(n)``), for the given column mapping."""
    out = {}
    for src, dst in columns.items():
        length = getattr(table.c[dst].type, "length", None)
        if length:
            out[src] = int(length)
    return out


def _text_too_long(table: pa.Table, limits: dict[str, int]) -> pa.ChunkedArray | None:
    """Mask of rows where any text column (source name → max length) is too long."""
    mask = None
    for column, limit in limits.items():
        hit = pc.fill_null(pc.greater(pc.utf8_length(table[column]), limit), False)
        mask = hit if mask is None else pc.or_(mask, hit)
    return mask


def _accept_ids(
    table: pa.Table, id_column: str, max_id: int, outcome: EntityOutcome, what: str
) -> pa.Table:
    """Drop (and count) rows with a null, out-of-range or repeated id; keep the first."""
    if table[id_column].null_count:
        null = pc.is_null(table[id_column])
        outcome.reject(NULL_ID, table[id_column].null_count, f"{what} with no id")
        table = table.filter(pc.invert(null))
    ids = table[id_column]
    low, high = pc.min_max(ids).values()
    if table.num_rows and (low.as_py() < 0 or high.as_py() > max_id):
        bad = pc.or_(pc.less(ids, 0), pc.greater(ids, max_id))
        first = pc.filter(ids, bad)[0].as_py()
        outcome.reject(ID_OUT_OF_RANGE, pc.sum(bad).as_py() or 0, f"{what} {first}")
        table = table.filter(pc.invert(bad))
    distinct = pc.count_distinct(table[id_column]).as_py()
    if distinct != table.num_rows:
        indices = pa.table({"id": table[id_column], "i": pa.array(range(table.num_rows))})
        firsts = indices.group_by("id", use_threads=False).aggregate([("i", "min")])["i_min"]
        keep = pc.is_in(pa.array(range(table.num_rows)), value_set=firsts)
        dupes = table.filter(pc.invert(keep))
        outcome.reject(
            DUPLICATE_ID, dupes.num_rows, f"{what} {dupes[id_column][0].as_py()} (first kept)"
        )
        table = table.filter(keep)
    return table


def _drop_too_long(
    table: pa.Table, limits: dict[str, int], id_column: str, outcome: EntityOutcome, what: str
) -> pa.Table:
    long = _text_too_long(table, limits)
    if long is not None and pc.any(long).as_py():
        bad = table.filter(long)
        outcome.reject(
            "text longer than its column", bad.num_rows, f"{what} {bad[id_column][0].as_py()}"
        )
        table = table.filter(pc.invert(long))
    return table


def _blank_to_null(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trim text; an empty result becomes null."""
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def product_names(table: pa.Table) -> pa.ChunkedArray:
    """Display names (module rule) for a products table, at most 200 characters each.

    Args:
        table: ``product_id``, ``product_type``, ``product_category``, ``department``,
            ``package_size``, ``brand`` columns.

    ``(25671, "ICE - CRUSHED/CUBED", "FRZN ICE", "GROCERY", "22 LB", "National")`` →
    ``"ICE - CRUSHED/CUBED 22 LB (National)"``; no type, category or department →
    ``"Product 25671"``.
    """
    head = pc.coalesce(
        *(_blank_to_null(table[c]) for c in ("product_type", "product_category", "department"))
    )
    # (join with null_handling="skip" drops all-null rows in pyarrow 26: build the parts
    # with empty strings instead)
    size = pc.fill_null(
        pc.binary_join_element_wise(" ", _blank_to_null(table["package_size"]), ""), ""
    )
    brand = pc.fill_null(
        pc.binary_join_element_wise(" (", _blank_to_null(table["brand"]), ")", ""), ""
    )
    name = pc.binary_join_element_wise(pc.fill_null(head, ""), size, brand, "")
    fallback = pc.binary_join_element_wise(
        "Product", pc.cast(table["product_id"], pa.string()), " "
    )
    return pc.utf8_slice_codeunits(pc.if_else(pc.is_null(head), fallback, name), 0, 200)


def barcodes(ids: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """:func:`kassa.domain.barcode.upc_a_from_id` for a whole id column, vectorised.

    ``"4"`` + the id zero-padded to 10 digits + the GS1 check digit, where the check
    digit weighs the id's digits 3, 1, 3, … from the right and the prefix 4 (11th digit
    from the right) by 3. Ids must already be in ``0..MAX_PRODUCT_ID``. Equal to the domain
    function on every dataset id (tests/hq/test_importer_rules.py).
    """
    total = pc.cast(pa.scalar(3 * int(UPC_PREFIX)), pa.int64())
    rest = ids
    for position in range(10):
        digit = pc.remainder(rest, 10)
        total = pc.add(total, pc.multiply(digit, 3 if position % 2 == 0 else 1))
        rest = pc.divide(rest, 10)
    check = pc.remainder(pc.subtract(10, pc.remainder(total, 10)), 10)
    padded = pc.utf8_lpad(pc.cast(ids, pa.string()), width=10, padding="0")
    return pc.binary_join_element_wise(UPC_PREFIX, padded, pc.cast(check, pa.string()), "")


def tax_groups(departments: pa.ChunkedArray) -> pa.ChunkedArray:
    """Tax group id per product, by :func:`~kassa.domain.tax.tax_group_for_department`
    applied once per distinct department."""
    distinct = pc.unique(departments)
    groups = pa.array([tax_group_for_department(d) for d in distinct.to_pylist()], pa.string())
    return pc.take(groups, pc.index_in(departments, value_set=distinct, skip_nulls=False))


def product_rows(products: pa.Table, outcome: EntityOutcome) -> tuple[RowSet, pa.Table]:
    """``products`` rows for HQ, and the accepted source table (for pricing).

    Args:
        products: checked ``products.parquet`` table.
        outcome: the "products" outcome; ``read`` and rejections are counted into it.

    Returns:
        (rows of the ``products`` columns without ``version``, accepted source table).
    """
    outcome.read += products.num_rows
    table = _accept_ids(products, "product_id", MAX_PRODUCT_ID, outcome, "product")
    limits = _limits(s.products, PRODUCT_COLUMNS)
    table = _drop_too_long(table, limits, "product_id", outcome, "product")
    ids = table["product_id"].to_pylist()
    columns = {
        "id": ids,
        "name": product_names(table).to_pylist(),
        "manufacturer_id": table["manufacturer_id"].to_pylist(),
        **{dst: table[src].to_pylist() for src, dst in PRODUCT_COLUMNS.items()},
        "barcode": barcodes(table["product_id"]).to_pylist(),
        "unit_of_measure": [UNIT_EACH] * len(ids),
        "tax_group_id": tax_groups(table["department"]).to_pylist(),
    }
    return RowSet(tuple(columns), list(zip(*columns.values(), strict=True))), table


def customer_rows(
    transactions: pa.Table,
    demographics: pa.Table,
    outcome: EntityOutcome,
    demo_outcome: EntityOutcome,
) -> list[dict[str, Any]]:
    """``customers`` rows: households of the sales lines, with demographics where present.

    Args:
        outcome: "customers": ``read`` = distinct household ids in the sales lines.
        demo_outcome: "demographics": rows of ``demographics.parquet``; a row whose household
            never shopped is rejected ("household has no sales"), not invented as a customer.
    """
    households = pc.unique(transactions["household_id"])
    table = pa.table({"household_id": households})
    outcome.read += table.num_rows
    table = _accept_ids(table, "household_id", MAX_HOUSEHOLD_ID, outcome, "household")
    demo_outcome.read += demographics.num_rows
    demo = _accept_ids(demographics, "household_id", MAX_HOUSEHOLD_ID, demo_outcome, "household")
    limits = _limits(s.customers, {c: c for c in DEMOGRAPHIC_TEXT})
    demo = _drop_too_long(demo, limits, "household_id", demo_outcome, "household")
    orphan = pc.invert(pc.is_in(demo["household_id"], value_set=table["household_id"]))
    if pc.any(orphan).as_py():
        first = pc.filter(demo["household_id"], orphan)[0].as_py()
        demo_outcome.reject(
            "household has no sales", pc.sum(orphan).as_py() or 0, f"household {first}"
        )
        demo = demo.filter(pc.invert(orphan))
    by_household = {rec["household_id"]: rec for rec in demo.to_pylist()}
    rows = []
    for hid in sorted(table["household_id"].to_pylist()):
        rec = by_household.get(hid, {})
        rows.append(
            {
                "id": hid,
                "name": f"Household {hid}",
                "loyalty_card": loyalty_card_for(hid),
                **{c: rec.get(c) for c in DEMOGRAPHIC_TEXT},
            }
        )
    return rows


def store_ids(transactions: pa.Table, outcome: EntityOutcome) -> list[int]:
    """Distinct store ids of the sales lines, sorted; null / out-of-range ids are counted."""
    table = pa.table({"store_id": pc.unique(transactions["store_id"])})
    outcome.read += table.num_rows
    table = _accept_ids(table, "store_id", _MAX_STORE_ID, outcome, "store")
    return sorted(table["store_id"].to_pylist())
