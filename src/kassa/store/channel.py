"""Reads and small writes on the store's channel database (DESIGN §2, §8).

Everything here runs on the channel DB (SQLite or PostgreSQL) the puller keeps in step with
HQ: the store, its registers (with ``device_token_hash``, job 1070), the offline profile,
operators (job 1060) and what registers report (``register_status``).

* :func:`authenticate_register` — device token → the register (SHA-256 lookup); unknown →
  401 ``auth.bad_token``; a register of another store of the same data group → 403
  ``auth.other_store``.
* :func:`register_profile` — ``GET /api/me``.
* :func:`sign_in` — operator id + password against the argon2 hash (job 1060).
* :func:`record_register_status` — ``POST /api/status`` from a register.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from kassa.auth.passwords import verify_or_burn
from kassa.auth.tokens import token_hash
from kassa.db import channel_schema as cs
from kassa.db.upsert import upsert
from kassa.domain.errors import NotAllowed, NotAuthenticated, NotFound
from kassa.domain.offline_profile import OfflineProfile

_REGISTERS = cs.metadata.tables["registers"]
_STORES = cs.metadata.tables["stores"]
_PROFILES = cs.metadata.tables["offline_profiles"]
_OPERATORS = cs.metadata.tables["operators"]


@dataclass(frozen=True)
class RegisterIdentity:
    """The register a device token belongs to."""

    id: uuid.UUID
    store_id: int
    number: int
    name: str
    support_offline: bool


#: Built once (every register call runs it; issue 7).
_BY_TOKEN_HASH = select(
    _REGISTERS.c.id, _REGISTERS.c.store_id, _REGISTERS.c.number, _REGISTERS.c.name,
    _REGISTERS.c.support_offline,
).where(_REGISTERS.c.device_token_hash == bindparam("digest"))


def authenticate_register(conn: Connection, token: str, store_id: int) -> RegisterIdentity:
    """The register whose device token is ``token``, if it belongs to ``store_id``.

    Raises:
        NotAuthenticated: ``auth.bad_token`` (no register of this channel DB has the token:
            wrong token, not activated, or not distributed here yet).
        NotAllowed: ``auth.other_store`` (a register of another store).
    """
    rec = conn.execute(_BY_TOKEN_HASH, {"digest": token_hash(token)}).first()
    if rec is None:
        raise NotAuthenticated("unknown device token; activate this register first",
                               code="auth.bad_token")
    if int(rec.store_id) != store_id:
        raise NotAllowed(
            f"register {rec.id} belongs to store {rec.store_id}, not to store {store_id}",
            code="auth.other_store",
        )
    return RegisterIdentity(rec.id, int(rec.store_id), int(rec.number), str(rec.name),
                            bool(rec.support_offline))


def set_device_token_hash(conn: Connection, register_id: uuid.UUID, digest: str) -> bool:
    """Store a freshly activated register's token hash at once (HQ's job 1070 package will
    carry the same value later). Returns False when the register row is not here yet."""
    result = conn.execute(
        update(_REGISTERS).where(_REGISTERS.c.id == register_id).values(device_token_hash=digest)
    )
    return bool(result.rowcount)


def store_row(conn: Connection, store_id: int) -> Any:
    """The store's row. Raises NotFound ``store.not_distributed`` before the first package."""
    rec = conn.execute(select(_STORES).where(_STORES.c.id == store_id)).mappings().first()
    if rec is None:
        raise NotFound(
            f"store {store_id} is not in this channel database yet (no package from HQ)",
            code="store.not_distributed",
        )
    return rec


