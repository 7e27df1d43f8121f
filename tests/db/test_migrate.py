"""Migrations: every kind reaches head on SQLite and PostgreSQL, idempotently (issue 2 §3)."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, update

from kassa.config import sqlite_url
from kassa.db import channel_schema, hq_schema, product_search
from kassa.db.engine import make_engine
from kassa.db.migrate import (
    KINDS,
    MIGRATIONS_DIR,
    Kind,
    alembic_config,
    current_revision,
    head_revision,
    include_object,
    metadata_for,
    prepare_database,
    upgrade,
    upgrade_engine,
    version_table,
)
from kassa.domain.errors import InvalidInput
from kassa.sync.apply import apply_package
from support.package_factory import PRODUCT_COLUMNS, catalogue_tables, dump, package, product

NOW = datetime(2017, 3, 1, 8, 0, tzinfo=UTC)


def _drift(engine: Engine, kind: Kind) -> list[object]:
    """Differences between the migrated database and the SQLAlchemy metadata."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "version_table": version_table(kind),
                "compare_type": True,
                "compare_server_default": True,
                "include_object": include_object,
            },
        )
        return list(compare_metadata(ctx, metadata_for(kind)))


@pytest.mark.parametrize("kind", ["hq", "channel"])
def test_empty_database_migrates_to_head_matching_the_metadata(db_url: str, kind: Kind) -> None:
    # given an empty database
    # when it is prepared
    engine = prepare_database(db_url, kind)
    try:
        # then it is at the head revision and has exactly the tables of the metadata
        assert current_revision(engine, kind) == head_revision(kind)
        assert _drift(engine, kind) == []
    finally:
        engine.dispose()


def test_offline_database_migrates_to_head_matching_the_metadata(data_dir: Path) -> None:
    engine = prepare_database(sqlite_url(data_dir / "offline.sqlite"), "offline")
    try:
        assert current_revision(engine, "offline") == head_revision("offline")
        assert _drift(engine, "offline") == []
    finally:
        engine.dispose()


def test_second_prepare_changes_nothing_and_keeps_data(db_url: str) -> None:
    # given a prepared HQ database whose counter moved on
    engine = prepare_database(db_url, "hq")
    with engine.begin() as conn:
        conn.execute(update(hq_schema.change_counter).values(value=7))
    engine.dispose()
    # when it is prepared again (every start does this)
    engine = prepare_database(db_url, "hq")
    try:
        # then the revision is the same and the counter row is neither reseeded nor doubled
        assert current_revision(engine, "hq") == head_revision("hq")
        with engine.connect() as conn:
            rows = conn.execute(select(hq_schema.change_counter)).all()
        assert [tuple(r) for r in rows] == [(1, 7)]
    finally:
        engine.dispose()


def test_hq_change_counter_is_seeded_at_zero(db_url: str) -> None:
    engine = prepare_database(db_url, "hq")
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(hq_schema.change_counter)).all()
        assert [tuple(r) for r in rows] == [(1, 0)]
    finally:
        engine.dispose()


def test_database_of_another_kind_is_refused(db_url: str) -> None:
    # given an HQ database
    prepare_database(db_url, "hq").dispose()
    # when it is opened as a channel database, then a clear error, nothing created
    with pytest.raises(InvalidInput) as err:
        prepare_database(db_url, "channel")
    assert err.value.code == "database.wrong_kind"
    engine = make_engine(db_url)
    try:
        assert version_table("channel") not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_tables_without_migration_history_are_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    channel_schema.metadata.create_all(engine)
    engine.dispose()
    with pytest.raises(InvalidInput) as err:
        prepare_database(db_url, "channel")
    assert err.value.code == "database.unversioned"


def test_offline_database_must_be_sqlite() -> None:
    with pytest.raises(InvalidInput) as err:
        prepare_database("postgresql://kassa:kassa@127.0.0.1:5432/none", "offline")
    assert err.value.code == "database.offline_not_sqlite"


