"""Shelf prices from the sales lines of The Complete Journey (DESIGN §9, issue 2 §4).

Rule: the shelf price of a line is ``(sales_value + retail_disc + coupon_match_disc) /
quantity`` (``retail_disc`` is the loyalty discount, ``coupon_match_disc`` the store's match
of a manufacturer coupon; the package stores discounts as positive dollars). The price of a
product is the **exact median** of its usable lines' shelf prices, rounded once with
:func:`~kassa.domain.money.round_money`.

Exactness, without floats touching money:

* Each dollar double is turned into integer cents with ``round(x * 100)``; the values are
  published with two decimals, so ``|x·100 − round(x·100)|`` is ~1e-11. A value further
  than 1e-6 from whole cents is not guessed at: the line is rejected ("value not in whole
  cents").
* A line price is the rational ``numerator_cents / quantity``. Price points are sorted per
  product by the float64 quotient only to *order* them: for a/b ≠ c/d with a·d < 2⁵² the
  relative gap 1/(a·d) exceeds the two quotients' rounding errors (2·2⁻⁵³), and equal
  fractions give the same double, so the order is the exact order. Lines with a quantity or
  numerator of 2²⁶ or more are therefore rejected ("quantity or value too large"; the
  published maximum is a quantity of 89,638).
* The median is then computed from the middle one or two lines with integers and a
  28-digit ``Decimal`` division: ``(n₁q₂ + n₂q₁) / (2·q₁q₂·100)`` dollars. A value exactly
  on a half cent has a short finite decimal expansion and is represented exactly, so
  ``round_money`` (half-up) rounds it like the exact rational.

Every line gets one outcome: used, or rejected with the first matching reason of
:data:`LINE_REASONS`. Every product gets one: a price, or a counted "no price" reason.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from kassa.domain.money import CENT, MAX_AMOUNT, round_money
from kassa.hq.importer.report import EntityOutcome

#: Line rejection reasons, in the order they are tested (a line gets the first that fits).
MISSING = "missing or non-finite value"
UNKNOWN_PRODUCT = "unknown product"
ZERO_QUANTITY = "zero quantity"
NEGATIVE_QUANTITY = "negative quantity"
ZERO_VALUE = "zero value"
NEGATIVE_VALUE = "negative value"
SUB_CENT = "value not in whole cents"
NON_POSITIVE_PRICE = "shelf price not positive"
TOO_LARGE_LINE = "quantity or value too large"
LINE_REASONS: Final = (
    MISSING,
    UNKNOWN_PRODUCT,
    ZERO_QUANTITY,
    NEGATIVE_QUANTITY,
    ZERO_VALUE,
    NEGATIVE_VALUE,
    SUB_CENT,
    NON_POSITIVE_PRICE,
    TOO_LARGE_LINE,
)
#: Product reasons for "no price".
NEVER_SOLD = "no price: never sold"
NO_USABLE_LINE = "no price: no usable sales line"
BELOW_CENT = "price below one cent"
TOO_LARGE = "price above the amount limit"

_VALUE_COLUMNS: Final = ("sales_value", "retail_disc", "coupon_match_disc")
_CENT_TOLERANCE: Final = 1e-6
#: Quantities and numerators (cents) below this keep the float ordering exact (module doc).
_EXACT_LIMIT: Final = 2**26
_MEDIAN_CONTEXT: Final = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)


@dataclass
class PriceResult:
    """Output of :func:`compute_prices`.

    Attributes:
        prices: ``(product_id, price_cents)`` for every product with a valid price, by id.
        lines: outcome of the sales lines (``read``, rejected reasons; ``used`` = the rest).
        no_price: product id → reason for products in the catalogue without a price.
        examples: reason → example product id for ``no_price``.
    """

    prices: list[tuple[int, int]] = field(default_factory=list)
    lines: EntityOutcome = field(default_factory=lambda: EntityOutcome("sales lines", stored=False))
    no_price: dict[int, str] = field(default_factory=dict)


def _cents(values: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Dollars (float64, no nulls) → (int64 cents, mask of values not in whole cents)."""
    scaled = pc.multiply(values, 100.0)
    rounded = pc.round(scaled)
    off = pc.greater(pc.abs(pc.subtract(scaled, rounded)), _CENT_TOLERANCE)
    return pc.cast(rounded, pa.int64(), safe=False), off