def register_profile(
    conn: Connection, register: RegisterIdentity, parameters: dict[str, Any]
) -> dict[str, Any]:
    """The ``GET /api/me`` answer (shape in :mod:`kassa.store.models`)."""
    store = store_row(conn, register.store_id)
    prof = conn.execute(
        select(_PROFILES).where(_PROFILES.c.id == store["offline_profile_id"])
    ).mappings().first()
    profile = OfflineProfile.from_mapping(
        {k: prof[k] for k in OfflineProfile.FIELDS} if prof is not None else {}
    )
    receipt = {k.removeprefix("receipt_"): v for k, v in parameters.items()
               if k.startswith("receipt_")}
    return {
        "register": {
            "id": str(register.id),
            "number": register.number,
            "name": register.name,
            "support_offline": register.support_offline,
        },
        "store": {
            "id": int(store["id"]),
            "name": store["name"],
            "currency": store["currency"],
            "data_group_id": int(store["data_group_id"]),
        },
        "offline_profile": {
            "id": None if prof is None else int(prof["id"]),
            "name": None if prof is None else prof["name"],
            **profile.to_mapping(),
        },
        "receipt": {"header": store["receipt_header"], "footer": store["receipt_footer"],
                    **receipt},
    }


def sign_in(conn: Connection, store_id: int, operator_id: str, password: str) -> dict[str, Any]:
    """Check an operator's password (argon2 hash from job 1060).

    Returns:
        ``{"operator_id", "name", "role"}``.

    Raises:
        NotAuthenticated: ``auth.bad_credentials`` — unknown operator, wrong password, or an
            operator of another store (one message and the same argon2 work for all, so ids
            cannot be probed).
    """
    o = _OPERATORS.c
    rec = conn.execute(
        select(o.id, o.name, o.role, o.password_hash, o.store_id).where(o.id == operator_id)
    ).first()
    mine = rec is not None and (rec.store_id is None or int(rec.store_id) == store_id)
    ok = verify_or_burn(rec.password_hash if mine and rec is not None else None, password)
    if not ok or rec is None:
        raise NotAuthenticated("wrong operator id or password", code="auth.bad_credentials")
    return {"operator_id": rec.id, "name": rec.name, "role": rec.role}


def record_register_status(
    conn: Connection,
    register: RegisterIdentity,
    *,
    checkpoint: int | None,
    pending_uploads: int,
    mode: str,
    now: datetime,
    reported_at: datetime | None = None,
) -> None:
    """Upsert the register's row in ``register_status`` (``last_contact`` = ``now``)."""
    upsert(
        conn,
        cs.register_status,
        [{
            "register_id": register.id,
            "checkpoint_package_number": checkpoint,
            "pending_uploads": pending_uploads,
            "last_contact": now,
            "mode": mode,
            "reported_at": reported_at or now,
        }],
        key_cols=["register_id"],
        only_if_changed=False,
        update_cols=["checkpoint_package_number", "pending_uploads", "last_contact", "mode",
                     "reported_at"],
    )


def register_statuses(conn: Connection, store_id: int, limit: int = 1000) -> list[dict[str, Any]]:
    """What this store's registers last reported, for the status report to HQ
    (``{"register_id", "checkpoint", "pending_uploads", "mode"}``)."""
    s, r = cs.register_status.c, _REGISTERS.c
    rows = conn.execute(
        select(s.register_id, s.checkpoint_package_number, s.pending_uploads, s.mode)
        .join(_REGISTERS, r.id == s.register_id)
        .where(r.store_id == store_id)
        .order_by(s.last_contact.desc())
        .limit(limit)
    ).all()
    return [
        {"register_id": str(x.register_id), "checkpoint": x.checkpoint_package_number,
         "pending_uploads": x.pending_uploads, "mode": x.mode[:40]}
        for x in rows
    ]


def parameters_from_rows(rows: list[tuple[str, str]]) -> dict[str, Any]:
    """Commerce parameters ``{key: JSON value}`` from ``(key, JSON text)`` rows; a value that
    is not JSON is kept as its text."""
    out: dict[str, Any] = {}
    for key, raw in rows:
        try:
            out[key] = json.loads(raw)
        except (TypeError, ValueError):
            out[key] = raw
    return out
