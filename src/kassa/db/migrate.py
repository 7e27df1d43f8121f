"""Create and upgrade Kassa's databases with Alembic (issue 2 §3).

One Alembic environment per database kind, shipped inside the package::

    kassa/db/migrations/hq/       → kassa.db.hq_schema.metadata
    kassa/db/migrations/channel/  → kassa.db.channel_schema.metadata
    kassa/db/migrations/offline/  → kassa.db.offline_schema.metadata (SQLite only)

Alembic is configured in code (no ``alembic.ini``). Each kind keeps its revision in its own
version table ``alembic_version_<kind>``, so opening a database as the wrong kind is
refused with a clear error instead of a half-applied migration. SQLite migrations use
batch mode (``render_as_batch``). The whole upgrade runs in one transaction (SQLite and
PostgreSQL both have transactional DDL); on PostgreSQL concurrent upgrades of the same
database are serialised with an advisory lock, on SQLite by ``BEGIN IMMEDIATE``.

Command line (see :data:`USAGE`)::

    .venv/bin/python -m kassa.db.migrate upgrade <kind> <url>
    .venv/bin/python -m kassa.db.migrate revision <kind> "<message>" <scratch-sqlite-url>
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Literal, get_args

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, TypeDecorator, func, inspect, select

from kassa.db import channel_schema, hq_schema, offline_schema
from kassa.db.engine import Synchronous, is_sqlite, make_engine
from kassa.db.upsert import insert_ignore
from kassa.domain.errors import InvalidInput

Kind = Literal["hq", "channel", "offline"]
KINDS: tuple[Kind, ...] = get_args(Kind)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: ``synchronous`` per kind when not given: sales need FULL; HQ can re-pull (engine docs).
DEFAULT_SYNCHRONOUS: dict[Kind, Synchronous] = {
    "hq": "NORMAL",
    "channel": "FULL",
    "offline": "FULL",
}
#: PostgreSQL advisory-lock key held while migrating (any constant).
MIGRATION_LOCK_KEY = 0x6B6D6967  # "kmig"


def _kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise InvalidInput(
            f"unknown database kind {kind!r}; expected one of {', '.join(KINDS)}",
            code="database.unknown_kind",
        )
    return kind


def metadata_for(kind: Kind) -> MetaData:
    """The SQLAlchemy ``MetaData`` that migrations of ``kind`` build."""
    return {
        "hq": hq_schema.metadata,
        "channel": channel_schema.metadata,
        "offline": offline_schema.metadata,
    }[_kind(kind)]


def version_table(kind: Kind) -> str:
    """Name of the Alembic version table of ``kind``: ``alembic_version_<kind>``."""
    return f"alembic_version_{_kind(kind)}"


def alembic_config(kind: Kind, connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` for ``kind`` (script location inside the package).

    With ``connection`` the environment migrates on it, inside its transaction.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR / _kind(kind)))
    cfg.attributes["kassa_kind"] = kind
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision(kind: Kind) -> str:
    """The newest revision shipped for ``kind`` (e.g. ``"0001"``)."""
    head = ScriptDirectory.from_config(alembic_config(kind)).get_current_head()
    assert head is not None, f"no migrations for {kind}"
    return head


def current_revision(engine: Engine | Connection, kind: Kind) -> str | None:
    """The revision the database is at for ``kind``; ``None`` when never migrated."""
    if isinstance(engine, Connection):
        return _current(engine, kind)
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        return _current(conn, kind)


def _current(conn: Connection, kind: Kind) -> str | None:
    ctx = MigrationContext.configure(conn, opts={"version_table": version_table(kind)})
    return ctx.get_current_revision()


def _refuse_foreign(conn: Connection, kind: Kind) -> None:
    """Refuse a database of another kind, or one with Kassa tables but no version."""
    tables = set(inspect(conn).get_table_names())
    for other in KINDS:
        if other != kind and version_table(other) in tables:
            raise InvalidInput(
                f"this is a {other} database, not a {kind} database",
                code="database.wrong_kind",
                details={"expected": kind, "found": other},
            )
    if version_table(kind) not in tables:
        known = tables & set(metadata_for(kind).tables)
        if known:
            raise InvalidInput(
                f"the database has {kind} tables ({', '.join(sorted(known)[:3])} …) but no "
                f"migration history ({version_table(kind)}); it was not created by Kassa's "
                "migrations — use a new database",
                code="database.unversioned",
            )


def upgrade_engine(engine: Engine, kind: Kind) -> str:
    """Bring ``engine``'s database to the head revision of ``kind`` in one transaction.

    Idempotent (safe at every start); seeds HQ's ``change_counter`` row ``(id=1, value=0)``
    when absent (DESIGN §4). Returns the revision reached.

    Raises:
        InvalidInput: ``database.unknown_kind``, ``database.wrong_kind`` (another kind's
            database), ``database.unversioned`` (tables made without migrations).
    """
    kind = _kind(kind)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
        _refuse_foreign(conn, kind)
        command.upgrade(alembic_config(kind, conn), "head")
        if kind == "hq":
            insert_ignore(conn, hq_schema.change_counter, [{"id": 1, "value": 0}])
        revision = _current(conn, kind)
    assert revision is not None
    return revision


def prepare_database(url: str, kind: Kind, *, synchronous: Synchronous | None = None) -> Engine:
    """Open the database at ``url`` as ``kind`` and migrate it to head; return its engine.

    Args:
        url: any SQLAlchemy URL (SQLite file or PostgreSQL); ``offline`` must be SQLite.
        kind: ``"hq"``, ``"channel"`` or ``"offline"``.
        synchronous: SQLite ``synchronous`` level; default ``NORMAL`` for hq, ``FULL`` for
            channel and offline (a committed sale survives a power cut).

    Raises:
        InvalidInput: ``database.offline_not_sqlite`` and those of :func:`upgrade_engine`.
    """
    kind = _kind(kind)
    if kind == "offline" and not is_sqlite(url):
        raise InvalidInput(
            "the offline database of a register is always an SQLite file",
            code="database.offline_not_sqlite",
        )
    engine = make_engine(url, synchronous=synchronous or DEFAULT_SYNCHRONOUS[kind])
    try:
        upgrade_engine(engine, kind)
    except BaseException:
        engine.dispose()
        raise
    return engine


def upgrade(url: str, kind: Kind) -> str:
    """CLI entry: migrate the database at ``url`` to head; return the revision reached."""
    engine = prepare_database(url, kind)
    try:
        revision = current_revision(engine, kind)
    finally:
        engine.dispose()
    assert revision is not None
    return revision


# --- used by migrations/<kind>/env.py ---------------------------------------------------


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render Kassa's TypeDecorators as their plain SQLAlchemy impl in migration scripts."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


#: Objects made by raw DDL in migrations (FTS5 tables, full-text indexes) that have no
#: SQLAlchemy Table: autogenerate and drift checks must not report them.
RAW_DDL_PREFIXES = ("products_fts", "ix_products_name_fts")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic ``include_object`` hook: skip the raw-DDL objects of :data:`RAW_DDL_PREFIXES`."""
    return not (name or "").startswith(RAW_DDL_PREFIXES)


