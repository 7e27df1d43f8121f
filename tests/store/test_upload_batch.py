"""Upload batches at full size (DESIGN §5; issue 4 §4 and its throughput acceptance): what the
bulk path of :func:`kassa.store.transactions.upload` writes, idempotence of a whole batch,
and one clashing record in a batch. Real SQLite and PostgreSQL channel DBs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select

from kassa.db import channel_schema as cs
from kassa.db.migrate import prepare_database
from kassa.domain.journal import JournalEntry, genesis, with_entry
from kassa.domain.transaction import Transaction
from kassa.store import journal, transactions
from kassa.store.channel import RegisterIdentity
from support.package_factory import STORE
from support.posting_baskets import REGISTER_IDS, random_records
from support.store_world import StoreServer, sale_record

NOW = datetime(2017, 12, 31, 12, tzinfo=UTC)
REGISTER = RegisterIdentity(REGISTER_IDS[1], STORE, 1, "Register 1", True)


def _chained(records: list[dict[str, Any]], register_id: Any) -> list[dict[str, Any]]:
    out, head = [], genesis(register_id)
    for record in records:
        entry = JournalEntry.make(head, record)
        out.append(with_entry(record, entry))
        head = entry.hash
    return out


def _raw(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row of the three tables as the driver returns it (no type processing),
    without the DB-assigned ``seq``, in key order."""
    order = {"transactions": "id", "transaction_lines": "transaction_id, line_no",
             "transaction_tenders": "id"}
    out = {}
    with engine.connect() as conn:
        for table, key in order.items():
            result = conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY {key}")
            keep = [i for i, name in enumerate(result.keys()) if name != "seq"]
            out[table] = [tuple(row[i] for i in keep) for row in result]
    return out


def test_an_upload_stores_exactly_the_rows_sqlalchemy_core_would(db_url: str) -> None:
    # given 60 varied baskets (returns, overrides, voided lines, cards, customers), chained
    records = _chained(random_records(60, seed=7, store_id=STORE, registers=1), REGISTER.id)
    engine = prepare_database(db_url, "channel")
    try:
        # and the rows of rows_of (+ the journal columns) written by plain SQLAlchemy Core
        with engine.begin() as conn:
            rows = [transactions.rows_of(Transaction.from_record(r), NOW) for r in records]
            for (head, _, _), record in zip(rows, records, strict=True):
                head.update(journal.columns(record))
            conn.execute(cs.transactions.insert(), [r[0] for r in rows])
            conn.execute(cs.transaction_lines.insert(), [ln for r in rows for ln in r[1]])
            conn.execute(cs.transaction_tenders.insert(), [t for r in rows for t in r[2]])
        expected = _raw(engine)
        with engine.begin() as conn:
            for table in (cs.transaction_lines, cs.transaction_tenders, cs.transactions):
                conn.execute(delete(table))
        # when the same records are uploaded as one batch
        answer = transactions.upload(engine, REGISTER, records, NOW)
        # then every one is acknowledged and the stored values are the same, byte for byte
        assert answer == {"acknowledged": [r["id"] for r in records], "rejected": []}
        assert _raw(engine) == expected
        assert sum(len(r[1]) for r in rows) == len(expected["transaction_lines"]) > 60
    finally:
        engine.dispose()


def test_a_full_batch_sent_again_inserts_nothing_twice(store: StoreServer) -> None:
    # given a batch of 100 chained sales, uploaded once
    batch = _chained([sale_record(store.register_id, n) for n in range(1, 101)],
                     store.register_id)
    first = store.client.post("/api/uploads", json={"transactions": batch},
                              headers=store.auth())
    # when the register sends the very same batch again (its acknowledgement was lost)
    again = store.client.post("/api/uploads", json={"transactions": batch},
                              headers=store.auth())
    # then the same ids are acknowledged, each transaction is stored once, nothing flagged
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["acknowledged"] == [r["id"] for r in batch]
    assert [store.count(t) for t in ("transactions", "transaction_lines",
                                     "transaction_tenders")] == [100, 100, 100]
    with store.engine.connect() as conn:
        assert journal.breaks_of(conn, store.register_id) == []


def test_one_clashing_record_is_rejected_and_the_rest_of_the_batch_stored(
        store: StoreServer) -> None:
    # given a stored sale, and a batch whose middle record reuses that sale's tender id
    stored = sale_record(store.register_id, 1)
    store.client.post("/api/transactions", json=stored, headers=store.auth())
    batch = [sale_record(store.register_id, n) for n in range(2, 7)]
    batch[2]["tenders"][0]["id"] = stored["tenders"][0]["id"]
    # when the batch is uploaded
    answer = store.client.post("/api/uploads", json={"transactions": batch},
                               headers=store.auth())
    # then only that record is rejected, as a conflict, and nothing of it is written
    assert answer.status_code == 200
    body = answer.json()
    assert body["acknowledged"] == [r["id"] for i, r in enumerate(batch) if i != 2]
    assert [(r["id"], r["error"]["code"]) for r in body["rejected"]] == [
        (batch[2]["id"], "transaction.conflict")]
    assert [store.count(t) for t in ("transactions", "transaction_lines",
                                     "transaction_tenders")] == [5, 5, 5]


def test_records_not_in_normal_form_are_stored_normalised_with_their_journal_hash(
        db_url: str) -> None:
    # given chained baskets sent as other senders may write them: a float amount, an extra
    # key, an upper-case id, a time with an offset (the hash covers what was sent)
    records = random_records(4, seed=11, store_id=STORE, registers=1)
    records[0]["lines"][0]["gross_cents"] = float(records[0]["lines"][0]["gross_cents"])
    records[1]["note"] = "from another client"
    records[2]["id"] = records[2]["id"].upper()
    records[3]["started_at"] = records[3]["started_at"].replace("Z", "+00:00")
    records = _chained(records, REGISTER.id)
    engine = prepare_database(db_url, "channel")
    try:
        # when they are uploaded
        answer = transactions.upload(engine, REGISTER, records, NOW)
        # then all are stored, the chain is whole, and each stored text is the domain's
        # record in json's canonical text
        assert len(answer["acknowledged"]) == 4 and answer["rejected"] == []
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(cs.journal_breaks)
                                ).scalar_one() == 0
            stored = dict(conn.execute(select(cs.transactions.c.id, cs.transactions.c.record)
                                       ).all())
        for record in records:
            txn = Transaction.from_record(record)
            assert stored[txn.id] == json.dumps(txn.to_record(), sort_keys=True,
                                                separators=(",", ":"))
    finally:
        engine.dispose()
