"""The chain around the catalogue: stores, data groups, registers, staff and settings.

Rule source: issue 2 §4, DESIGN §1. Each store id seen in the sales becomes a store with
its own channel data group ``"Store <id>"`` (its channel DB and its registers' offline DBs
receive the same packages), ``registers_per_store`` registers with Support offline, the
offline profile ``"Default"`` (:data:`kassa.domain.offline_profile.DEFAULT`), currency USD.

Who owns what on a re-import (so that running it twice changes nothing, and a change made
in the back office is not undone by the next import):

* owned by the import, updated when they differ: products, prices, customers, the store's
  name / data group / currency, data groups, tax groups (:mod:`kassa.domain.tax`), tender
  types (:mod:`kassa.domain.tender`), the demo operators;
* seeded, inserted only when missing: the offline profile ``Default``, registers, commerce
  parameters, a store's offline profile and receipt texts.

Demo operators are chain-wide (``store_id`` NULL): 1001 manager, 1002 supervisor,
1003–1006 cashiers, all with the ``--operator-password`` (default :data:`DEMO_PASSWORD`).
An existing hash that verifies the password and uses current parameters is kept.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final

from sqlalchemy import Connection, Engine, Table, select

from kassa.auth.passwords import hash_password, needs_rehash, verify_password
from kassa.db import hq_schema as s
from kassa.domain.ids import new_id
from kassa.domain.offline_profile import DEFAULT as DEFAULT_PROFILE
from kassa.domain.operator import Role
from kassa.domain.tax import DEFAULT_TAX_GROUPS
from kassa.domain.tender import TenderType

#: Documented demo password of the demo operators (README, ``kassa import --help``).
DEMO_PASSWORD: Final = "kassa-demo-1234"
DEFAULT_PROFILE_NAME: Final = "Default"
CURRENCY: Final = "USD"
RECEIPT_FOOTER: Final = "Thank you for shopping with us!"
MAX_REGISTERS_PER_STORE: Final = 99

#: (id, name, role) of the chain-wide demo operators.
DEMO_OPERATORS: Final = (
    ("1001", "Demo Manager", Role.MANAGER),
    ("1002", "Demo Supervisor", Role.SUPERVISOR),
    ("1003", "Demo Cashier 1", Role.CASHIER),
    ("1004", "Demo Cashier 2", Role.CASHIER),
    ("1005", "Demo Cashier 3", Role.CASHIER),
    ("1006", "Demo Cashier 4", Role.CASHIER),
)

#: Commerce parameters (JSON values) seeded for the chain (DESIGN §6, receipts).
COMMERCE_PARAMETERS: Final[dict[str, Any]] = {
    "allow_offline_gift_card_conclusion": False,
    "allow_offline_credit_memo_conclusion": False,
    "receipt_line_width": 42,
    "receipt_show_tax_summary": True,
    "receipt_show_loyalty_card": True,
}


def store_name(store_id: int) -> str:
    """``"Store 367"``."""
    return f"Store {store_id}"


def data_group_name(store_id: int) -> str:
    """Name of the store's channel data group: ``"Store 367"`` (unique per store)."""
    return f"Store {store_id}"


def receipt_header(store_id: int) -> str:
    """Default receipt header of a store."""
    return f"Kassa Market — Store {store_id}"


def ids_by_name(conn: Connection, table: Table, wanted: dict[str, int]) -> dict[str, int]:
    """Ids for named rows of ``table`` (``id``/``name`` columns, name unique).

    Args:
        wanted: name → preferred id for a row that does not exist yet.

    Returns:
        name → id: the stored id when a row of that name exists, else the preferred id if
        free, else the next id above every id in use.
    """
    stored = {name: rid for rid, name in conn.execute(select(table.c.id, table.c.name))}
    taken = set(stored.values())
    out: dict[str, int] = {}
    for name, preferred in wanted.items():
        if name in stored:
            out[name] = stored[name]
            continue
        rid = preferred
        if rid in taken:
            rid = max(taken) + 1
        taken.add(rid)
        out[name] = rid
    return out


def data_group_rows(conn: Connection, stores: list[int]) -> list[dict[str, Any]]:
    """One ``data_groups`` row per store (id = store id when free)."""
    ids = ids_by_name(conn, s.data_groups, {data_group_name(sid): sid for sid in stores})
    return [{"id": ids[data_group_name(sid)], "name": data_group_name(sid)} for sid in stores]


def offline_profile_row(conn: Connection) -> dict[str, Any]:
    """The ``Default`` offline profile row (seeded; DESIGN §1 defaults)."""
    pid = ids_by_name(conn, s.offline_profiles, {DEFAULT_PROFILE_NAME: 1})[DEFAULT_PROFILE_NAME]
    return {"id": pid, "name": DEFAULT_PROFILE_NAME, **DEFAULT_PROFILE.to_mapping()}


