"""What HQ holds: the counts behind ``kassa hq summary`` (and later the back office).

Read-only queries on the HQ schema (:mod:`kassa.db.hq_schema`); SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, func, or_, select

from kassa.db import hq_schema as s


@dataclass(frozen=True)
class HQSummary:
    """Row counts of HQ master data and the current change version (0 before any change)."""

    products: int
    priced_products: int
    customers: int
    customers_with_demographics: int
    stores: int
    registers: int
    registers_offline: int
    operators: int
    data_groups: int
    change_version: int


def hq_summary(conn: Connection) -> HQSummary:
    """Count master data in HQ. Read-only; works on SQLite and PostgreSQL.

    A customer "has demographics" when any demographics column is set.
    """

    def count(table: Table, *where: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())

    c = s.customers.c
    demo = or_(
        *(
            col.is_not(None)
            for col in (
                c.age,
                c.income,
                c.home_ownership,
                c.marital_status,
                c.household_size,
                c.household_comp,
                c.kids_count,
            )
        )
    )
    version = conn.execute(
        select(s.change_counter.c.value).where(s.change_counter.c.id == 1)
    ).scalar_one_or_none()
    return HQSummary(
        products=count(s.products),
        priced_products=count(s.prices),
        customers=count(s.customers),
        customers_with_demographics=count(s.customers, demo),
        stores=count(s.stores),
        registers=count(s.registers),
        registers_offline=count(s.registers, s.registers.c.support_offline.is_(True)),
        operators=count(s.operators),
        data_groups=count(s.data_groups),
        change_version=int(version or 0),
    )
