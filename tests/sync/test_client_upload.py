"""The async sync client's upload: batches, acknowledgements, exactly once (DESIGN §5)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from kassa.db import channel_schema, offline_schema
from kassa.domain.errors import Conflict
from kassa.pos.runtime import RegisterRuntime
from pos.world import PASSWORDS, StoreWorld, store_world


def sell_offline(reg: RegisterRuntime, count: int) -> list[str]:
    """Disconnect (917) and sell ``count`` milks, one per transaction; the receipt numbers."""
    pos = reg.engine
    cashier = pos.sign_in("1003", PASSWORDS["1003"])
    if reg.source.online:
        pos.database_connection(cashier, "disconnect")
    numbers = []
    for _ in range(count):
        txn = pos.start_transaction(cashier)
        pos.add_line(cashier, product_id=1001)
        pos.add_tender(cashier, "cash", 349)
        assert pos.complete(cashier).outcome.where == "offline"
        numbers.append(txn.receipt_number)
    return numbers


def queue_states(reg: RegisterRuntime) -> list[str]:
    q = offline_schema.upload_queue
    with reg.offline_db.connect() as conn:
        return list(conn.execute(select(q.c.state).order_by(q.c.queued_at)).scalars())


def channel_receipts(world: StoreWorld) -> list[str]:
    t = channel_schema.transactions
    with world.channel.connect() as conn:
        return sorted(conn.execute(select(t.c.receipt_number)).scalars())


def test_pending_transactions_go_up_in_batches_and_are_marked_once_acknowledged(
    data_dir: Path,
) -> None:
    with store_world(data_dir) as world:
        reg = world.register(upload_batch_size=2)
        numbers = sell_offline(reg, 5)
        assert queue_states(reg) == ["pending"] * 5
        attempt = reg.sync.upload_now()
        assert (attempt.result, attempt.count, attempt.error) == ("ok", 5, None)
        assert world.requests["POST /api/uploads"] == 3  # 2 + 2 + 1
        assert queue_states(reg) == ["uploaded"] * 5
        assert channel_receipts(world) == sorted(numbers)
        # the store server heard the register's status: nothing pending any more
        status = world.channel.connect().execute(
            select(channel_schema.register_status)).mappings().one()
        assert status["pending_uploads"] == 0 and status["mode"] == "offline (manual)"


def test_an_upload_acknowledged_but_never_marked_is_not_duplicated(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        reg = world.register(upload_batch_size=10)
        numbers = sell_offline(reg, 3)
        # given the store server committed the batch but the register crashed before
        # marking it (the batch is sent exactly as the uploader sends it; nothing marked)
        batch = reg.sync.uploader._batch(10, set())
        acked, rejected = reg.sync.uploader.send(batch)
        assert len(acked) == 3 and not rejected
        assert queue_states(reg) == ["pending"] * 3
        # when the sync client runs again
        attempt = reg.sync.upload_now()
        # then the duplicates are acknowledged and marked, and the store has each sale once
        assert attempt.count == 3
        assert queue_states(reg) == ["uploaded"] * 3
        assert channel_receipts(world) == sorted(numbers)


def test_an_upload_whose_answer_is_lost_is_sent_again_without_duplicates(
    data_dir: Path,
) -> None:
    with store_world(data_dir) as world:
        reg = world.register()
        numbers = sell_offline(reg, 2)
        world.proxy.cut(after_bytes=20)  # the server commits, the answer breaks
        attempt = reg.sync.upload_now()
        assert attempt.result == "error" and "reset" in (attempt.error or "")
        assert queue_states(reg) == ["pending"] * 2
        assert channel_receipts(world) == sorted(numbers)  # committed at the store
        world.proxy.pass_through()
        assert reg.sync.upload_now().count == 2
        assert queue_states(reg) == ["uploaded"] * 2
        assert channel_receipts(world) == sorted(numbers)
        last = reg.status()["connection"]["last_upload"]
        assert last["result"] == "ok" and last["count"] == 2


def test_the_background_sync_uploads_after_the_first_sign_in(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        reg = world.register(background=True, upload_interval_s=0.2)
        assert not reg.sync.running  # nothing before the first sign-in
        numbers = sell_offline(reg, 1)
        assert reg.sync.running
        deadline = time.monotonic() + 10
        while queue_states(reg) != ["uploaded"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert queue_states(reg) == ["uploaded"]
        assert channel_receipts(world) == numbers
        status = reg.status()["connection"]
        assert status["pending_uploads"] == 0 and status["oldest_pending_age_s"] is None


def test_a_paused_sync_uploads_nothing(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        world.register().close()  # the offline DB got its snapshot before the pause
        reg = world.register(background=True, upload_interval_s=0.2, pause_offline_sync=True,
                             sync=False)
        sell_offline(reg, 1)
        time.sleep(0.6)
        assert queue_states(reg) == ["pending"]
        assert world.requests["POST /api/uploads"] == 0
        status = reg.status()["connection"]
        assert status["sync_paused"] is True and status["pending_uploads"] == 1
        assert status["oldest_pending_age_s"] is not None
        with pytest.raises(Conflict) as caught:
            reg.sync.upload_now()
        assert caught.value.code == "sync.paused"
