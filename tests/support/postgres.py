"""A fresh PostgreSQL database per test on a real server (ARCHITECTURE "Tests").

The admin URL is ``KASSA_TEST_PG_URL`` or ``postgresql://kassa:kassa@127.0.0.1:5432/kassa``
(a role allowed to CREATE/DROP DATABASE; ``scripts/pg-start.sh`` sets it up). Each test
database is named ``kassa_test_<random hex>`` and dropped ``WITH (FORCE)`` afterwards, so
tests of several engineers can share one server.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from kassa.db.engine import make_engine

DEFAULT_ADMIN_URL = "postgresql://kassa:kassa@127.0.0.1:5432/kassa"
#: Seconds to wait for the server before declaring it unreachable.
CONNECT_TIMEOUT_S = 3
#: Set to 1 to turn "not reachable" into a failure instead of a skip (CI).
REQUIRED_ENV = "KASSA_TEST_PG_REQUIRED"


def admin_url() -> str:
    """The admin URL: ``KASSA_TEST_PG_URL`` or :data:`DEFAULT_ADMIN_URL`."""
    return os.environ.get("KASSA_TEST_PG_URL") or DEFAULT_ADMIN_URL


def required() -> bool:
    """True when ``KASSA_TEST_PG_REQUIRED=1``: an unreachable server fails the tests."""
    return os.environ.get(REQUIRED_ENV, "") == "1"


def _admin_engine(url: str) -> Engine:
    return make_engine(
        url,
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )


def unreachable_reason(url: str) -> str | None:
    """``None`` when the server answers at ``url``; else ``"PostgreSQL not reachable at …"``."""
    engine = _admin_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver/network error means "not here"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL not reachable at {redact(url)}: {first}"
    finally:
        engine.dispose()
    return None


def redact(url: str) -> str:
    """``url`` with the password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def create_database(url: str, prefix: str = "kassa_test_") -> str:
    """Create a new empty database on the server of ``url``; return its URL.

    Retries briefly when the template database is busy (another ``CREATE DATABASE``).
    """
    name = f"{prefix}{secrets.token_hex(6)}"
    engine = _admin_engine(url)
    try:
        for attempt in range(10):
            try:
                with engine.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                break
            except OperationalError as exc:
                if "is being accessed by other users" not in str(exc) or attempt == 9:
                    raise
                time.sleep(0.2 * (attempt + 1))
    finally:
        engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_database(db_url: str, admin: str | None = None) -> None:
    """Drop the database named in ``db_url`` through ``admin`` (default :func:`admin_url`);
    ``WITH (FORCE)`` closes sessions a test left open."""
    name = make_url(db_url).database
    engine = _admin_engine(admin or admin_url())
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


@contextmanager
def fresh_database(admin: str | None = None) -> Iterator[str]:
    """Context manager: the URL of a new empty database, dropped on exit."""
    admin = admin or admin_url()
    db_url = create_database(admin)
    try:
        yield db_url
    finally:
        drop_database(db_url, admin)
