"""Who may talk to HQ's distribution API: store server tokens and register activation
(DESIGN §8: "a register may only upload and download for itself and its own data group").

* **Store server token** — issued by an administrator per store, returned once; HQ keeps only
  its SHA-256 in ``stores.server_token_hash`` (an HQ-only column, never distributed, so issuing
  one takes no change version). A new token replaces the old one.
* **Activation code** — a one-time code for one register, valid 24 hours, stored hashed.
  The store server relays it (``POST /api/activate``); HQ checks that the register belongs to
  the calling store, marks the code used (atomically: ``UPDATE … WHERE used_at IS NULL``),
  issues a device token and stores its hash on the register with a new change version, so
  job 1070 carries the hash to the channel DB (the store server also gets it in the answer).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Connection, delete, insert, select, update

from kassa.auth.tokens import new_activation_code, new_token, token_hash
from kassa.db import hq_schema as s
from kassa.db.hq_distribution_schema import activation_codes as a
from kassa.domain.errors import Conflict, NotAllowed, NotAuthenticated, NotFound
from kassa.hq.distribution.setup import ensure_channel_entity, get_register
from kassa.hq.masterdata import next_version

#: How long an activation code stays valid.
ACTIVATION_TTL: Final = timedelta(hours=24)


@dataclass(frozen=True)
class StoreIdentity:
    """The store a store-server token belongs to, and its channel data group."""

    store_id: int
    data_group_id: int


@dataclass(frozen=True)
class StoreToken:
    """A freshly issued store server token (shown once)."""

    store_id: int
    data_group_id: int
    token: str


@dataclass(frozen=True)
class ActivationCode:
    """A freshly issued one-time activation code (shown once)."""

    code: str
    register_id: uuid.UUID
    store_id: int
    register_number: int
    expires_at: datetime


@dataclass(frozen=True)
class Activation:
    """Result of a successful activation: the register's device token (shown once) and its
    hash (what the store server keeps)."""

    register_id: uuid.UUID
    store_id: int
    register_number: int
    device_token: str
    device_token_hash: str


def _normalise_code(code: str) -> str:
    return code.strip().upper()


def issue_store_token(conn: Connection, store_id: int, now: datetime) -> StoreToken:
    """Issue a new token for store ``store_id`` (replacing any previous one) and make sure
    its channel entity exists. Raises NotFound ``store.unknown``."""
    ensure_channel_entity(conn, store_id, now)
    token = new_token()
    conn.execute(
        update(s.stores)
        .where(s.stores.c.id == store_id)
        .values(server_token_hash=token_hash(token))
    )
    group = conn.execute(
        select(s.stores.c.data_group_id).where(s.stores.c.id == store_id)
    ).scalar_one()
    return StoreToken(store_id, int(group), token)


def store_for_token(conn: Connection, token: str) -> StoreIdentity:
    """The store whose server token is ``token``.

    Raises:
        NotAuthenticated: code ``auth.bad_token`` when no store has this token.
    """
    rec = conn.execute(
        select(s.stores.c.id, s.stores.c.data_group_id).where(
            s.stores.c.server_token_hash == token_hash(token)
        )
    ).first()
    if rec is None:
        raise NotAuthenticated("unknown store server token", code="auth.bad_token")
    return StoreIdentity(int(rec.id), int(rec.data_group_id))


def issue_activation_code(
    conn: Connection, register_id: uuid.UUID | str, now: datetime
) -> ActivationCode:
    """Issue a one-time activation code for a register, valid :data:`ACTIVATION_TTL`; unused
    earlier codes of the register stop working.

    Raises:
        InvalidInput: ``id.invalid``; NotFound: ``register.unknown``.
    """
    reg = get_register(conn, register_id)
    conn.execute(delete(a).where(a.c.register_id == reg.id, a.c.used_at.is_(None)))
    code = new_activation_code()
    expires = now + ACTIVATION_TTL
    conn.execute(
        insert(a).values(
            code_hash=token_hash(_normalise_code(code)),
            register_id=reg.id,
            created_at=now,
            expires_at=expires,
        )
    )
    return ActivationCode(code, reg.id, int(reg.store_id), int(reg.number), expires)


def activate(conn: Connection, store: StoreIdentity, code: str, now: datetime) -> Activation:
    """Turn an activation code into a device token for its register.

    Raises:
        NotFound: ``activation.unknown_code``; NotAllowed: ``activation.other_store`` (the
        register belongs to another store); Conflict: ``activation.used``,
        ``activation.expired``.
    """
    digest = token_hash(_normalise_code(code))
    rec = conn.execute(select(a).where(a.c.code_hash == digest)).first()
    if rec is None:
        raise NotFound("unknown activation code", code="activation.unknown_code")
    reg = get_register(conn, rec.register_id)
    if int(reg.store_id) != store.store_id:
        raise NotAllowed(
            f"this activation code is for a register of store {reg.store_id}, "
            f"not of store {store.store_id}",
            code="activation.other_store",
        )
    if rec.used_at is not None:
        raise Conflict("this activation code was already used", code="activation.used")
    if rec.expires_at <= now:
        raise Conflict(
            f"this activation code expired at {rec.expires_at.isoformat()}; ask HQ for a new one",
            code="activation.expired",
        )
    taken = conn.execute(
        update(a).where(a.c.code_hash == digest, a.c.used_at.is_(None)).values(used_at=now)
    ).rowcount
    if taken != 1:
        raise Conflict("this activation code was already used", code="activation.used")
    device_token = new_token()
    digest_token = token_hash(device_token)
    conn.execute(
        update(s.registers)
        .where(s.registers.c.id == reg.id)
        .values(device_token_hash=digest_token, version=next_version(conn))
    )
    return Activation(reg.id, int(reg.store_id), int(reg.number), device_token, digest_token)