def store_rows(
    conn: Connection, stores: list[int], groups: list[dict[str, Any]], profile_id: int
) -> list[dict[str, Any]]:
    """``stores`` rows; an existing store keeps its offline profile and receipt texts."""
    group_of = {g["name"]: g["id"] for g in groups}
    t = s.stores.c
    kept = {
        rec.id: (rec.offline_profile_id, rec.receipt_header, rec.receipt_footer)
        for rec in conn.execute(
            select(t.id, t.offline_profile_id, t.receipt_header, t.receipt_footer)
        )
    }
    rows = []
    for sid in stores:
        profile, header, footer = kept.get(sid, (profile_id, receipt_header(sid), RECEIPT_FOOTER))
        rows.append(
            {
                "id": sid,
                "name": store_name(sid),
                "data_group_id": group_of[data_group_name(sid)],
                "offline_profile_id": profile,
                "currency": CURRENCY,
                "receipt_header": header,
                "receipt_footer": footer,
            }
        )
    return rows


def register_rows(conn: Connection, stores: list[int], per_store: int) -> list[dict[str, Any]]:
    """``registers`` rows 1..``per_store`` per store; existing ones keep their id (UUIDv7
    made when the register was first imported)."""
    t = s.registers.c
    known: dict[tuple[int, int], uuid.UUID] = {
        (rec.store_id, rec.number): rec.id
        for rec in conn.execute(select(t.id, t.store_id, t.number))
    }
    return [
        {
            "id": known.get((sid, n)) or new_id(),
            "store_id": sid,
            "number": n,
            "name": f"Register {n}",
            "support_offline": True,
        }
        for sid in stores
        for n in range(1, per_store + 1)
    ]


def _stored_hashes(conn: Connection) -> dict[str, str]:
    t = s.operators.c
    ids = [op_id for op_id, _, _ in DEMO_OPERATORS]
    rows = conn.execute(select(t.id, t.password_hash).where(t.id.in_(ids)))
    return {op_id: password_hash for op_id, password_hash in rows}


def _hash_for(stored: str | None, password: str) -> str:
    """Keep ``stored`` if it verifies ``password`` with current parameters, else hash anew."""
    if stored and verify_password(stored, password) and not needs_rehash(stored):
        return stored
    return hash_password(password)


class OperatorPasswords:
    """Hashes of the demo operators' password, computed in background threads.

    argon2 costs ~25 ms per hash or verify and releases the GIL, so the import starts them
    before reading the files and collects them inside the write transaction. A stored hash
    that changed in between is handled again there, so the result is as if computed in the
    transaction. Use as a context manager (the threads are shut down on exit).

    Raises:
        InvalidInput: from :meth:`rows`, code ``password.invalid`` for a too short password.
    """

    def __init__(self, engine: Engine, password: str) -> None:
        self._password = password
        with engine.connect().execution_options(kassa_readonly=True) as conn:
            self._seen = _stored_hashes(conn)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kassa-argon2")
        self._futures: dict[str, Future[str]] = {
            op_id: self._pool.submit(_hash_for, self._seen.get(op_id), password)
            for op_id, _, _ in DEMO_OPERATORS
        }

    def __enter__(self) -> OperatorPasswords:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def rows(self, conn: Connection) -> list[dict[str, Any]]:
        """``operators`` rows of the demo operators, read against ``conn``'s transaction."""
        now = _stored_hashes(conn)
        rows = []
        for op_id, name, role in DEMO_OPERATORS:
            if now.get(op_id) == self._seen.get(op_id):
                password_hash = self._futures[op_id].result()
            else:
                password_hash = _hash_for(now.get(op_id), self._password)
            rows.append(
                {
                    "id": op_id,
                    "name": name,
                    "role": role.value,
                    "password_hash": password_hash,
                    "store_id": None,
                }
            )
        return rows


def tax_group_rows() -> list[dict[str, Any]]:
    """``tax_groups`` rows from :data:`kassa.domain.tax.DEFAULT_TAX_GROUPS` (rate in bp)."""
    return [
        {"id": g.id, "name": g.name, "rate_bp": int(g.basis_points)}
        for g in DEFAULT_TAX_GROUPS.values()
    ]


def tender_type_rows() -> list[dict[str, Any]]:
    """``tender_types`` rows: cash opens the drawer and gives change; the others neither."""
    return [
        {
            "id": tender.value,
            "name": tender.label,
            "opens_drawer": tender is TenderType.CASH,
            "allows_change": tender.allows_change,
        }
        for tender in TenderType
    ]


def commerce_parameter_rows() -> list[dict[str, Any]]:
    """``commerce_parameters`` rows with canonical JSON text values."""
    return [
        {"key": key, "value": json.dumps(value, sort_keys=True, separators=(",", ":"))}
        for key, value in COMMERCE_PARAMETERS.items()
    ]
