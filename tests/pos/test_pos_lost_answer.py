"""The online commit whose answer is lost (DESIGN §5): stored offline, uploaded later, and
exactly one row at the store server."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kassa.db import offline_schema as s
from pos.world import PASSWORDS, StoreWorld, store_world


def _lose_the_commit_answer(world: StoreWorld, how: str) -> None:
    if how == "cut":
        world.proxy.cut(after_bytes=10)  # the request goes through, the answer breaks
    else:
        world.proxy.slow(1.5)  # the request goes through, the answer comes too late (0.5 s)


@pytest.mark.parametrize("how", ["cut", "late"])
def test_a_lost_commit_answer_is_stored_offline_and_uploaded_without_a_duplicate(
    data_dir: Path, how: str
) -> None:
    with store_world(data_dir) as world:
        reg = world.register(timeout_s=0.5)
        pos = reg.engine
        cashier = pos.sign_in("1003", PASSWORDS["1003"])
        txn = pos.start_transaction(cashier)
        pos.add_line(cashier, product_id=1001)
        pos.add_tender(cashier, "cash", 500)

        # when the store server commits but its answer does not reach the register
        _lose_the_commit_answer(world, how)
        done = pos.complete(cashier)

        # then the register switched and stored the sale offline, pending upload
        assert done.outcome.where == "offline"
        assert reg.switch.status().mode == "offline"
        assert world.channel_rows(txn.id) == 1  # the server did commit it
        with reg.offline_db.connect() as conn:
            state = conn.execute(select(s.upload_queue.c.state)).scalars().all()
        assert state == ["pending"]

        # when the network is back, the upload is acknowledged as a duplicate
        world.proxy.pass_through()
        attempt = reg.sync.upload_now()
        assert attempt.result == "ok" and attempt.count == 1
        assert world.channel_rows(txn.id) == 1 and world.channel_count() == 1
        with reg.offline_db.connect() as conn:
            state = conn.execute(select(s.upload_queue.c.state)).scalars().all()
        assert state == ["uploaded"]


def test_a_commit_refused_by_the_store_server_keeps_the_cart_open(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        reg = world.register()
        pos = reg.engine
        cashier = pos.sign_in("1003", PASSWORDS["1003"])
        txn = pos.start_transaction(cashier)
        pos.add_line(cashier, product_id=1001)
        pos.add_tender(cashier, "cash", 500)
        # given another register's record already holds one of this cart's line ids
        # (a 4xx from the store server: an answer, never a switch)
        other = world.register(2)
        other_cashier = other.engine.sign_in("1003", PASSWORDS["1003"])
        other_txn = other.engine.start_transaction(other_cashier)
        record: dict[str, Any] = txn.to_record()
        clash = dict(record, id=str(uuid.uuid4()), register_id=str(other.identity.register_id),
                     register_number=2, receipt_number=other_txn.receipt_number,
                     status="completed", completed_at=record["started_at"])
        answer = other.source.store.http.request("POST", "/api/transactions", json_body=clash)
        assert answer.json()["result"] == "committed"
        # when the cashier completes
        with pytest.raises(Exception) as caught:
            pos.complete(cashier)
        # then the refusal is shown, the register stays online and the cart is still open
        assert getattr(caught.value, "code", "") == "transaction.conflict"
        assert reg.switch.status().mode == "online"
        assert pos.cart is not None and pos.cart.is_open
        stored = pos.carts.load()
        assert stored is not None and stored["status"] == "open"
