"""The baskets of The Complete Journey as the demo replays them, and the line arithmetic.

Rule source: DESIGN §9, issue 7. One :class:`Basket` per ``basket_id`` of
``transactions.parquet``: its store, household, timestamp and lines in file order. Baskets
are ordered by ``(transaction_timestamp, basket_id)`` — the year in time order.

Money is integer **cents**. The package stores dollars as doubles; each is turned into cents
with ``round(x * 100)`` exactly as the importer does (:mod:`kassa.hq.importer.pricing`); a
value further than 1e-6 from whole cents is kept as ``sub_cent`` and the line is rejected
("value not in whole cents", never guessed at).

**The amount of an accepted line** is its ``sales_value`` (cents). At the register the line
is rebuilt from the shelf price: ``gross = sales_value + retail_disc + coupon_match_disc``
(DESIGN §9: shelf price × quantity), and :func:`plan_line` chooses what the cashier keys in
so that the register's ``net = round(quantity × unit price) − discount`` equals
``sales_value`` to the cent:

* the catalogue price already gives ``quantity × price == gross`` → no override, discount
  ``retail_disc + coupon_match_disc`` (the loyalty discount and the store's coupon match);
* otherwise a **price override** of ``ceil(gross / quantity)`` cents and a discount of
  ``quantity × override − sales_value``; when ``gross`` is not a multiple of the quantity
  (a unit price with a sub-cent part) the remainder ``quantity × override − gross``
  (< quantity cents) goes into the discount too — such a line is **adjusted** and counted.

Either way ``net == sales_value`` exactly and ``0 ≤ discount ≤ gross``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kassa.domain.errors import DataFileError
from kassa.hq.importer.source import default_source_dir

#: Columns of ``transactions.parquet`` the replay reads.
COLUMNS: Final = ("household_id", "store_id", "basket_id", "product_id", "quantity",
                  "sales_value", "retail_disc", "coupon_match_disc", "transaction_timestamp")
_CENT_TOLERANCE: Final = 1e-6


class DemoLine(NamedTuple):
    """One sales line of a basket (cents; ``sub_cent``: a value not in whole cents)."""

    product_id: int
    quantity: int
    sales_cents: int
    retail_cents: int
    coupon_match_cents: int
    sub_cent: bool = False


@dataclass(frozen=True)
class Basket:
    """One basket: ``basket_id``, ``store_id``, ``household_id``, ``at`` (dataset time,
    naive as published) and its lines in file order."""

    basket_id: int
    store_id: int
    household_id: int
    at: datetime
    lines: tuple[DemoLine, ...]

    @property
    def sales_cents(self) -> int:
        """Σ ``sales_value`` of every line, in cents."""
        return sum(line.sales_cents for line in self.lines)


@dataclass(frozen=True)
class LinePlan:
    """What the cashier keys in after scanning a line (module docstring).

    Attributes:
        price_cents: unit price override, or ``None`` to keep the catalogue price.
        discount_cents: the line discount (≥ 0).
        adjusted: the sub-cent remainder of the unit price went into the discount.
    """

    price_cents: int | None
    discount_cents: int
    adjusted: bool

    @property
    def changes(self) -> dict[str, int]:
        """The ``PATCH /api/cart/lines/{id}`` body, ``{}`` when nothing is to change."""
        body: dict[str, int] = {}
        if self.price_cents is not None:
            body["price_cents"] = self.price_cents
        if self.discount_cents:
            body["discount_cents"] = self.discount_cents
        return body


def plan_line(line: DemoLine, catalogue_cents: int) -> LinePlan:
    """Override and discount making the register's line net equal ``sales_value``.

    Args:
        line: a line with ``quantity > 0`` and ``sales_cents > 0``.
        catalogue_cents: the unit price the register found (``unit_price_cents``).

    Raises:
        ValueError: for a line that is not sellable (quantity or sales value ≤ 0).
    """
    q, sales = line.quantity, line.sales_cents
    if q <= 0 or sales <= 0 or line.retail_cents < 0 or line.coupon_match_cents < 0:
        raise ValueError(f"line is not sellable: {line}")
    gross = sales + line.retail_cents + line.coupon_match_cents
    if q * catalogue_cents == gross:
        return LinePlan(None, gross - sales, False)
    price = -(-gross // q)  # ceil
    discount = q * price - sales
    return LinePlan(None if price == catalogue_cents else price, discount, q * price != gross)


def line_net_cents(quantity: int, unit_cents: int, plan: LinePlan) -> int:
    """The register's net of a line keyed in by ``plan`` (for checks): q × price − discount."""
    price = unit_cents if plan.price_cents is None else plan.price_cents
    return quantity * price - plan.discount_cents


def share_hit(key: int, salt: str, percent: float) -> bool:
    """Deterministic choice of ``percent`` % of keys (CRC32 of ``salt:key``)."""
    return zlib.crc32(f"{salt}:{key}".encode()) % 10000 < round(percent * 100)


def _cents(values: pa.ChunkedArray) -> tuple[list[int], list[bool]]:
    scaled = pc.multiply(pc.fill_null(values, 0.0), 100.0)
    rounded = pc.round(scaled)
    off = pc.greater(pc.abs(pc.subtract(scaled, rounded)), _CENT_TOLERANCE)
    return (pc.cast(rounded, pa.int64(), safe=False).to_pylist(),
            pc.fill_null(off, True).to_pylist())


