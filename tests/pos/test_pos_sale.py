"""Sales through the POS engine against a real store server and a real offline DB
(DESIGN §2, §5; issue 4 §2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from kassa.db import offline_schema as s
from kassa.domain.errors import NotAllowed, NotAuthenticated
from pos.world import PASSWORDS, barcode, store_world


def test_a_sale_online_is_committed_to_the_channel_db_once(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        # given a signed-in cashier on an online register whose offline DB is ready
        reg = world.register()
        pos = reg.engine
        cashier = pos.sign_in("1003", PASSWORDS["1003"])
        # when she sells two milks and a shampoo, paid cash
        txn = pos.start_transaction(cashier)
        pos.add_line(cashier, barcode=barcode(1001), quantity="2")
        pos.add_line(cashier, product_id=1002)
        pos.add_tender(cashier, "cash", 2000)
        done = pos.complete(cashier)
        # then the store server has it, once, with the register's totals
        assert done.outcome.where == "store" and done.outcome.result == "committed"
        assert world.channel_rows(txn.id) == 1
        totals = done.transaction.totals
        assert (str(totals.subtotal), str(totals.tax_total), str(totals.total),
                str(totals.change_due)) == ("12.97", "0.37", "13.34", "6.66")
        assert txn.receipt_number == "367-1-000001" and txn.mode == "online"
        assert any("TOTAL" in line and "$13.34" in line for line in done.receipt)
        # and the register keeps a journal copy but nothing waits for upload
        with reg.offline_db.connect() as conn:
            assert conn.execute(select(s.transactions.c.id)).scalars().all() == [txn.id]
            assert conn.execute(select(s.upload_queue)).all() == []
            assert conn.execute(select(s.current_cart)).all() == []


def test_receipt_numbers_follow_the_registers_own_sequence(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        reg = world.register()
        cashier = reg.engine.sign_in("1003", PASSWORDS["1003"])
        numbers = []
        for _ in range(3):
            txn = reg.engine.start_transaction(cashier)
            numbers.append(txn.receipt_number)
            reg.engine.void(cashier)
        assert numbers == ["367-1-000001", "367-1-000002", "367-1-000003"]


def test_sign_in_with_a_wrong_password_is_refused_online_and_offline(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        reg = world.register()
        with pytest.raises(NotAuthenticated):
            reg.engine.sign_in("1003", "wrong")
        world.proxy.refuse()
        with pytest.raises(NotAuthenticated):
            reg.engine.sign_in("1003", "wrong")
        # the refused connection switched the register; the offline DB's hash checks it
        assert not reg.source.online
        assert reg.engine.sign_in("1003", PASSWORDS["1003"]).operator.name == "Cass Hier"


def test_a_cashier_cannot_override_a_price_but_a_supervisor_can(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        reg = world.register()
        cashier = reg.engine.sign_in("1003", PASSWORDS["1003"])
        boss = reg.engine.sign_in("1002", PASSWORDS["1002"])
        reg.engine.start_transaction(cashier)
        line = reg.engine.add_line(cashier, product_id=1001)
        before = reg.engine.carts.load()
        with pytest.raises(NotAllowed):
            reg.engine.change_line(cashier, line.id, {"price_cents": 100})
        assert reg.engine.carts.load() == before  # nothing changed on disk
        changed = reg.engine.change_line(boss, line.id, {"price_cents": 299,
                                                          "discount_cents": 50})
        assert str(changed.net) == "2.49"
        stored = reg.engine.carts.load()
        assert stored is not None and stored["lines"][0]["price_override_cents"] == 299
        assert json.dumps(stored)  # JSON-able
