"""Finished transactions in the channel/offline DB: idempotent insert by id, and the
``seq`` cursor of HQ's pull strictly increasing in commit order (DESIGN §5)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from kassa.config import sqlite_url
from kassa.db import channel_schema, offline_schema
from kassa.db.channel_schema import transaction_lines, transactions
from kassa.db.engine import make_engine
from kassa.db.migrate import prepare_database
from kassa.db.upsert import insert_ignore
from kassa.domain.ids import new_id

T0 = datetime(2017, 6, 1, 9, 0, tzinfo=UTC)


def tx_row(tx_id: uuid.UUID | None = None, **over: Any) -> dict[str, Any]:
    """A complete ``transactions`` row (one 2.50 line paid with 5.00 cash)."""
    row: dict[str, Any] = {
        "id": tx_id or new_id(),
        "store_id": 364,
        "register_id": uuid.UUID("00000000-0000-7000-8000-000000000001"),
        "register_number": 1,
        "receipt_number": "364-1-1",
        "operator_id": "op1",
        "customer_id": None,
        "status": "completed",
        "mode": "offline",
        "started_at": T0,
        "completed_at": T0,
        "subtotal_cents": 250,
        "tax_cents": 0,
        "discount_cents": 0,
        "total_cents": 250,
        "paid_cents": 500,
        "change_cents": 250,
        "line_count": 1,
        "record": "{}",
        "prev_hash": None,
        "hash": None,
        "received_at": T0,
    }
    row.update(over)
    return row


def line_row(tx_id: uuid.UUID, line_no: int = 1, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "transaction_id": tx_id,
        "line_no": line_no,
        "id": new_id(),
        "product_id": 1004906,
        "quantity": Decimal("1.5"),
        "unit_price_cents": 250,
        "override_price_cents": None,
        "discount_cents": 0,
        "net_cents": 375,
        "tax_cents": 0,
        "is_return": False,
        "voided": False,
    }
    row.update(over)
    return row


def _seqs(engine: Engine, ids: list[uuid.UUID]) -> list[int]:
    with engine.connect() as conn:
        found = dict(conn.execute(select(transactions.c.id, transactions.c.seq)).all())
    return [found[i] for i in ids]


@pytest.fixture
def channel(db_url: str) -> Iterator[Engine]:
    engine = prepare_database(db_url, "channel")
    yield engine
    engine.dispose()


def test_transaction_inserted_twice_is_stored_once(channel: Engine) -> None:
    # given a transaction uploaded once
    row = tx_row()
    with channel.begin() as conn:
        assert insert_ignore(conn, transactions, [row]) == [(row["id"],)]
    # when the same id arrives again (answer lost, register retried) with other content
    with channel.begin() as conn:
        again = insert_ignore(conn, transactions, [tx_row(row["id"], total_cents=1)])
    # then nothing was inserted and the first version stands
    assert again == []
    with channel.connect() as conn:
        rows = conn.execute(select(transactions.c.id, transactions.c.total_cents)).all()
    assert [tuple(r) for r in rows] == [(row["id"], 250)]


def test_batch_with_known_and_new_ids_inserts_only_the_new(channel: Engine) -> None:
    old = tx_row()
    with channel.begin() as conn:
        insert_ignore(conn, transactions, [old])
    new = [tx_row(), tx_row()]
    with channel.begin() as conn:
        inserted = insert_ignore(conn, transactions, [old, *new])
        insert_ignore(conn, transaction_lines, [line_row(r["id"]) for r in [old, *new]])
    assert sorted(inserted) == sorted((r["id"],) for r in new)
    with channel.connect() as conn:
        assert (
            conn.execute(select(transaction_lines.c.quantity)).scalars().all()
            == [Decimal("1.5")] * 3
        )


def test_line_of_unknown_transaction_is_refused(channel: Engine) -> None:
    with pytest.raises(IntegrityError), channel.begin() as conn:
        insert_ignore(conn, transaction_lines, [line_row(new_id())])


def test_seq_is_assigned_by_the_database_strictly_increasing(channel: Engine) -> None:
    # given transactions committed one after the other, one batch, and a duplicate
    ids: list[uuid.UUID] = []
    for _ in range(3):
        row = tx_row()
        with channel.begin() as conn:
            insert_ignore(conn, transactions, [row])
        ids.append(row["id"])
    batch = [tx_row() for _ in range(4)]
    with channel.begin() as conn:
        insert_ignore(conn, transactions, batch)
        insert_ignore(conn, transactions, [tx_row(ids[0])])  # ignored duplicate
    ids += [r["id"] for r in batch]
    # then seq follows commit (and, within a batch, insertion) order, with no repeats
    seqs = _seqs(channel, ids)
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    assert seqs[0] >= 1


def test_a_row_that_brings_its_own_seq_is_refused(channel: Engine) -> None:
    # e.g. a row copied with the register's local seq: refused, not silently renumbered
    with pytest.raises(IntegrityError, match="assigned by the database"), channel.begin() as conn:
        insert_ignore(conn, transactions, [tx_row(seq=5)])


@pytest.mark.postgres
def test_postgres_seq_follows_commit_order_not_start_order(pg_url: str) -> None:
    # given transaction A that inserted first but commits late
    engine = prepare_database(pg_url, "channel")
    try:
        a, b = tx_row(), tx_row()
        b_done = threading.Event()
        b_errors: list[BaseException] = []

        def insert_b() -> None:
            try:
                with engine.begin() as conn:
                    insert_ignore(conn, transactions, [b])
            except BaseException as exc:
                b_errors.append(exc)
            finally:
                b_done.set()

        with engine.begin() as conn:
            insert_ignore(conn, transactions, [a])
            # when B inserts meanwhile
            thread = threading.Thread(target=insert_b)
            thread.start()
            time.sleep(0.5)
            # then B waits for A: a reader can never see B's seq while A's is still unseen
            assert not b_done.is_set()
        thread.join(30)
        assert b_errors == []
        seq_a, seq_b = _seqs(engine, [a["id"], b["id"]])
        assert seq_a < seq_b
    finally:
        engine.dispose()


def test_offline_db_numbers_its_transactions_too(data_dir: Path) -> None:
    engine = prepare_database(sqlite_url(data_dir / "offline.sqlite"), "offline")
    try:
        rows = [tx_row(), tx_row()]
        with engine.begin() as conn:
            insert_ignore(conn, offline_schema.transactions, rows)
        assert _seqs(engine, [r["id"] for r in rows]) == [1, 2]
    finally:
        engine.dispose()


def test_migrations_and_create_all_install_the_same_sqlite_triggers(data_dir: Path) -> None:
    def triggers(engine: Engine) -> list[tuple[str, str]]:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = 'transactions' ORDER BY name"
                )
            )
            return [(r[0], r[1]) for r in rows]

    migrated = prepare_database(sqlite_url(data_dir / "m.sqlite"), "channel")
    created = make_engine(sqlite_url(data_dir / "c.sqlite"))
    try:
        channel_schema.metadata.create_all(created)
        assert len(triggers(migrated)) == 2
        assert triggers(migrated) == triggers(created)
    finally:
        migrated.dispose()
        created.dispose()


def test_create_all_installs_the_same_seq_trigger(db_url: str) -> None:
    # metadata.create_all (no Alembic) must behave like the migrations
    engine = make_engine(db_url)
    try:
        channel_schema.metadata.create_all(engine)
        rows = [tx_row(), tx_row()]
        with engine.begin() as conn:
            insert_ignore(conn, transactions, rows)
        assert _seqs(engine, [r["id"] for r in rows]) == [1, 2]
    finally:
        engine.dispose()
