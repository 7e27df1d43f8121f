"""A commit in doubt keeps its place in the tamper-evident journal (issue 8 §4; DESIGN §5).

Rule source: DESIGN §5 — "if the commit's answer does not arrive in time, the transaction is
saved offline and uploaded later"; issue 8 §4 — online commits advance the chain too. The
store server commits the sale (mode ``online``), the answer is lost, the register commits it
offline (mode ``offline``) and uploads it: the entry is the same (``mode`` is outside the
hash), so the duplicate and the sales after it verify without a break. Real store server
behind a fault proxy, real register (tests/pos/world.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from kassa.db import channel_schema as cs
from kassa.pos.journal import verify_rows
from kassa.store import journal
from pos.world import PASSWORDS, store_world


@pytest.mark.parametrize("how", ["cut", "late"])
def test_a_lost_commit_answer_leaves_the_chain_unbroken(data_dir: Path, how: str) -> None:
    with store_world(data_dir) as world:
        reg = world.register(timeout_s=0.5)
        pos = reg.engine
        cashier = pos.sign_in("1003", PASSWORDS["1003"])
        # given a sale whose commit reaches the store server but whose answer is lost
        txn = pos.start_transaction(cashier)
        pos.add_line(cashier, product_id=1001)
        pos.add_tender(cashier, "cash", 500)
        if how == "cut":
            world.proxy.cut(after_bytes=10)
        else:
            world.proxy.slow(1.5)
        assert pos.complete(cashier).outcome.where == "offline"
        world.proxy.pass_through()
        # and one more sale offline after it
        pos.start_transaction(cashier)
        pos.add_line(cashier, product_id=1001)
        pos.add_tender(cashier, "cash", 500)
        pos.complete(cashier)
        # when both are uploaded
        attempt = reg.sync.upload_now()
        assert attempt.result == "ok" and attempt.count == 2
        # then the register's chain and the store's copy agree, with no break
        assert verify_rows(reg.offline_db, reg.identity.register_id) == []
        t = cs.transactions.c
        with world.channel.connect() as conn:
            stored = conn.execute(select(t.mode, t.hash).where(t.id == txn.id)).one()
            breaks = journal.breaks_of(conn, reg.identity.register_id)
        assert stored.mode == "online" and stored.hash is not None
        assert breaks == []
