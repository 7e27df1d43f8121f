"""Race: the same card locked and redeemed concurrently from several registers, many rounds,
against a real HQ over HTTP on 127.0.0.1 — SQLite and PostgreSQL (DESIGN §6, issue 5
acceptance "never more than one holder, never a negative balance, total redeemed equals the
balance spent").

Each round, every register (its own thread and HTTP connection) starts a transaction and
locks the card at the same instant (a barrier): exactly one lock is granted while the card
has a balance. Then, again all at once, the holder redeems (or voids its tender, or tries to
over-tender first) while every other register tries to redeem for its own transaction —
which HQ allows only on an unlocked card (an offline-concluded sale's posting), so some of
those race the holder's redeem and may win. Whatever wins, the accounting must hold.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from kassa.domain.ids import new_id
from support.hq_world import STORE_A
from support.realtime_hq import RealtimeHq, bearer, realtime_hq

REGISTERS = 6
ROUNDS = 60
START_CENTS = 200_000


@pytest.fixture
def hq(db_url: str) -> Iterator[RealtimeHq]:
    with realtime_hq(db_url, registers_per_store=REGISTERS) as running:
        yield running


@dataclass
class Tally:
    """What the registers saw, shared by the threads (under ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    grants: dict[int, list[uuid.UUID]] = field(default_factory=dict)  # round → registers
    debits: list[int] = field(default_factory=list)  # cents of non-replayed redemptions
    refusals: dict[str, int] = field(default_factory=dict)
    balances: list[int] = field(default_factory=list)  # every balance_cents answered
    errors: list[str] = field(default_factory=list)

    def count(self, code: str) -> None:
        with self.lock:
            self.refusals[code] = self.refusals.get(code, 0) + 1


def _register(hq: RealtimeHq, number: str, n: int, barrier: threading.Barrier,
              tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    reg = hq.register(STORE_A, n)
    base = f"/api/realtime/gift_card/{number}"
    with httpx.Client(base_url=hq.url, timeout=60,
                      headers=bearer(hq.tokens[STORE_A])) as http:

        def redeem(tx: uuid.UUID, cents: int) -> httpx.Response:
            return http.post(f"{base}/redeem", json={
                "register_id": str(reg), "transaction_id": str(tx), "amount_cents": cents})

        for rnd in range(ROUNDS):
            tx = new_id()
            barrier.wait()
            r = http.post(f"{base}/lock", json={"register_id": str(reg),
                                                "transaction_id": str(tx)})
            held = r.status_code == 200
            if held:
                with tally.lock:
                    tally.grants.setdefault(rnd, []).append(reg)
                    tally.balances.append(r.json()["balance_cents"])
            else:
                tally.count(r.json()["error"]["code"])
            barrier.wait()  # every lock of this round answered
            balance = r.json()["balance_cents"] if held else 0
            if held and rng.random() < 0.15:
                over = redeem(tx, balance + 1)  # over-tender: refused, nothing changes
                tally.count(over.json()["error"]["code"])
            if held and rng.random() < 0.2:
                u = http.post(f"{base}/unlock", json={"register_id": str(reg),
                                                      "transaction_id": str(tx)})
                if u.status_code != 200 or u.json()["released"] is not True:
                    tally.errors.append(f"unlock by the holder failed: {u.text}")
                continue
            cents = rng.randint(1, max(1, min(balance, 2_000))) if held else rng.randint(1, 300)
            answer = redeem(tx, cents)
            if answer.status_code == 200:
                again = redeem(tx, cents)  # the retry of a lost answer: no second debit
                if again.json().get("replayed") is not True:
                    tally.errors.append(f"second redeem was not a replay: {again.text}")
                with tally.lock:
                    tally.debits.append(cents)
                    tally.balances.append(answer.json()["balance_cents"])
            else:
                tally.count(answer.json()["error"]["code"])
                if held:  # a holder's redeem within its balance must not fail
                    tally.errors.append(f"holder redeem refused: {answer.text}")


def test_concurrent_registers_never_share_a_card_or_overdraw_it(hq: RealtimeHq) -> None:
    # given one card with 2,000.00 and six registers of store 367, each its own thread
    number = hq.issue(START_CENTS)
    tally, barrier = Tally(), threading.Barrier(REGISTERS, timeout=120)
    threads = [threading.Thread(target=_register, args=(hq, number, n, barrier, tally, n))
               for n in range(1, REGISTERS + 1)]
    started = time.monotonic()
    # when they all lock and redeem the card at the same instants, round after round
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    elapsed = time.monotonic() - started
    assert not any(t.is_alive() for t in threads)
    # then no request went wrong
    assert tally.errors == []
    # and every round with a balance left granted exactly one lock: never two holders
    final = hq.balance(number)
    for rnd in range(ROUNDS):
        assert len(tally.grants.get(rnd, [])) <= 1, (rnd, tally.grants[rnd])
    rounds_with_holder = len(tally.grants)
    assert rounds_with_holder == ROUNDS or final == 0
    # and no balance ever answered (nor the final one) was negative
    assert min(tally.balances) >= 0 and final >= 0
    # and total redeemed equals the balance spent, in HQ's ledger too
    assert sum(tally.debits) == START_CENTS - final == sum(hq.ledger(number))
    # and the losers were told the card is locked; over-tenders were refused
    assert tally.refusals.get("giftcard.locked", 0) >= rounds_with_holder * (REGISTERS - 1)
    print(f"\nrace [{hq.world.engine.dialect.name}]: {REGISTERS} registers × {ROUNDS} rounds, "
          f"{rounds_with_holder} holders, {len(tally.debits)} debits = "
          f"{sum(tally.debits)} cents, refusals {tally.refusals}, {elapsed:.1f} s")