def _line_example(transactions: pa.Table, mask: pa.ChunkedArray | pa.Array) -> str:
    """The first line hit by ``mask``, by its row number in ``transactions.parquet``."""
    index = pc.index(mask, True).as_py()
    row = transactions.slice(index, 1).to_pylist()[0]
    return (
        f"line {index}: household {row['household_id']}, store {row['store_id']}, "
        f"product {row['product_id']}, quantity {row['quantity']}, "
        f"sales value {row['sales_value']}"
    )


def classify_lines(transactions: pa.Table, product_ids: pa.Array, lines: EntityOutcome) -> pa.Table:
    """Give each sales line an outcome; return the usable ones.

    Args:
        transactions: :data:`~kassa.hq.importer.source.SCHEMAS` ``["transactions"]`` columns.
        product_ids: ids of the catalogue (int64); lines for other ids are "unknown product".
        lines: outcome to count into (``read`` and ``rejected``).

    Returns:
        table ``product_id`` (int64), ``numerator_cents`` (int64, > 0), ``quantity`` (int64,
        > 0) of the usable lines.
    """
    t = transactions
    lines.read += t.num_rows
    clean = all(t[n].null_count == 0 for n in ("product_id", "quantity", *_VALUE_COLUMNS)) and all(
        pc.all(pc.is_finite(t[n])).as_py() for n in _VALUE_COLUMNS
    )
    if clean:  # the published data: skip the null/NaN handling passes
        missing = pa.repeat(False, t.num_rows)
        qty, pid = t["quantity"], t["product_id"]
        values = {n: t[n] for n in _VALUE_COLUMNS}
    else:
        missing = pc.is_null(t["product_id"])
        for name in ("quantity", *_VALUE_COLUMNS):
            missing = pc.or_(missing, pc.is_null(t[name]))
        for name in _VALUE_COLUMNS:
            missing = pc.or_(missing, pc.invert(pc.fill_null(pc.is_finite(t[name]), True)))
        qty = pc.fill_null(t["quantity"], 0)
        pid = pc.fill_null(t["product_id"], -1)
        values = {
            n: pc.fill_null(pc.if_else(pc.is_finite(t[n]), t[n], 0.0), 0.0) for n in _VALUE_COLUMNS
        }
    cents = {n: _cents(v) for n, v in values.items()}
    numerator = pc.add(
        pc.add(cents["sales_value"][0], cents["retail_disc"][0]), cents["coupon_match_disc"][0]
    )
    sub_cent = pc.or_(
        pc.or_(cents["sales_value"][1], cents["retail_disc"][1]), cents["coupon_match_disc"][1]
    )
    masks = {
        MISSING: missing,
        UNKNOWN_PRODUCT: pc.invert(pc.is_in(pid, value_set=product_ids)),
        ZERO_QUANTITY: pc.equal(qty, 0),
        NEGATIVE_QUANTITY: pc.less(qty, 0),
        ZERO_VALUE: pc.equal(cents["sales_value"][0], 0),
        NEGATIVE_VALUE: pc.less(cents["sales_value"][0], 0),
        SUB_CENT: sub_cent,
        NON_POSITIVE_PRICE: pc.less_equal(numerator, 0),
        TOO_LARGE_LINE: pc.or_(
            pc.greater_equal(qty, _EXACT_LIMIT), pc.greater_equal(numerator, _EXACT_LIMIT)
        ),
    }
    remaining = pc.invert(missing)
    lines.reject(MISSING, pc.sum(missing).as_py() or 0, _example_or_none(t, missing))
    for reason in LINE_REASONS[1:]:
        hit = pc.and_(remaining, masks[reason])
        count = pc.sum(hit).as_py() or 0
        if count:
            lines.reject(reason, count, _line_example(t, hit))
            remaining = pc.and_(remaining, pc.invert(hit))
    return pa.table({"product_id": pid, "numerator_cents": numerator, "quantity": qty}).filter(
        remaining
    )


def _example_or_none(t: pa.Table, mask: pa.ChunkedArray) -> str | None:
    return _line_example(t, mask) if pc.any(mask).as_py() else None


def _middle(
    lines_before: pa.Array, count: pa.Array, run_of: pa.Array, position: pa.Array
) -> pa.Array:
    """Mask selecting, per product, the price point that holds line number ``position``.

    ``lines_before``/``count``: per price point (sorted), lines before it and in it;
    ``run_of``: product run index per price point; ``position``: per product.
    """
    wanted = pc.take(position, run_of)
    return pc.and_(
        pc.less_equal(lines_before, wanted), pc.less(wanted, pc.add(lines_before, count))
    )


