"""SQLite files: WAL, synchronous per kind, foreign keys, files only (issue 2 §3)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import IntegrityError

from kassa.config import sqlite_url
from kassa.db import channel_schema
from kassa.db.engine import make_engine
from kassa.db.migrate import Kind, prepare_database

# PRAGMA synchronous answers with a number: 1 = NORMAL, 2 = FULL.
SYNC = {"NORMAL": 1, "FULL": 2}


def _pragma(engine: Engine, name: str) -> object:
    with engine.connect() as conn:
        return conn.execute(text(f"PRAGMA {name}")).scalar_one()


@pytest.mark.parametrize(
    ("kind", "expected"), [("hq", "NORMAL"), ("channel", "FULL"), ("offline", "FULL")]
)
def test_each_kind_opens_in_wal_with_its_synchronous_level(
    data_dir: Path, kind: Kind, expected: str
) -> None:
    engine = prepare_database(sqlite_url(data_dir / f"{kind}.sqlite"), kind)
    try:
        assert _pragma(engine, "journal_mode") == "wal"
        assert _pragma(engine, "synchronous") == SYNC[expected]
        assert _pragma(engine, "foreign_keys") == 1
        assert _pragma(engine, "busy_timeout") == 10000
    finally:
        engine.dispose()


def test_synchronous_can_be_chosen(data_dir: Path) -> None:
    engine = prepare_database(sqlite_url(data_dir / "c.sqlite"), "channel", synchronous="NORMAL")
    try:
        assert _pragma(engine, "synchronous") == SYNC["NORMAL"]
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced(data_dir: Path) -> None:
    # given a channel database
    engine = prepare_database(sqlite_url(data_dir / "c.sqlite"), "channel")
    try:
        # when a tender names a transaction that does not exist, then it is refused
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                insert(channel_schema.transaction_tenders).values(
                    id=uuid.uuid4(),
                    transaction_id=uuid.uuid4(),
                    tender_type="cash",
                    amount_cents=100,
                    voided=False,
                )
            )
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(ValueError, match="files"):
        make_engine("sqlite://")
