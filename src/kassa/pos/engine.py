"""The POS engine: sessions, the cart, tenders, completion and receipts (DESIGN §2, §3, §5, §7).

One :class:`PosEngine` per register process. Every operation:

1. checks the session and the operator's role (``kassa.domain.operator``);
2. checks the operations registry for the current mode (``check_allowed``, DESIGN §7): an
   online-only operation is refused offline with the registry's message;
3. asks the :class:`~kassa.pos.connection.SwitchingSource` for data (store server, or the
   offline DB after a switch — the same request is answered at once, §3.1);
4. changes the cart (pure domain code) and persists it to ``current_cart`` before answering,
   so a crash mid-sale loses nothing (:mod:`kassa.pos.cart_store`). A refused change leaves
   the cart exactly as it was (memory and disk).

Completion (DESIGN §5): online, the finished record is first written to ``current_cart`` (a
commit in doubt), then committed to the store server (insert-or-ignore by id); if the
answer does not arrive the switch goes offline and the record is committed to the offline DB
with upload state ``pending``. Offline, it is committed to the offline DB at once. A cart
found *finished* on restart is committed offline (:meth:`PosEngine.recover`). A record
committed carries the mode it was committed in (``mode``: ``"offline"`` after a switch).

Gift cards and credit memos (DESIGN §6; :mod:`kassa.pos.card_tenders`): completing online
commits first, then redeems and unlocks each card; completing offline needs the commerce
parameter of the card's kind; voiding the transaction voids and unlocks its card tenders
first. Operations 512/520/519: :mod:`kassa.pos.gift_card_operations`.

Money crosses this API as integer cents; quantities as decimal strings.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from kassa.domain.clock import Clock
from kassa.domain.errors import Conflict, InvalidInput
from kassa.domain.operations import OpId, availability_for_ui, check_allowed
from kassa.domain.operator import Permission, require
from kassa.domain.receipt import receipt_number, render_receipt
from kassa.domain.transaction import Transaction, TransactionMode
from kassa.pos.card_tenders import CardRedemption, CardTenders
from kassa.pos.cart_store import CartStore
from kassa.pos.connection import SwitchingSource
from kassa.pos.datasource import CommitOutcome
from kassa.pos.gift_card_operations import GiftCardOperations
from kassa.pos.sessions import Session, Sessions
from kassa.pos.settings import RegisterSettings
from kassa.pos.stored_value import RealtimeRelay
from kassa.pos.transaction_rows import committed_in, committed_offline
from kassa.pos.unlock_queue import UnlockQueue

log = logging.getLogger("kassa.pos.engine")


@dataclass(frozen=True)
class Finished:
    """A completed or voided transaction: the transaction (as committed), its receipt text
    lines, where it was committed (:class:`CommitOutcome`) and what completing online did to
    its gift cards / credit memos (:class:`CardRedemption`, empty otherwise)."""

    transaction: Transaction
    receipt: list[str]
    outcome: CommitOutcome
    cards: tuple[CardRedemption, ...] = ()


class PosEngine(CardTenders, GiftCardOperations):
    """The register's POS engine (module docstring).

    Args:
        store_id, register_number, register_id: the register's identity.
        source: the switching data source.
        carts: ``current_cart`` / receipt sequence of this register.
        clock: time source.
        settings: returns the current :class:`RegisterSettings` (receipt texts).
        on_sign_in: called after every successful sign-in (starts the sync client).
    """

    def __init__(
        self,
        *,
        store_id: int,
        register_number: int,
        register_id: UUID,
        source: SwitchingSource,
        carts: CartStore,
        clock: Clock,
        settings: Callable[[], RegisterSettings],
        on_sign_in: Callable[[], None] | None = None,
    ) -> None:
        self.store_id, self.register_number, self.register_id = (
            store_id, register_number, register_id)
        self.source = source
        self.carts = carts
        self.relay = RealtimeRelay(source)
        self.unlocks = UnlockQueue(source.offline.engine, clock)
        self.sessions = Sessions()
        self._clock = clock
        self._settings = settings
        self._on_sign_in = on_sign_in
        self._lock = threading.RLock()
        self._cart: Transaction | None = None
        self._record: dict[str, Any] | None = None
        self._tax_names: dict[str, str] = {}
        self.last_finished: Finished | None = None
        self.recovered: str | None = None  # "open cart" / "commit in doubt" after a restart
        self.recover()

    # -- restart ------------------------------------------------------------------------------
    def recover(self) -> None:
        """Reload the cart stored in ``current_cart`` (DESIGN §5, issue 4 §2).

        An open cart becomes the current cart again. A finished one (the register died
        during completion) is committed to the offline DB with upload state ``pending``.
        """
        with self._lock:
            record = self.carts.load()
            if record is None:
                return
            txn = Transaction.from_record(record)
            if txn.is_open:
                self.source.transaction_starting()
                self._set_cart(txn)
                self.recovered = "open cart"
            else:
                self.source.offline.commit(committed_offline(record))
                self.recovered = "commit in doubt"
            log.warning("recovered %s %s after a restart", self.recovered, txn.receipt_number)

    # -- sessions -------------------------------------------------------------------------------
    def sign_in(self, operator_id: str, password: str) -> Session:
        """Sign an operator in (store server, or the offline DB's hashes offline).

        Raises:
            NotAuthenticated: ``auth.bad_credentials``. InvalidInput: ``auth.invalid``.
            Unavailable: store server gone and the register cannot switch (§3.5).
        """
        if not isinstance(operator_id, str) or not operator_id.strip() or len(operator_id) > 32:
            raise InvalidInput("operator id must be 1-32 characters", code="auth.invalid")
        if not isinstance(password, str) or not password or len(password) > 200:
            raise InvalidInput("password must be 1-200 characters", code="auth.invalid")
        check_allowed(OpId.SIGN_IN, online=self.source.online)
        operator = self.source.sign_in(operator_id.strip(), password)
        session = self.sessions.open(operator, self._clock.now())
        if self._on_sign_in is not None:
            self._on_sign_in()
        return session

    def sign_out(self, session: Session) -> None:
        """End the session; an open cart stays (it belongs to the register)."""
        check_allowed(OpId.SIGN_OUT, online=self.source.online)
        self.sessions.close(session.token)

    # -- transactions ---------------------------------------------------------------------
    def start_transaction(self, session: Session, customer_id: int | None = None) -> Transaction:
        """Start a transaction: UUIDv7 id, receipt number from the register's sequence, mode
        of the switch — after the reconnect attempt the switch may ask for (DESIGN §3.2).

        Raises:
            Conflict: ``cart.open`` when a transaction is already open.
            NotFound: ``customer.not_found`` for an unknown ``customer_id``.
        """
        with self._lock:
            if self._cart is not None:
                raise Conflict(f"transaction {self._cart.receipt_number} is still open",
                               code="cart.open")
            self.source.transaction_starting()
            try:
                if customer_id is not None:
                    self.source.customer(customer_id)
                mode = TransactionMode.ONLINE if self.source.online else TransactionMode.OFFLINE
                now = self._clock.now()
                txn, record = self.carts.start_recorded(lambda seq: Transaction.start(
                    store_id=self.store_id, register_id=self.register_id,
                    register_number=self.register_number,
                    receipt_number=receipt_number(self.store_id, self.register_number, seq),
                    operator_id=session.operator.operator_id, now=now,
                    customer_id=customer_id, mode=mode))
            except BaseException:
                self.source.transaction_ended()
                raise
            self._set_cart(txn, record)
            return txn

    # -- finishing ---------------------------------------------------------------------------
    def complete(self, session: Session) -> Finished:
        """Complete the sale and commit it (module docstring, DESIGN §5).

        Raises:
            RuleViolation: ``transaction.empty``, ``transaction.unpaid``, ``tender.exceeds_due``;
                offline, ``giftcard.offline_conclusion_not_allowed`` (a card tender and the
                commerce parameter says no: void the tender first).
            Unavailable: the store server is gone and the register cannot switch (§3.5); the
                cart stays open.
            KassaError: the store server refused the record (4xx); the cart stays open.
        """
        with self._lock:
            cart = self._require_cart()
            if not self.source.online:
                self._check_offline_conclusion(cart)
            before = cart.to_record()
            cart.complete(self._clock.now())  # checks first: a refusal changes nothing
            return self._finish(cart, before)

    def void(self, session: Session) -> Finished:
        """Void the open transaction and commit it for the audit trail. Gift card / credit
        memo tenders are voided (and unlocked) first; other tenders must be voided by the
        cashier. Raises RuleViolation ``transaction.has_tenders``."""
        with self._lock:
            check_allowed(OpId.VOID_TRANSACTION, online=self.source.online)
            require(session.operator.role, Permission.VOID_TRANSACTION)
            cart = self._require_cart()
            self._void_card_tenders(cart)
            cart = self._require_cart()
            before = cart.to_record()
            cart.void(self._clock.now())
            return self._finish(cart, before)

    def _finish(self, done: Transaction, before: dict[str, Any]) -> Finished:
        """Commit the finished cart ``done``; on any error reopen it from ``before``."""
        try:
            record = done.to_record()
            if self.source.online:
                self.carts.save(record)  # commit in doubt until the store server answers
                try:
                    outcome = self.source.commit(record, done)
                except BaseException:
                    self.carts.save(before)
                    raise
            else:
                outcome = self.source.commit(record, done)  # offline: one atomic transaction
        except BaseException:
            self._set_cart(Transaction.from_record(before), before)
            raise
        self._set_cart(None)
        cards: tuple[CardRedemption, ...] = ()
        try:
            mode = TransactionMode.ONLINE if outcome.where == "store" else TransactionMode.OFFLINE
            if done.mode is not mode:
                done = Transaction.from_record(committed_in(record, mode))
            if outcome.where == "store":
                cards = self._redeem_cards(done)  # after the commit: kassa.pos.card_tenders
        finally:
            self.source.transaction_ended()
        settings = self._settings()
        receipt = render_receipt(done, settings.store_name, settings.receipt_header,
                                 settings.receipt_footer)
        self.last_finished = Finished(done, receipt, outcome, cards)
        return self.last_finished

    # -- operations ----------------------------------------------------------------------------
    def operations(self) -> list[dict[str, Any]]:
        """Operations with ``enabled``/``reason`` for the current mode (DESIGN §7)."""
        rows = availability_for_ui(self.source.online)
        for row in rows:
            if row["id"] == OpId.DATABASE_CONNECTION_STATUS:
                row["label"] = self.source.switch.button_label
        return rows

    def database_connection(self, session: Session, action: str | None) -> dict[str, Any]:
        """Operation 917: ``"disconnect"``, ``"connect"`` or ``None`` (the button: Disconnect
        when online, Connect when offline). Returns the switch status.

        Raises:
            InvalidInput: ``operation.bad_action``. Unavailable: ``switch.*`` (§3.4, §3.5).
        """
        require(session.operator.role, Permission.CONNECTION_STATUS)
        check_allowed(OpId.DATABASE_CONNECTION_STATUS, online=self.source.online)
        if action is None:
            action = "disconnect" if self.source.online else "connect"
        if action == "disconnect":
            return self.source.disconnect().to_dict()
        if action == "connect":
            return self.source.connect().to_dict()
        raise InvalidInput(f"action must be connect or disconnect (got {action!r})",
                           code="operation.bad_action")
