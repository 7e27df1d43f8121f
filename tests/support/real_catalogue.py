"""The real catalogue (The Complete Journey, 92,331 products) as package rows.

Products are derived exactly as HQ's importer derives them
(:func:`kassa.hq.importer.catalogue.product_rows`: names, barcodes, tax groups); prices are
a deterministic stand-in (``99 + id % 900`` cents) so that no sales have to be read.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from kassa.domain.tax import DEFAULT_TAX_GROUPS
from kassa.hq.importer.catalogue import product_rows
from kassa.hq.importer.report import EntityOutcome
from kassa.hq.importer.source import default_source_dir, read_table
from support.package_factory import PRODUCT_COLUMNS


@cache
def real_products() -> tuple[tuple[Any, ...], ...]:
    """Every product row in :data:`PRODUCT_COLUMNS` order (wire form, version 1)."""
    rows, _ = product_rows(read_table(default_source_dir(), "products"),
                           EntityOutcome("products"))
    index = [rows.columns.index(c) for c in PRODUCT_COLUMNS if c != "version"]
    return tuple((*(row[i] for i in index), 1) for row in rows.values)


def real_tables() -> dict[str, Any]:
    """Snapshot tables: the tax groups, every product, a price per product."""
    products = [list(r) for r in real_products()]
    return {
        "tax_groups": (["id", "name", "rate_bp", "version"],
                       [[g.id, g.name, g.basis_points, 1] for g in DEFAULT_TAX_GROUPS.values()],
                       []),
        "products": (PRODUCT_COLUMNS, products, []),
        "prices": (["product_id", "price_cents", "version"],
                   [[r[0], 99 + r[0] % 900, 1] for r in products], []),
    }
