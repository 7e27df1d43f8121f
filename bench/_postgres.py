"""PostgreSQL for the benchmarks: a fresh database per run, and a raw psycopg connection
for the baselines (used by bench/upload.py and bench/posting.py)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from kassa.db.engine import make_engine


@contextmanager
def pg_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database on the server of ``admin_url``; yields its URL and drops
    it afterwards (as tests/support/postgres.py)."""
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool,
                        connect_args={"connect_timeout": 3})
    name = f"kassa_bench_{secrets.token_hex(6)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def psycopg_connect(url: str) -> Any:
    """A raw psycopg connection to the database of SQLAlchemy URL ``url``."""
    import psycopg

    u = make_url(url)
    return psycopg.connect(host=u.host, port=u.port or 5432, user=u.username,
                           password=u.password, dbname=u.database)
