"""A small, realistic HQ for distribution tests, written through the master-data functions.

Two stores (``STORE_A`` = 367, ``STORE_B`` = 368), each in its own channel data group (ids
equal to the store ids, as the importer makes them), two registers per store (Support offline
off), three products with prices and barcodes, two customers, a chain-wide operator and one
per store, tender types and two commerce parameters. Every write uses
:class:`kassa.hq.masterdata.VersionStamp`, so versions and tombstones are real.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Table, select

from kassa.db import hq_schema as s
from kassa.db.migrate import prepare_database
from kassa.domain.clock import FixedClock
from kassa.domain.ids import new_id
from kassa.domain.offline_profile import DEFAULT as DEFAULT_PROFILE
from kassa.hq.distribution.jobs import seed_distribution
from kassa.hq.masterdata import VersionStamp, delete_rows, upsert_rows
from kassa.sync.package import PackageContent, TableChanges, verify_and_decode

STORE_A = 367
STORE_B = 368
PRODUCTS = (
    (1001, "Whole Milk 1 gal", "0000000010019", 349),
    (1002, "Sourdough Bread", "0000000010026", 429),
    (1003, "Bananas per lb", "0000000010033", 59),
)


@dataclass
class World:
    """Handles on the small HQ: engine, clock, register ids by (store, number)."""

    engine: Engine
    clock: FixedClock
    registers: dict[tuple[int, int], uuid.UUID] = field(default_factory=dict)

    def write(self, table: Table, rows: list[dict[str, Any]]) -> int:
        """Upsert ``rows`` in one versioned transaction; return rows written."""
        with self.engine.begin() as conn:
            return upsert_rows(conn, table, rows, VersionStamp(conn)).written

    def delete(self, table: Table, keys: list[Any]) -> int:
        """Delete rows by key in one versioned transaction (tombstones)."""
        with self.engine.begin() as conn:
            return delete_rows(conn, table, keys, VersionStamp(conn))

    def set_price(self, product_id: int, cents: int) -> None:
        """Change one price."""
        assert self.write(s.prices, [{"product_id": product_id, "price_cents": cents}]) == 1

    def version_of(self, table: Table, key: Any) -> int:
        """Stored change version of one row."""
        (key_col,) = list(table.primary_key.columns)
        with self.engine.connect() as conn:
            return int(conn.execute(select(table.c.version).where(key_col == key)).scalar_one())


def product_row(pid: int, name: str, barcode: str) -> dict[str, Any]:
    """A ``products`` row like the importer's."""
    return {
        "id": pid,
        "name": name,
        "manufacturer_id": 69,
        "department": "GROCERY",
        "brand": "Private",
        "category": "DAIRY",
        "product_type": "MILK",
        "package_size": "1 GA",
        "barcode": barcode,
        "unit_of_measure": "each",
        "tax_group_id": "food",
    }


def build_world(url: str, *, registers_per_store: int = 2) -> World:
    """Migrate a fresh HQ database at ``url`` and fill it (module docstring)."""
    engine = prepare_database(url, "hq")
    world = World(engine, FixedClock())
    with engine.begin() as conn:
        seed_distribution(conn)
        stamp = VersionStamp(conn)
        upsert_rows(
            conn,
            s.data_groups,
            [{"id": sid, "name": f"Store {sid}"} for sid in (STORE_A, STORE_B)],
            stamp,
        )
        upsert_rows(
            conn,
            s.offline_profiles,
            [{"id": 1, "name": "Default", **DEFAULT_PROFILE.to_mapping()}],
            stamp,
        )
        upsert_rows(
            conn,
            s.stores,
            [
                {
                    "id": sid,
                    "name": f"Store {sid}",
                    "data_group_id": sid,
                    "offline_profile_id": 1,
                    "currency": "USD",
                    "receipt_header": f"Kassa Market — Store {sid}",
                    "receipt_footer": "Thank you!",
                }
                for sid in (STORE_A, STORE_B)
            ],
            stamp,
        )
        regs = []
        for sid in (STORE_A, STORE_B):
            for n in range(1, registers_per_store + 1):
                rid = new_id()
                world.registers[(sid, n)] = rid
                regs.append(
                    {
                        "id": rid,
                        "store_id": sid,
                        "number": n,
                        "name": f"Register {n}",
                        "support_offline": False,
                    }
                )
        upsert_rows(conn, s.registers, regs, stamp)
        upsert_rows(
            conn,
            s.tax_groups,
            [
                {"id": "food", "name": "Food", "rate_bp": 0},
                {"id": "standard", "name": "Standard", "rate_bp": 625},
            ],
            stamp,
        )
        upsert_rows(conn, s.products, [product_row(p, n, b) for p, n, b, _ in PRODUCTS], stamp)
        upsert_rows(
            conn, s.prices, [{"product_id": p, "price_cents": c} for p, _, _, c in PRODUCTS], stamp
        )
        upsert_rows(
            conn,
            s.customers,
            [
                {"id": 1, "name": "Household 1", "loyalty_card": "400000000001", "age": "45-54"},
                {"id": 2, "name": "Household 2", "loyalty_card": "400000000002", "age": None},
            ],
            stamp,
        )
        upsert_rows(
            conn,
            s.operators,
            [
                {
                    "id": "1001",
                    "name": "Chain Manager",
                    "role": "manager",
                    "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
                    "store_id": None,
                },
                *[
                    {
                        "id": f"{sid}-1",
                        "name": f"Cashier of {sid}",
                        "role": "cashier",
                        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
                        "store_id": sid,
                    }
                    for sid in (STORE_A, STORE_B)
                ],
            ],
            stamp,
        )
        upsert_rows(
            conn,
            s.tender_types,
            [
                {"id": "cash", "name": "Cash", "opens_drawer": True, "allows_change": True},
                {"id": "card", "name": "Card", "opens_drawer": False, "allows_change": False},
            ],
            stamp,
        )
        upsert_rows(
            conn,
            s.commerce_parameters,
            [
                {"key": "allow_offline_gift_card_conclusion", "value": "false"},
                {"key": "receipt_line_width", "value": "42"},
            ],
            stamp,
        )
    return world


def read_package(
    engine: Engine, group: int, number: int, *, kind: str = "delta", variant: str = "channel"
) -> tuple[dict[str, Any], PackageContent]:
    """Header and verified content of a stored package (through the package format)."""
    from kassa.hq.distribution import packages

    v = packages.check_variant(variant)
    with engine.connect() as conn:
        header = packages.get_header(conn, group, number, kind, v)
        body = packages.get_body(conn, group, number, kind, v)
    return header, verify_and_decode(header, body)


def tables_by_name(content: PackageContent) -> dict[str, TableChanges]:
    """The package's tables by name."""
    return {t.name: t for t in content.tables}