def test_unknown_kind_is_refused(data_dir: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        prepare_database(sqlite_url(data_dir / "x.sqlite"), "warehouse")  # type: ignore[arg-type]
    assert err.value.code == "database.unknown_kind"


def test_concurrent_prepares_of_one_database_both_succeed(db_url: str) -> None:
    # given two processes starting at the same moment on one new database
    errors: list[BaseException] = []

    def start() -> None:
        try:
            prepare_database(db_url, "channel").dispose()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # then no one fails on "table already exists" and the database is at head
    assert errors == []
    engine = make_engine(db_url)
    try:
        assert current_revision(engine, "channel") == head_revision("channel")
    finally:
        engine.dispose()


def test_channel_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    engine = prepare_database(db_url, "channel")
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config("channel", conn), "base")
        assert current_revision(engine, "channel") is None
        assert set(inspect(engine).get_table_names()) <= {version_table("channel")}
        with engine.begin() as conn:
            command.upgrade(alembic_config("channel", conn), "head")
        assert _drift(engine, "channel") == []
    finally:
        engine.dispose()


def test_upgrade_cli_prints_the_revision(data_dir: Path) -> None:
    url = sqlite_url(data_dir / "channel.sqlite")
    assert upgrade(url, "channel") == head_revision("channel")
    out = subprocess.run(
        [sys.executable, "-m", "kassa.db.migrate", "upgrade", "channel", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == head_revision("channel")


def test_migration_scripts_ship_inside_the_package() -> None:
    # The package-data glob "db/migrations/**/*.py" must cover every script.
    for kind in KINDS:
        root = MIGRATIONS_DIR / kind
        assert (root / "env.py").is_file()
        assert (root / "script.py.mako").is_file()
        assert list((root / "versions").glob("*.py"))
        assert head_revision(kind)


def _search_ids(engine: Engine, q: str) -> list[int]:
    with engine.connect() as conn:
        hits = product_search.hits(conn, q, 20)
        return [int(i) for i in conn.execute(select(hits.c.id).order_by(hits.c.score,
                                                                         hits.c.id)).scalars()]


def _fts_sql(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'products_fts'").scalar()


def test_existing_offline_database_gets_its_search_index_filled(data_dir: Path) -> None:
    # given an offline DB at revision 0002 (no search index) that already holds products
    engine = make_engine(sqlite_url(data_dir / "offline.sqlite"))
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config("offline", conn), "0002")
        header, body = package(1, kind="snapshot", **catalogue_tables(3))
        apply_package(engine, header, body, now=NOW)
        assert _fts_sql(engine) is None
        # when it is prepared (migrated to head)
        engine.dispose()
        engine = prepare_database(sqlite_url(data_dir / "offline.sqlite"), "offline")
        # then the search index holds the rows it already had, and follows new ones
        assert _search_ids(engine, "product 1002") == [1002]
        assert _search_ids(engine, "produ") == [1001, 1002, 1003]
        header, body = package(2, products=(PRODUCT_COLUMNS, [product(1004, "OAT MILK")], []))
        apply_package(engine, header, body, now=NOW)
        assert _search_ids(engine, "oat mi") == [1004]
        assert _drift(engine, "offline") == []
        # and a downgrade removes the index and its triggers
        with engine.begin() as conn:
            command.downgrade(alembic_config("offline", conn), "0002")
        assert _fts_sql(engine) is None
        assert "trg_products_fts" not in str(dump(engine)["__schema__"])
    finally:
        engine.dispose()


def test_channel_search_index_gets_prefix_indexes_and_keeps_its_rows(db_url: str) -> None:
    # given a channel DB at revision 0003 with products in its search index
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config("channel", conn), "0003")
        header, body = package(1, kind="snapshot", **catalogue_tables(3))
        apply_package(engine, header, body, now=NOW)
        # when it is migrated to head
        upgrade_engine(engine, "channel")
        # then (SQLite) the index has prefix indexes of 2..8 characters, and search still
        # finds every product (PostgreSQL: the GIN index is unchanged)
        if engine.dialect.name == "sqlite":
            assert "prefix='2 3 4 5 6 7 8'" in str(_fts_sql(engine))
        assert _search_ids(engine, "product 1002") == [1002]
        assert _search_ids(engine, "produc") == [1001, 1002, 1003]
        with engine.begin() as conn:
            command.downgrade(alembic_config("channel", conn), "0003")
        if engine.dialect.name == "sqlite":
            assert "prefix='2 3'" in str(_fts_sql(engine))
        assert _search_ids(engine, "produc 1003") == [1003]
    finally:
        engine.dispose()
