"""A store server world for store tests: a real channel DB (SQLite or PostgreSQL) and helpers.

:func:`fill_channel` — the channel DB at ``db_url`` filled through a real snapshot package (store
``STORE`` of data group ``GROUP``, a register with a known device token, a register of
store 999 in the same group, operator 1003 with a real argon2 hash, five products with
prices, two commerce parameters, two customers), (tests/store/conftest.py serves it with
``create_app`` on a free 127.0.0.1 port, no HQ, always stopped afterwards).
:func:`sale_record` makes real transaction records; :func:`assert_error` checks an error
answer (``{"error": {"code", "message", "details"}}``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine, func, select

from kassa.auth.passwords import hash_password
from kassa.auth.tokens import token_hash
from kassa.db import channel_schema as cs
from kassa.domain.receipt import receipt_number
from kassa.domain.tax import TaxGroup
from kassa.domain.transaction import Transaction
from kassa.sync.apply import apply_package
from support.package_factory import (
    STORE,
    catalogue_tables,
    channel_tables,
    package,
)

PASSWORD = "kassa-demo-1234"
T0 = datetime(2017, 3, 1, 9, 0, tzinfo=UTC)
PULL_TOKEN = "hq-pull-token-for-tests-0123456789"


@dataclass
class StoreServer:
    """Handles on a running store server."""

    engine: Engine
    url: str
    register_id: uuid.UUID
    token: str
    other_token: str
    client: httpx.Client

    def auth(self, token: str | None = None) -> dict[str, str]:
        """Authorization header of the register (or of ``token``)."""
        return {"Authorization": f"Bearer {token or self.token}"}

    def count(self, table: str) -> int:
        """Rows in a channel DB table."""
        with self.engine.connect() as conn:
            return int(conn.execute(
                select(func.count()).select_from(cs.metadata.tables[table])).scalar_one())


def fill_channel(engine: Engine, register_id: uuid.UUID, token: str,
                 other_register: uuid.UUID, other_token: str) -> None:
    """Apply the snapshot described in the module docstring."""
    tables = {**channel_tables(register_id, token_hash(token), other_register=other_register,
                               operator_hash=hash_password(PASSWORD)),
              **catalogue_tables(5)}
    tables["registers"][1][1][5] = token_hash(other_token)
    tables["customers"] = (
        ["id", "name", "loyalty_card", "age", "income", "home_ownership", "marital_status",
         "household_size", "household_comp", "kids_count", "version"],
        [[1, "Household 1", "400000000017", "45-54", None, None, None, None, None, None, 1],
         [2, "Household 2", "400000000025", None, None, None, None, None, None, None, 1]],
        [],
    )
    header, body = package(1, kind="snapshot", **tables)
    apply_package(engine, header, body, now=T0)


FOOD = TaxGroup.from_basis_points("food", "Food", 0)


def sale_record(register_id: uuid.UUID, seq: int = 1, *, quantity: str = "2",
                store_id: int = STORE, register_number: int = 1) -> dict[str, Any]:
    """A completed cash sale of product 1001 at 1.00 as its format-1 record."""
    txn = Transaction.start(
        store_id=store_id, register_id=register_id, register_number=register_number,
        receipt_number=receipt_number(store_id, register_number, seq), operator_id="1003",
        now=T0,
    )
    txn.add_line(1001, "PRODUCT 1001", "0000000001001", Decimal("1.00"), Decimal(quantity),
                 FOOD)
    txn.add_tender("cash", txn.total)
    txn.complete(T0)
    return txn.to_record()


def assert_error(answer: httpx.Response, status: int, code: str) -> None:
    """``answer`` is an error with ``status`` and ``code`` and a message for people."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
