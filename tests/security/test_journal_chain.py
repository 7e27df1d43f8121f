"""The tamper-evident offline journal end to end: register → store server → HQ (issue 8 §4).

Rule source: issue 8 §4 — "each offline transaction carries the hash of the previous one on
that register (a chain seeded by the store server while online); the store server verifies
the chain on upload and flags breaks at HQ. Test: editing a stored offline transaction is
detected." A break never costs the sale (DESIGN §5). Real HQ, store server and register
processes' apps on 127.0.0.1; the offline DB is edited with ``sqlite3`` directly.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kassa.db import channel_schema as cs
from kassa.domain.journal import genesis
from kassa.domain.transaction import Transaction
from kassa.pos.journal import verify_rows
from kassa.store import journal
from support.secure_chain import SecureChain, secure_chain


@pytest.fixture
def chain(data_dir: Path) -> Iterator[SecureChain]:
    with secure_chain(data_dir) as built:
        yield built


def _offline_sales(chain: SecureChain, count: int) -> list[dict[str, Any]]:
    """One online sale (it seeds the chain at the store), then ``count`` offline sales."""
    session = chain.sign_in()
    chain.sale(session)
    chain.operation_917(session, "disconnect")
    return [chain.sale(session, quantity=n + 1) for n in range(count)]


def _channel_row(chain: SecureChain, tid: str) -> Any:
    t = cs.transactions.c
    with chain.channel.connect() as conn:
        return conn.execute(select(t.record, t.prev_hash, t.hash).where(
            t.id == uuid.UUID(tid))).first()


def _breaks(chain: SecureChain) -> list[dict[str, Any]]:
    with chain.channel.connect() as conn:
        return journal.breaks_of(conn, chain.register_id)


def _edit_amount(chain: SecureChain, tid: str) -> int:
    """Pay the stored offline sale ``tid`` with 50.00 more cash by rewriting its JSON with
    sqlite3 (a consistent record: totals recomputed, the change due grows); the new paid
    cents."""
    db = chain.offline_db()
    try:
        (text,) = db.execute("SELECT record FROM transactions WHERE id = ?",
                             (uuid.UUID(tid).hex,)).fetchone()
        record = json.loads(text)
        record["tenders"][0]["amount_cents"] += 5000
        del record["totals"]  # derived: recomputed from the edited tender
        edited = Transaction.from_record(record).to_record()
        db.execute("UPDATE transactions SET record = ? WHERE id = ?",
                   (json.dumps(edited, sort_keys=True, separators=(",", ":")),
                    uuid.UUID(tid).hex))
        db.commit()
        return int(edited["totals"]["paid_cents"])
    finally:
        db.close()


def _delete(chain: SecureChain, tid: str) -> None:
    """Remove a stored offline sale from the offline DB with sqlite3 (queue row, tenders,
    lines and the transaction)."""
    db = chain.offline_db()
    try:
        gone = uuid.UUID(tid).hex
        for table, column in (("upload_queue", "transaction_id"),
                              ("transaction_tenders", "transaction_id"),
                              ("transaction_lines", "transaction_id"), ("transactions", "id")):
            db.execute(f"DELETE FROM {table} WHERE {column} = ?", (gone,))
        db.commit()
    finally:
        db.close()


def test_an_untouched_chain_verifies_at_the_register_the_store_and_hq(chain: SecureChain) -> None:
    # given one online and three offline sales, chained in the register's offline DB
    sales = _offline_sales(chain, 3)
    assert verify_rows(chain.runtime.offline_db, chain.register_id) == []
    # when they are uploaded and the store server reports to HQ
    chain.upload()
    chain.report_to_hq()
    # then every sale is at the store with its entry, no break anywhere
    for sale in sales:
        row = _channel_row(chain, sale["id"])
        assert row is not None and row.hash is not None
    assert _breaks(chain) == []
    assert chain.journal_break_at_hq() is None
    # and the store's head for the register is the register's newest hash (the seed a
    # register with a fresh offline DB chains on from)
    me = chain.store.get("/api/me", headers={"Authorization":
                                             f"Bearer {chain.identity.device_token}"})
    assert me.json()["journal"] == {"head": _channel_row(chain, sales[-1]["id"]).hash,
                                    "entries": 4}


def test_the_first_entry_follows_the_registers_genesis(chain: SecureChain) -> None:
    # given a fresh register
    session = chain.sign_in()
    # when it commits its first sale online
    sale = chain.sale(session)
    # then the store has it chained to the register's genesis, verified
    row = _channel_row(chain, sale["id"])
    assert row.prev_hash == genesis(chain.register_id)
    assert _breaks(chain) == []


def test_an_offline_sale_edited_before_upload_is_accepted_and_flagged_at_hq(
        chain: SecureChain) -> None:
    # given three offline sales, the middle one edited in the offline DB (more cash paid)
    sales = _offline_sales(chain, 3)
    paid = _edit_amount(chain, sales[1]["id"])
    assert [p.reason for p in verify_rows(chain.runtime.offline_db, chain.register_id)] == [
        "journal.hash_mismatch"]
    # when the register uploads and the store server reports to HQ
    chain.upload()
    chain.report_to_hq()
    # then the sale is not lost: the store has the edited record
    row = _channel_row(chain, sales[1]["id"])
    assert json.loads(row.record)["totals"]["paid_cents"] == paid
    # and the store flagged exactly that transaction
    found = _breaks(chain)
    assert [(b["transaction_id"], b["reason"], b["state"]) for b in found] == [
        (uuid.UUID(sales[1]["id"]), "journal.hash_mismatch", "confirmed")]
    # and HQ shows the break on the register's offline entity
    flag = chain.journal_break_at_hq()
    assert flag is not None
    assert "journal.hash_mismatch" in flag and sales[1]["id"] in flag and flag.startswith("1 ")


def test_a_sale_deleted_from_the_middle_of_the_chain_is_flagged_at_hq(chain: SecureChain) -> None:
    # given three offline sales, the middle one deleted from the offline DB
    sales = _offline_sales(chain, 3)
    _delete(chain, sales[1]["id"])
    # when the register uploads and the store server reports to HQ
    chain.upload()
    chain.report_to_hq()
    # then the other two sales are at the store, the one after the gap flagged
    assert _channel_row(chain, sales[0]["id"]) is not None
    assert _channel_row(chain, sales[2]["id"]) is not None
    found = _breaks(chain)
    assert [(b["transaction_id"], b["reason"]) for b in found] == [
        (uuid.UUID(sales[2]["id"]), "journal.missing_predecessor")]
    flag = chain.journal_break_at_hq()
    assert flag is not None and "journal.missing_predecessor" in flag and sales[2]["id"] in flag


def test_an_online_sale_after_a_deleted_pending_one_is_confirmed_when_uploads_are_done(
        chain: SecureChain) -> None:
    # given two offline sales, the register online again and a third sale committed online
    # before the upload (its predecessor is still in the register's queue)
    sales = _offline_sales(chain, 2)
    session = chain.sign_in()
    chain.operation_917(session, "connect")
    online = chain.sale(session)
    with chain.channel.connect() as conn:
        assert [b["state"] for b in journal.breaks_of(conn, chain.register_id)] == ["pending"]
    # when the second offline sale is deleted, the rest uploaded and the status reported
    _delete(chain, sales[1]["id"])
    chain.upload()
    chain.report_to_hq()
    # then the online sale's missing predecessor is a confirmed break, flagged at HQ
    found = _breaks(chain)
    assert [(b["transaction_id"], b["reason"], b["state"]) for b in found] == [
        (uuid.UUID(online["id"]), "journal.missing_predecessor", "confirmed")]
    flag = chain.journal_break_at_hq()
    assert flag is not None and online["id"] in flag


def test_pending_uploads_arriving_late_resolve_the_online_sale_that_waited(
        chain: SecureChain) -> None:
    # given offline sales not yet uploaded and an online sale after them
    _offline_sales(chain, 2)
    session = chain.sign_in()
    chain.operation_917(session, "connect")
    chain.sale(session)
    # when the offline sales are uploaded
    chain.upload()
    chain.report_to_hq()
    # then nothing is flagged
    assert _breaks(chain) == []
    assert chain.journal_break_at_hq() is None
