"""Channel DB mirrors HQ master data; offline DB = subset of channel + offline-only tables."""

from __future__ import annotations

from sqlalchemy import Table, UniqueConstraint
from sqlalchemy.dialects import postgresql, sqlite

from kassa.db import channel_schema, hq_schema, offline_schema


def _columns(table: Table) -> list[tuple[object, ...]]:
    """Comparable description of every column: name, DDL type on both dialects, flags."""
    return [
        (
            c.name,
            c.type.compile(dialect=sqlite.dialect()),
            c.type.compile(dialect=postgresql.dialect()),
            type(c.type).__name__,
            c.nullable,
            c.primary_key,
            repr(c.server_default),
        )
        for c in table.columns
    ]


def _uniques(table: Table) -> set[tuple[str, ...]]:
    return {
        tuple(c.name for c in con.columns)
        for con in table.constraints
        if isinstance(con, UniqueConstraint)
    }


def _indexes(table: Table) -> set[tuple[object, ...]]:
    return {(ix.name, tuple(c.name for c in ix.columns), ix.unique) for ix in table.indexes}


def test_channel_mirrors_every_hq_master_data_table_in_the_same_order() -> None:
    assert [t.name for t in channel_schema.MASTER_DATA_TABLES] == [
        t.name for t in hq_schema.MASTER_DATA_TABLES
    ]
    for hq, mirror in zip(
        hq_schema.MASTER_DATA_TABLES, channel_schema.MASTER_DATA_TABLES, strict=True
    ):
        assert mirror.metadata is channel_schema.metadata
        assert _columns(mirror) == _columns(hq), hq.name
        assert _uniques(mirror) == _uniques(hq), hq.name
        assert _indexes(mirror) == _indexes(hq), hq.name
        assert "version" in mirror.c


def test_mirrors_keep_barcode_and_loyalty_card_unique_but_have_no_foreign_keys() -> None:
    tables = channel_schema.metadata.tables
    assert ("barcode",) in _uniques(tables["products"])
    assert ("loyalty_card",) in _uniques(tables["customers"])
    for mirror in channel_schema.MASTER_DATA_TABLES:
        assert not mirror.foreign_keys, mirror.name


def test_channel_has_its_own_tables() -> None:
    names = set(channel_schema.metadata.tables)
    mirrors = {t.name for t in hq_schema.MASTER_DATA_TABLES}
    assert names - mirrors == {
        "package_checkpoint",
        "transactions",
        "transaction_lines",
        "transaction_tenders",
        "register_status",
        "served_packages",
        "journal_breaks",
    }


def test_offline_tables_are_channel_tables_plus_offline_only_ones() -> None:
    offline = offline_schema.metadata.tables
    channel = channel_schema.metadata.tables
    offline_only = {t.name for t in offline_schema.OFFLINE_ONLY_TABLES}
    assert offline_only == {
        "upload_queue",
        "receipt_sequence",
        "sync_attempts",
        "current_cart",
        "pending_unlocks",
    }
    assert not offline_only & set(channel)
    assert set(offline) - offline_only <= set(channel)
    assert set(offline) - offline_only == {t.name for t in channel_schema.SHARED_TABLES}
    assert "register_status" not in offline


def test_shared_tables_have_identical_columns_keys_and_indexes() -> None:
    for table in offline_schema.SHARED_TABLES:
        original = channel_schema.metadata.tables[table.name]
        assert table.metadata is offline_schema.metadata
        assert _columns(table) == _columns(original), table.name
        assert _uniques(table) == _uniques(original), table.name
        assert _indexes(table) == _indexes(original), table.name
        assert {fk.target_fullname for fk in table.foreign_keys} == {
            fk.target_fullname for fk in original.foreign_keys
        }, table.name


def test_named_offline_tables_point_into_the_offline_metadata() -> None:
    assert offline_schema.transactions is offline_schema.metadata.tables["transactions"]
    assert [t.name for t in offline_schema.MASTER_DATA_TABLES] == [
        t.name for t in channel_schema.MASTER_DATA_TABLES
    ]
