"""Gift cards and credit memos: lock, redeem, reload, unlock (DESIGN §6).

Pure rules for HQ's real-time service; storage and HTTP live in ``kassa.hq``. A
:class:`GiftCard` is a small mutable aggregate: load it, call one method, store the result.

Rules:

* :meth:`GiftCard.lock` (card, register, transaction) returns the balance. A card locked by
  another register/transaction is refused with :class:`~kassa.domain.errors.CardLocked`
  naming the holder register. Re-locking by the same register and transaction is idempotent.
* :meth:`GiftCard.redeem_and_unlock` is idempotent by transaction id: a ledger keyed by
  transaction id remembers each redemption; the same id and amount again changes nothing,
  the same id with another amount is a :class:`~kassa.domain.errors.Conflict`. The tender
  cannot exceed the balance, so the balance never goes negative.
* :meth:`GiftCard.unlock` releases the holder's lock (voiding the tender line, or the unlock a
  register queued while offline); anyone else is refused unless ``force=True`` with an
  ``actor``, which leaves a :class:`ForcedUnlock` audit record.
* :meth:`GiftCard.issue` / :meth:`GiftCard.add` are bounded by :class:`GiftCardLimits`;
  credit memos are issued (by a refund) but never reloaded.
* :func:`can_conclude_offline` is the rule of the commerce parameters **Allow concluding gift
  card / credit memo transactions in offline mode** (default No).

Amounts are two-place ``Decimal`` (:func:`kassa.domain.money.parse_amount`); times are
aware UTC datetimes supplied by the caller.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from kassa.domain.errors import CardLocked, Conflict, InvalidInput, RuleViolation
from kassa.domain.money import ZERO, parse_amount

#: Commerce parameter keys (DESIGN §6); value ``True`` allows concluding offline.
ALLOW_GIFT_CARD_OFFLINE: Final = "allow_offline_gift_card_conclusion"
ALLOW_CREDIT_MEMO_OFFLINE: Final = "allow_offline_credit_memo_conclusion"


class CardKind(StrEnum):
    """Same values as :class:`kassa.domain.tender.TenderType` for these tenders."""

    GIFT_CARD = "gift_card"
    CREDIT_MEMO = "credit_memo"

    @property
    def label(self) -> str:
        return "gift card" if self is CardKind.GIFT_CARD else "credit memo"


@dataclass(frozen=True)
class GiftCardLimits:
    """Bounds in currency units: one issue, one reload, and the balance after any change."""

    max_issue: Decimal = Decimal("5000.00")
    max_add: Decimal = Decimal("5000.00")
    max_balance: Decimal = Decimal("10000.00")


DEFAULT_LIMITS: Final = GiftCardLimits()


@dataclass(frozen=True)
class Lock:
    """Who holds the card: one register, for one transaction, since ``locked_at`` (UTC)."""

    register_id: str
    transaction_id: str
    locked_at: datetime


@dataclass(frozen=True)
class LedgerEntry:
    """One redemption or reload, keyed by ``transaction_id`` in its ledger."""

    transaction_id: str
    amount: Decimal
    register_id: str | None
    at: datetime


@dataclass(frozen=True)
class ForcedUnlock:
    """Audit record of an HQ force-unlock: who released whose lock, when."""

    actor: str
    released: Lock
    at: datetime


@dataclass(frozen=True)
class Outcome:
    """Result of a redeem or add: the ledger ``entry``, the ``balance`` after it, and
    ``replayed`` = True when the call repeated an earlier one and changed nothing."""

    entry: LedgerEntry
    balance: Decimal
    replayed: bool


def _ident(value: object, what: str) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise InvalidInput(f"{what} must be a non-empty text (got {value!r})", code=f"giftcard.{what}")


def _positive(value: object) -> Decimal:
    amount = parse_amount(value, allow_negative=True)
    if amount <= ZERO:
        raise InvalidInput(
            f"amount must be greater than zero (got {value!r})",
            code="giftcard.amount_not_positive",
        )
    return amount


@dataclass
class GiftCard:
    """A gift card or credit memo as kept at HQ (DESIGN §6). See the module rules.

    State: ``number``, ``kind``, ``balance`` and ``initial`` (issued amount, Decimal),
    ``active``, ``holder`` (the :class:`Lock` or ``None``; named so because ``lock`` is the
    method), the ``redemptions`` and ``reloads`` ledgers keyed by transaction id, and the
    ``audit`` list of forced unlocks.

    Invariants: ``0 <= balance``; at most one holder;
    ``sum(redemptions) == initial + sum(reloads) - balance``.
    """

    number: str
    kind: CardKind
    balance: Decimal
    initial: Decimal
    active: bool = True
    holder: Lock | None = None
    redemptions: dict[str, LedgerEntry] = field(default_factory=dict)
    reloads: dict[str, LedgerEntry] = field(default_factory=dict)
    audit: list[ForcedUnlock] = field(default_factory=list)

    @classmethod
    def issue(
        cls, number: str, amount: object, *, kind: CardKind = CardKind.GIFT_CARD,
        limits: GiftCardLimits = DEFAULT_LIMITS,
    ) -> GiftCard:
        """Issue a new active card with ``amount`` (operation 512; a refund's credit memo).

        Raises:
            InvalidInput: ``giftcard.number``, ``giftcard.amount_not_positive``, ``money.*``.
            RuleViolation: ``giftcard.max_issue`` above ``limits.max_issue``.
        """
        value = _positive(amount)
        if value > limits.max_issue or value > limits.max_balance:
            raise RuleViolation(
                f"a {CardKind(kind).label} can be issued for at most {limits.max_issue}",
                code="giftcard.max_issue",
            )
        return cls(_ident(number, "number"), CardKind(kind), value, value)

    def _holder_text(self, held: Lock) -> str:
        return (
            f"{self.kind.label.capitalize()} {self.number} is in use at register "
            f"{held.register_id} (transaction {held.transaction_id}, locked since "
            f"{held.locked_at:%Y-%m-%d %H:%M} UTC)"
        )

    def _refuse_held(self, held: Lock) -> CardLocked:
        return CardLocked(
            self._holder_text(held) + "; finish or void that transaction first.",
            details={"register_id": held.register_id, "transaction_id": held.transaction_id},
        )

    def _require_active(self) -> None:
        if not self.active:
            raise Conflict(f"{self.kind.label} {self.number} is inactive", code="giftcard.inactive")

    def lock(self, register_id: object, transaction_id: object, now: datetime) -> Decimal:
        """Lock the card for a tender and return its balance (DESIGN §6).

        Raises:
            Conflict: ``giftcard.inactive``; ``giftcard.already_redeemed`` when this
                transaction already redeemed the card (a late duplicate must not re-lock it).
            CardLocked: ``giftcard.locked`` when another register/transaction holds it.
            RuleViolation: ``giftcard.empty`` when the balance is zero.
        """
        reg, tx = _ident(register_id, "register_id"), _ident(transaction_id, "transaction_id")
        self._require_active()
        if tx in self.redemptions:
            raise Conflict(
                f"transaction {tx} already redeemed {self.kind.label} {self.number}",
                code="giftcard.already_redeemed",
            )
        held = self.holder
        if held is not None:
            if (held.register_id, held.transaction_id) == (reg, tx):
                return self.balance
            raise self._refuse_held(held)
        if self.balance <= ZERO:
            raise RuleViolation(
                f"{self.kind.label.capitalize()} {self.number} has no balance left",
                code="giftcard.empty",
            )
        self.holder = Lock(reg, tx, now)
        return self.balance

    def redeem_and_unlock(
        self, transaction_id: object, amount: object, *, now: datetime,
        register_id: object | None = None,
    ) -> Outcome:
        """Take ``amount`` off the balance and release the lock of this transaction.

        Idempotent by ``transaction_id``. Allowed when the card is locked by this
        transaction or not locked at all (e.g. an offline-concluded transaction posted after
        a force-unlock).

        Raises:
            InvalidInput: ``giftcard.amount_not_positive`` / ``money.*``.
            Conflict: ``giftcard.redemption_mismatch`` (same transaction, other amount);
                ``giftcard.inactive``.
            CardLocked: ``giftcard.locked`` when another transaction holds the card.
            RuleViolation: ``giftcard.insufficient_balance`` when ``amount > balance``.
        """
        tx = _ident(transaction_id, "transaction_id")
        value = _positive(amount)
        done = self.redemptions.get(tx)
        if done is not None:
            if done.amount != value:
                raise Conflict(
                    f"transaction {tx} already redeemed {done.amount} from {self.kind.label} "
                    f"{self.number}, not {value}",
                    code="giftcard.redemption_mismatch",
                )
            return Outcome(done, self.balance, replayed=True)
        self._require_active()
        held = self.holder
        if held is not None and held.transaction_id != tx:
            raise self._refuse_held(held)
        if value > self.balance:
            raise RuleViolation(
                f"the tender {value} is more than the balance {self.balance} of "
                f"{self.kind.label} {self.number}",
                code="giftcard.insufficient_balance",
                details={"balance": str(self.balance), "amount": str(value)},
            )
        reg = held.register_id if held else (
            _ident(register_id, "register_id") if register_id is not None else None
        )
        entry = LedgerEntry(tx, value, reg, now)
        self.redemptions[tx] = entry
        self.balance -= value
        self.holder = None
        return Outcome(entry, self.balance, replayed=False)

    def unlock(
        self, register_id: object | None = None, transaction_id: object | None = None, *,
        force: bool = False, actor: str | None = None, now: datetime | None = None,
    ) -> bool:
        """Release the lock. Returns True when a lock was released, False if none was held.

        The holder (same register and transaction) may always unlock. Anyone else needs
        ``force=True`` with ``actor`` and ``now`` (HQ back office); that appends a
        :class:`ForcedUnlock` to :attr:`audit`.

        Raises:
            CardLocked: ``giftcard.not_lock_holder`` for a non-holder without ``force``.
            InvalidInput: ``giftcard.force_needs_actor`` for ``force`` without actor/now.
        """
        held = self.holder
        if held is None:
            return False
        if force:
            if not actor or now is None:
                raise InvalidInput(
                    "a forced unlock needs the actor and the time for the audit record",
                    code="giftcard.force_needs_actor",
                )
            self.audit.append(ForcedUnlock(actor, held, now))
            self.holder = None
            return True
        reg, tx = _ident(register_id, "register_id"), _ident(transaction_id, "transaction_id")
        if (held.register_id, held.transaction_id) != (reg, tx):
            raise CardLocked(
                self._holder_text(held) + f"; register {reg} cannot unlock it.",
                code="giftcard.not_lock_holder",
                details={"register_id": held.register_id, "transaction_id": held.transaction_id},
            )
        self.holder = None
        return True

    def add(
        self, amount: object, *, transaction_id: object, register_id: object, now: datetime,
        limits: GiftCardLimits = DEFAULT_LIMITS,
    ) -> Outcome:
        """Reload the card (operation 520), idempotent by ``transaction_id``.

        Raises:
            InvalidInput: ``giftcard.amount_not_positive`` / ``money.*``.
            Conflict: ``giftcard.inactive``; ``giftcard.reload_mismatch`` (same transaction,
                other amount).
            CardLocked: ``giftcard.locked`` when another register/transaction holds it.
            RuleViolation: ``giftcard.not_reloadable`` (credit memo), ``giftcard.max_add``,
                ``giftcard.max_balance``.
        """
        tx, reg = _ident(transaction_id, "transaction_id"), _ident(register_id, "register_id")
        value = _positive(amount)
        done = self.reloads.get(tx)
        if done is not None:
            if done.amount != value:
                raise Conflict(
                    f"transaction {tx} already added {done.amount} to {self.number}, not {value}",
                    code="giftcard.reload_mismatch",
                )
            return Outcome(done, self.balance, replayed=True)
        self._require_active()
        if self.kind is CardKind.CREDIT_MEMO:
            raise RuleViolation("a credit memo cannot be reloaded", code="giftcard.not_reloadable")
        held = self.holder
        if held is not None and (held.register_id, held.transaction_id) != (reg, tx):
            raise self._refuse_held(held)
        if value > limits.max_add:
            raise RuleViolation(
                f"at most {limits.max_add} can be added at once", code="giftcard.max_add"
            )
        if self.balance + value > limits.max_balance:
            raise RuleViolation(
                f"the balance would exceed {limits.max_balance}", code="giftcard.max_balance"
            )
        entry = LedgerEntry(tx, value, reg, now)
        self.reloads[tx] = entry
        self.balance += value
        return Outcome(entry, self.balance, replayed=False)


def _param(params: Mapping[str, Any] | object, key: str) -> bool:
    value = params.get(key, False) if isinstance(params, Mapping) else getattr(params, key, False)
    if not isinstance(value, bool):
        raise InvalidInput(
            f"commerce parameter {key} must be true or false (got {value!r})",
            code="giftcard.parameter_type",
        )
    return value


def can_conclude_offline(kind: CardKind | str, params: Mapping[str, Any] | object) -> bool:
    """May a transaction with a ``kind`` tender, added online, be concluded offline?

    ``params`` is the commerce parameters as a mapping or an object with attributes
    :data:`ALLOW_GIFT_CARD_OFFLINE` / :data:`ALLOW_CREDIT_MEMO_OFFLINE`; missing = No.

    Raises:
        InvalidInput: ``giftcard.parameter_type`` for a non-bool value; ``giftcard.kind``.
    """
    try:
        card_kind = CardKind(str(kind))
    except ValueError:
        raise InvalidInput(f"unknown card kind {kind!r}", code="giftcard.kind") from None
    key = ALLOW_GIFT_CARD_OFFLINE if card_kind is CardKind.GIFT_CARD else ALLOW_CREDIT_MEMO_OFFLINE
    return _param(params, key)


def check_conclude_offline(kind: CardKind | str, params: Mapping[str, Any] | object) -> None:
    """Refuse to conclude offline when :func:`can_conclude_offline` says No (DESIGN §6).

    Raises:
        RuleViolation: ``giftcard.offline_conclusion_not_allowed`` with what to do next.
    """
    if can_conclude_offline(kind, params):
        return
    label = CardKind(str(kind)).label
    raise RuleViolation(
        f"The register is offline and this transaction has a {label} tender; the commerce "
        f"parameter \"Allow concluding {label} transactions in offline mode\" is No. Remove the "
        f"{label} tender to finish the sale; the card is unlocked when the register reconnects.",
        code="giftcard.offline_conclusion_not_allowed",
    )
