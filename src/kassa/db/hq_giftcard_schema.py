"""HQ tables of the real-time service: gift cards and credit memos (DESIGN §6, issue 5).

Balances and locks live only here; the same ``MetaData`` as the HQ schema.

* ``stored_value_cards`` — one row per gift card or credit memo: ``number`` (16 digits with a
  Luhn check digit, :mod:`kassa.hq.realtime.numbers`), ``kind`` (``gift_card`` |
  ``credit_memo``), ``balance_cents`` (never below 0: a CHECK backs the domain rule),
  ``issued_cents``, ``active``, ``issued_at`` and the lock: ``holder_register_id`` +
  ``holder_transaction_id`` + ``locked_at``, all three set or all three NULL (at most one
  holder by construction).
* ``stored_value_ledger`` — every balance movement: ``kind`` ``issue`` | ``add`` |
  ``redeem``, ``amount_cents`` > 0, keyed for idempotency by ``(number, transaction_id,
  kind)``: a transaction redeems (or reloads) a card at most once. ``issue_key`` makes an
  issue idempotent before its number exists (``"<card kind>:<transaction id>:<line id>"``,
  NULL for other movements).
* ``stored_value_audit`` — HQ back-office actions on locks: ``action`` ``force_unlock``
  (actor, reason, the released holder) and ``posting_refused`` (a posted tender the card
  could not take, e.g. after a force-unlock another register spent the balance).

``register_id`` columns of the ledger and audit keep no foreign key: history outlives master
data. The holder does reference ``registers`` (a live lock names a live register).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from kassa.db.hq_schema import metadata
from kassa.db.types import Cents, UTCDateTime, UUIDType

#: Longest card number stored (Kassa makes 16 digits; room for imported numbers).
NUMBER_LENGTH = 32

stored_value_cards = Table(
    "stored_value_cards",
    metadata,
    Column("number", String(NUMBER_LENGTH), primary_key=True),
    Column("kind", String(16), nullable=False),  # gift_card | credit_memo
    Column("balance_cents", Cents, nullable=False),
    Column("issued_cents", Cents, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("holder_register_id", UUIDType, ForeignKey("registers.id"), nullable=True),
    Column("holder_transaction_id", UUIDType, nullable=True),
    Column("locked_at", UTCDateTime, nullable=True),
    CheckConstraint("balance_cents >= 0", name="balance_not_negative"),
    CheckConstraint("kind IN ('gift_card', 'credit_memo')", name="kind"),
    CheckConstraint(
        "(holder_register_id IS NULL AND holder_transaction_id IS NULL AND locked_at IS NULL)"
        " OR (holder_register_id IS NOT NULL AND holder_transaction_id IS NOT NULL"
        " AND locked_at IS NOT NULL)",
        name="one_holder",
    ),
)

#: Locked cards are listed by HQ (DESIGN §6): index the lock time.
Index("ix_stored_value_cards_locked_at", stored_value_cards.c.locked_at)

stored_value_ledger = Table(
    "stored_value_ledger",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column(
        "number", String(NUMBER_LENGTH), ForeignKey("stored_value_cards.number"), nullable=False
    ),
    Column("transaction_id", UUIDType, nullable=False),
    Column("kind", String(8), nullable=False),  # issue | add | redeem
    Column("amount_cents", Cents, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("register_id", UUIDType, nullable=True),
    Column("issue_key", String(120), nullable=True, unique=True),
    CheckConstraint("amount_cents > 0", name="amount_positive"),
    CheckConstraint("kind IN ('issue', 'add', 'redeem')", name="kind"),
    UniqueConstraint("number", "transaction_id", "kind", name="uq_stored_value_ledger_movement"),
)

stored_value_audit = Table(
    "stored_value_audit",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("number", String(NUMBER_LENGTH), nullable=False, index=True),
    Column("action", String(24), nullable=False),  # force_unlock | posting_refused
    Column("actor", String(120), nullable=False),
    Column("reason", Text, nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("previous_register_id", UUIDType, nullable=True),
    Column("previous_transaction_id", UUIDType, nullable=True),
    Column("previous_locked_at", UTCDateTime, nullable=True),
)