class Dataset:
    """The sales lines of The Complete Journey, sorted for the replay (module docstring).

    Args:
        source: directory with ``transactions.parquet`` (default the installed package).
        stores: keep only these stores (default all: 1.47 M lines).

    Raises:
        DataFileError: ``data_file.missing`` / ``data_file.unreadable`` /
            ``data_file.column_missing``.
    """

    def __init__(self, source: Path | None = None, stores: Iterable[int] | None = None) -> None:
        where = Path(source) if source is not None else default_source_dir()
        path = where / "transactions.parquet"
        if not path.is_file():
            raise DataFileError(f"{path}: file not found", code="data_file.missing")
        try:
            names = pq.read_schema(path).names
            missing = [c for c in COLUMNS if c not in names]
            if missing:
                raise DataFileError(f"{path}: missing column(s) {', '.join(missing)}",
                                    code="data_file.column_missing")
            table = pq.read_table(path, columns=list(COLUMNS))
        except (pa.ArrowException, OSError) as exc:
            raise DataFileError(f"{path}: cannot read ({exc})",
                                code="data_file.unreadable") from None
        table = table.append_column("row", pa.array(range(table.num_rows), pa.int64()))
        if stores is not None:
            wanted = pa.array(sorted(set(stores)), pa.int64())
            table = table.filter(pc.is_in(table["store_id"], value_set=wanted))
        order = pc.sort_indices(table, sort_keys=[
            ("store_id", "ascending"), ("transaction_timestamp", "ascending"),
            ("basket_id", "ascending"), ("row", "ascending")])
        self._table = table.take(order).combine_chunks()
        column = self._table["store_id"]
        runs = pc.run_end_encode(column.chunk(0) if column.num_chunks else column,
                                 run_end_type=pa.int64())
        ends = runs.run_ends.to_pylist()
        starts = [0, *ends[:-1]]
        self._ranges = {sid: (a, b) for sid, a, b
                        in zip(runs.values.to_pylist(), starts, ends, strict=True)}

    @property
    def store_ids(self) -> list[int]:
        """Every store with sales, by id."""
        return sorted(self._ranges)

    def basket_counts(self) -> dict[int, int]:
        """Store id → number of baskets."""
        out = {}
        for sid, (a, b) in self._ranges.items():
            out[sid] = pc.count_distinct(self._table["basket_id"].slice(a, b - a)).as_py()
        return out

    def line_count(self, store_id: int) -> int:
        """Lines of one store (0 for an unknown store)."""
        a, b = self._ranges.get(store_id, (0, 0))
        return b - a

    def baskets(self, store_id: int, limit: int | None = None) -> list[Basket]:
        """The store's baskets in time order, the first ``limit`` of them (default all)."""
        a, b = self._ranges.get(store_id, (0, 0))
        part = self._table.slice(a, b - a)
        sales, sales_off = _cents(part["sales_value"])
        retail, retail_off = _cents(part["retail_disc"])
        match, match_off = _cents(part["coupon_match_disc"])
        columns = [part[c].to_pylist() for c in ("basket_id", "household_id", "product_id",
                                                  "quantity", "transaction_timestamp")]
        out: list[Basket] = []
        current: list[DemoLine] = []
        head: tuple[int, int, datetime] | None = None
        for i, (basket, household, product, qty, at) in enumerate(zip(*columns, strict=True)):
            if head is None or basket != head[0]:
                if head is not None:
                    out.append(Basket(head[0], store_id, head[1], head[2], tuple(current)))
                    if limit is not None and len(out) >= limit:
                        return out
                head, current = (basket, household, at), []
            current.append(DemoLine(int(product), int(qty or 0), sales[i], retail[i], match[i],
                                    sales_off[i] or retail_off[i] or match_off[i]))
        if head is not None and (limit is None or len(out) < limit):
            out.append(Basket(head[0], store_id, head[1], head[2], tuple(current)))
        return out


def busiest_store(dataset: Dataset) -> int:
    """The store with the most baskets (367 in the published data)."""
    counts = dataset.basket_counts()
    return max(counts, key=lambda sid: (counts[sid], -sid))


def total_lines(baskets: Iterable[Basket]) -> int:
    """Lines of ``baskets``."""
    return sum(len(b.lines) for b in baskets)


def assign_registers(baskets: Sequence[Basket], registers: int) -> dict[int, int]:
    """Household id → register number (1-based): every basket of a household (and its gift
    card) goes through the same till, and the tills get about the same number of baskets
    (households by basket count, largest first, each to the least loaded till; ties by id)."""
    counts: dict[int, int] = {}
    for basket in baskets:
        counts[basket.household_id] = counts.get(basket.household_id, 0) + 1
    load = dict.fromkeys(range(1, registers + 1), 0)
    out: dict[int, int] = {}
    for household in sorted(counts, key=lambda h: (-counts[h], h)):
        till = min(load, key=lambda n: (load[n], n))
        out[household] = till
        load[till] += counts[household]
    return out


def split_by_register(baskets: Sequence[Basket], registers: int) -> dict[int, list[Basket]]:
    """Register number → its baskets in time order (:func:`assign_registers`)."""
    till = assign_registers(baskets, registers)
    out: dict[int, list[Basket]] = {n: [] for n in range(1, registers + 1)}
    for basket in baskets:
        out[till[basket.household_id]].append(basket)
    return out
