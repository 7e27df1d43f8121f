"""Real-looking finished transactions for posting tests and the posting benchmark.

Every basket is built through the domain aggregate (:class:`kassa.domain.transaction.
Transaction`): lines with shelf prices, loyalty discounts, price overrides, weighed goods,
the two tax groups, returns, voided lines, cash with change or card, so the records are
exactly what registers send. A seeded RNG makes them reproducible.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from kassa.domain.ids import new_id
from kassa.domain.money import from_cents
from kassa.domain.receipt import receipt_number
from kassa.domain.tax import FOOD, STANDARD
from kassa.domain.tender import TenderType
from kassa.domain.transaction import Transaction, TransactionMode

T0 = datetime(2017, 3, 1, 9, 0, tzinfo=UTC)
REGISTER_IDS = {n: uuid.UUID(f"00000000-0000-7000-8000-{n:012d}") for n in range(1, 10)}


def basket(
    *,
    store_id: int = 367,
    register_number: int = 1,
    seq: int = 1,
    at: datetime = T0,
    lines: list[tuple[int, int, str]] | None = None,
    discount_cents: int = 0,
    mode: TransactionMode | str = TransactionMode.ONLINE,
    tender: str = "cash",
    cash_cents: int | None = None,
    customer_id: int | None = None,
) -> Transaction:
    """A completed transaction with ``lines`` of ``(product_id, price_cents, quantity)``
    (default one 2.50 FOOD line), ``discount_cents`` on the first line, paid by ``tender``
    (cash of ``cash_cents`` or exactly the total, or card for the total)."""
    txn = Transaction.start(
        store_id=store_id, register_id=REGISTER_IDS[register_number],
        register_number=register_number,
        receipt_number=receipt_number(store_id, register_number, seq), operator_id="op1",
        now=at, mode=mode, customer_id=customer_id)
    for i, (product_id, cents, qty) in enumerate(lines or [(1001, 250, "1")]):
        group = FOOD if i % 2 == 0 else STANDARD
        line = txn.add_line(product_id, f"Product {product_id}", "", from_cents(cents),
                            Decimal(qty), group)
        if i == 0 and discount_cents:
            txn.discount_line(line.id, from_cents(discount_cents), "supervisor")
    due = txn.amount_due
    if tender == "cash":
        txn.add_tender(TenderType.CASH, due if cash_cents is None else from_cents(cash_cents))
    else:
        txn.add_tender(TenderType.CARD, due, reference="**** 4242")
    txn.complete(at + timedelta(minutes=2))
    return txn


def random_basket(rng: random.Random, *, store_id: int, register_number: int, seq: int,
                  at: datetime) -> Transaction:
    """One realistic basket: 1-25 lines (weighed goods, loyalty discounts, an occasional
    price override, voided line or return), online or offline, cash (rounded up to the
    next dollar, with change) or card."""
    mode = TransactionMode.OFFLINE if rng.random() < 0.2 else TransactionMode.ONLINE
    customer = rng.randrange(1, 2500) if rng.random() < 0.6 else None
    txn = Transaction.start(
        store_id=store_id, register_id=REGISTER_IDS[register_number],
        register_number=register_number,
        receipt_number=receipt_number(store_id, register_number, seq), operator_id="op1",
        now=at, mode=mode, customer_id=customer)
    for _ in range(rng.choice((1, 2, 3, 5, 8, 10, 12, 15, 20, 25))):
        weighed = rng.random() < 0.1
        qty = Decimal(rng.randrange(100, 3000)) / 1000 if weighed else Decimal(
            rng.choice((1, 1, 1, 1, 2, 3)))
        price = from_cents(rng.randrange(19, 1999))
        group = FOOD if rng.random() < 0.7 else STANDARD
        line = txn.add_line(rng.randrange(25000, 18_000_000), "Product", "", price, qty, group)
        if rng.random() < 0.03:
            txn.override_price(line.id, price - from_cents(10) if price > 1 else price,
                               "supervisor")
        if rng.random() < 0.3:
            gross = abs(txn.line(line.id).gross)
            off = min(gross, from_cents(rng.randrange(1, 150)))
            if off > 0:
                txn.discount_line(line.id, off, "supervisor")
        if rng.random() < 0.02 and len(txn.active_lines) > 1:
            txn.void_line(line.id)
    if rng.random() < 0.02:
        txn.add_line(rng.randrange(25000, 18_000_000), "Returned", "", from_cents(99),
                     Decimal(1), FOOD, is_return=True, role="supervisor")
    due = txn.amount_due
    if due <= 0:
        txn.add_line(1001, "Bag", "", from_cents(10) - due, Decimal(1), STANDARD)
        due = txn.amount_due
    if rng.random() < 0.5:
        cash = (due + Decimal("0.99")).quantize(Decimal(1))
        txn.add_tender(TenderType.CASH, cash)
    else:
        txn.add_tender(TenderType.CARD, due, reference="**** 1111")
    txn.complete(at + timedelta(seconds=rng.randrange(30, 600)))
    return txn


def random_records(n: int, *, seed: int = 7, store_id: int = 367, registers: int = 4,
                   start: datetime = T0) -> list[dict[str, Any]]:
    """``n`` realistic basket records of one store spread over ``registers`` and days."""
    rng = random.Random(seed)
    seqs = dict.fromkeys(range(1, registers + 1), 0)
    out = []
    for i in range(n):
        register = rng.randrange(1, registers + 1)
        seqs[register] += 1
        at = start + timedelta(minutes=7 * i)
        out.append(random_basket(rng, store_id=store_id, register_number=register,
                                 seq=seqs[register], at=at).to_record())
    return out


def fresh_id() -> str:
    """A new UUIDv7 as text."""
    return str(new_id())