def median_prices(used: pa.Table) -> list[tuple[int, Decimal]]:
    """Exact median shelf price per product, in dollars (unrounded ``Decimal``), by id.

    Lines are first collapsed into distinct price points ``(product, numerator, quantity)``
    with a line count (1.46 M lines → ~209 k points), sorted per product by price; the
    median's one or two middle lines are found by their line number in the cumulative
    counts.

    Args:
        used: output of :func:`classify_lines` (every quantity and numerator > 0).
    """
    if used.num_rows == 0:
        return []
    points = used.group_by(
        ["product_id", "numerator_cents", "quantity"], use_threads=False
    ).aggregate([([], "count_all")])
    key = pc.divide(
        pc.cast(points["numerator_cents"], pa.float64()), pc.cast(points["quantity"], pa.float64())
    )
    points = points.append_column("key", key)
    order = pc.sort_indices(points, sort_keys=[("product_id", "ascending"), ("key", "ascending")])
    points = points.take(order).combine_chunks()
    count = points["count_all"].chunk(0)
    lines_after = pc.cumulative_sum(count)
    lines_before = pc.subtract(lines_after, count)
    product = points["product_id"].chunk(0)
    runs = pc.run_end_encode(product, run_end_type=pa.int64())
    ends = pc.subtract(runs.run_ends, 1)  # index of each product's last price point
    starts = pa.concat_arrays([pa.array([0], pa.int64()), pc.add(ends.slice(0, len(ends) - 1), 1)])
    first = pc.take(lines_before, starts)
    total = pc.subtract(pc.take(lines_after, ends), first)
    lo = pc.add(first, pc.shift_right(pc.subtract(total, 1), 1))
    hi = pc.add(first, pc.shift_right(total, 1))
    run_of = pc.dictionary_encode(product).indices
    num, qty = points["numerator_cents"].chunk(0), points["quantity"].chunk(0)
    at_lo = _middle(lines_before, count, run_of, lo)
    at_hi = _middle(lines_before, count, run_of, hi)
    n1, q1 = pc.filter(num, at_lo).to_pylist(), pc.filter(qty, at_lo).to_pylist()
    n2, q2 = pc.filter(num, at_hi).to_pylist(), pc.filter(qty, at_hi).to_pylist()
    out: list[tuple[int, Decimal]] = []
    ctx = _MEDIAN_CONTEXT
    for product_id, a, b, c, d in zip(runs.values.to_pylist(), n1, q1, n2, q2, strict=True):
        if a * d == c * b:  # odd count, or the two middle prices are equal
            value = ctx.divide(Decimal(a), Decimal(b * 100))
        else:
            value = ctx.divide(Decimal(a * d + c * b), Decimal(2 * b * d * 100))
        out.append((product_id, value))
    return out


def compute_prices(transactions: pa.Table, products: pa.Table) -> PriceResult:
    """Prices for the catalogue ``products`` from the sales lines (module rule).

    Args:
        transactions: checked transactions table (see :mod:`.source`).
        products: table with a ``product_id`` (int64) column of distinct, non-null ids.

    Returns:
        :class:`PriceResult`; each catalogue product is either in ``prices`` or in
        ``no_price`` (never sold, no usable line, below one cent, above the limit).
    """
    result = PriceResult()
    catalogue = products["product_id"].combine_chunks()
    used = classify_lines(transactions, catalogue, result.lines)
    priced: set[int] = set()
    for product, value in median_prices(used):
        price = round_money(value)
        if price < CENT:
            result.no_price[product] = BELOW_CENT
        elif price > MAX_AMOUNT:
            result.no_price[product] = TOO_LARGE
        else:
            result.prices.append((product, int(price.scaleb(2))))  # whole cents after rounding
            priced.add(product)
    decided = pa.array([*priced, *result.no_price], pa.int64())
    rest = pc.filter(catalogue, pc.invert(pc.is_in(catalogue, value_set=decided)))
    sold = pc.is_in(rest, value_set=pc.unique(transactions["product_id"].drop_null()))
    for product, was_sold in zip(rest.to_pylist(), sold.to_pylist(), strict=True):
        result.no_price[product] = NO_USABLE_LINE if was_sold else NEVER_SOLD
    return result