def run_env(kind: Kind) -> None:
    """Body of every ``env.py``: migrate on the connection handed over by
    :func:`upgrade_engine`, or on ``sqlalchemy.url`` (``--sql`` mode renders SQL)."""
    from alembic import context

    options: dict[str, Any] = {
        "target_metadata": metadata_for(kind),
        "version_table": version_table(kind),
        "render_item": _render_item,
        "compare_server_default": True,
        "include_object": include_object,
    }
    conn = context.config.attributes.get("connection")
    if conn is not None:
        _run_on(context, conn, options)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("Kassa migrations need a connection or sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, render_as_batch=is_sqlite(url), **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url, synchronous=DEFAULT_SYNCHRONOUS[kind])
    try:
        with engine.begin() as own:
            _run_on(context, own, options)
    finally:
        engine.dispose()


def _run_on(context: Any, conn: Connection, options: dict[str, Any]) -> None:
    context.configure(connection=conn, render_as_batch=conn.dialect.name == "sqlite", **options)
    with context.begin_transaction():
        context.run_migrations()


USAGE = """usage: python -m kassa.db.migrate upgrade <kind> <url>
       python -m kassa.db.migrate revision <kind> <message> <url>
kinds: hq, channel, offline. "revision" migrates <url> to head, then autogenerates the next
numbered revision (0002, 0003, …) from the difference with the metadata; review it."""


def _next_rev_id(kind: Kind) -> str | None:
    head = ScriptDirectory.from_config(alembic_config(kind)).get_current_head()
    if head is None:
        return "0001"
    return f"{int(head) + 1:04d}" if head.isdigit() else None


def _main(argv: list[str]) -> int:
    """Command line: see :data:`USAGE`."""
    if len(argv) == 3 and argv[0] == "upgrade":
        print(upgrade(argv[2], _kind(argv[1])))
        return 0
    if len(argv) == 4 and argv[0] == "revision":
        kind = _kind(argv[1])
        engine = prepare_database(argv[3], kind)
        try:
            with engine.begin() as conn:
                command.revision(
                    alembic_config(kind, conn),
                    message=argv[2],
                    autogenerate=True,
                    rev_id=_next_rev_id(kind),
                )
        finally:
            engine.dispose()
        return 0
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
