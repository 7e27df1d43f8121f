"""Real data packages (format v1, :mod:`kassa.sync.package`) for apply and store tests, and a
dump of a whole database to compare before and after.

Rows are in wire form (what HQ sends): UUIDs as 32-char hex, the columns of the channel
mirrors. ``GROUP`` is the data group the packages belong to.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine, inspect, text

from kassa.sync.package import PackageContent, TableChanges, encode, make_header

GROUP = 7
STORE = 364
PRODUCT_COLUMNS = [
    "id", "name", "manufacturer_id", "department", "brand", "category", "product_type",
    "package_size", "barcode", "unit_of_measure", "tax_group_id", "version",
]
PRICE_COLUMNS = ["product_id", "price_cents", "version"]
TAX_COLUMNS = ["id", "name", "rate_bp", "version"]
PARAMETER_COLUMNS = ["key", "value", "version"]
REGISTER_COLUMNS = ["id", "store_id", "number", "name", "support_offline", "device_token_hash",
                    "version"]
STORE_COLUMNS = ["id", "name", "data_group_id", "offline_profile_id", "currency",
                 "receipt_header", "receipt_footer", "version"]
PROFILE_COLUMNS = ["id", "name", "timeout_s", "retry_count_to_offline", "reconnect_interval_s",
                   "health_check_interval_s", "prompt_on_seamless_offline",
                   "download_interval_s", "upload_interval_s", "upload_batch_size",
                   "pause_offline_sync", "version"]
OPERATOR_COLUMNS = ["id", "name", "role", "password_hash", "store_id", "version"]

Table = tuple[list[str], list[list[Any]], list[list[Any]]]


def product(pid: int, name: str | None = None, *, barcode: str | None = None,
            version: int = 1, tax: str = "food") -> list[Any]:
    """A wire ``products`` row."""
    return [pid, name or f"PRODUCT {pid}", 69, "GROCERY", "National", "DAIRY", "MILK",
            "1 GA", barcode or f"{pid:013d}", "each", tax, version]


def package(number: int, *, kind: str = "delta", base: int | None = None, group: int = GROUP,
            **tables: Any) -> tuple[dict[str, Any], bytes]:
    """Header and body of a package with ``tables`` (name → (columns, rows, deletes)).

    ``base`` defaults to ``number - 1`` for a delta and 0 for a snapshot.
    """
    if base is None:
        base = 0 if kind == "snapshot" else number - 1
    content = PackageContent(
        group, number, base, kind,  # type: ignore[arg-type]
        [TableChanges(name, cols, rows, deletes) for name, (cols, rows, deletes) in
         tables.items()],
    )
    body = encode(content)
    header = make_header(content, body, jobs=[1040], high_water_version=number * 10,
                         created_at="2017-01-01T12:00:00+00:00")
    return header, body


def catalogue_tables(n: int = 5, *, version: int = 1) -> dict[str, Any]:
    """Tax groups, ``n`` products (ids 1001…), their prices (100 + i cents) and two
    commerce parameters — a small snapshot's tables."""
    ids = range(1001, 1001 + n)
    return {
        "tax_groups": (TAX_COLUMNS, [["food", "Food", 0, version],
                                     ["standard", "Standard", 625, version]], []),
        "products": (PRODUCT_COLUMNS, [product(i, version=version) for i in ids], []),
        "prices": (PRICE_COLUMNS, [[i, 100 + i - 1001, version] for i in ids], []),
        "commerce_parameters": (
            PARAMETER_COLUMNS,
            [["allow_offline_gift_card_conclusion", "false", version],
             ["receipt_line_width", "42", version]],
            [],
        ),
    }


def channel_tables(register_id: uuid.UUID, token_hash: str | None, *,
                   other_register: uuid.UUID | None = None,
                   operator_hash: str = "x") -> dict[str, Any]:
    """Store ``STORE`` (group ``GROUP``) with its profile, a register (and optionally one of
    store 999 in the same group), an operator of the store."""
    regs = [[register_id.hex, STORE, 1, "Register 1", True, token_hash, 1]]
    if other_register is not None:
        regs.append([other_register.hex, 999, 1, "Other store's register", True,
                     "0" * 64, 1])
    return {
        "offline_profiles": (PROFILE_COLUMNS, [[1, "Default", 5, 0, 60, None, False, 60, 10,
                                                100, False, 1]], []),
        "stores": (STORE_COLUMNS, [[STORE, f"Store {STORE}", GROUP, 1, "USD", "Kassa Market",
                                    "Thank you!", 1]], []),
        "registers": (REGISTER_COLUMNS, regs, []),
        "operators": (OPERATOR_COLUMNS, [["1003", "Demo Cashier", "cashier", operator_hash,
                                          None, 1]], []),
    }


def dump(engine: Engine) -> dict[str, Any]:
    """Every table's rows (sorted) and, on SQLite, every schema object's SQL — to compare a
    database before and after something that must leave it unchanged."""
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        for name in names:
            if name.startswith("alembic_version"):
                continue
            rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
        if conn.dialect.name == "sqlite":
            out["__schema__"] = sorted(
                tuple(r) for r in conn.execute(
                    text("SELECT type, name, tbl_name, sql FROM sqlite_master")
                ).all()
            )
        else:
            out["__schema__"] = sorted(
                tuple(r) for r in conn.execute(
                    text("SELECT indexname, indexdef FROM pg_indexes "
                         "WHERE schemaname = current_schema()")
                ).all()
            )
    return out
