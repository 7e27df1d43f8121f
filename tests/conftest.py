"""Shared fixtures: data directory, real PostgreSQL databases, one URL per dialect.

* ``data_dir`` — an empty Kassa data directory under ``tmp_path``.
* ``pg_url`` — a fresh PostgreSQL database for this test, dropped afterwards; skipped with
  the visible reason "PostgreSQL not reachable at …: <error>" when no server answers
  (``KASSA_TEST_PG_REQUIRED=1`` makes that a failure). ``KASSA_TEST_PG_URL`` overrides the
  admin URL (default ``postgresql://kassa:kassa@127.0.0.1:5432/kassa``).
* ``db_url`` — parametrised ``sqlite`` / ``postgresql``: run the same test on both.

Tests using ``pg_url`` or ``db_url[postgresql]`` carry the ``postgres`` marker, so
``pytest -m "not postgres"`` leaves them out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kassa.config import sqlite_url
from support.postgres import admin_url, fresh_database, required, unreachable_reason


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "pg_url" in getattr(item, "fixturenames", ()) and not item.get_closest_marker(
            "postgres"
        ):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data directory (``<tmp_path>/kassa-data``) for databases and files."""
    path = tmp_path / "kassa-data"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """Admin URL of a reachable PostgreSQL server (checked once per session)."""
    url = admin_url()
    reason = unreachable_reason(url)
    if reason is not None:
        if required():
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """URL of a new empty PostgreSQL database ``kassa_test_<hex>``, dropped after the test."""
    with fresh_database(pg_admin_url) as url:
        yield url


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, data_dir: Path) -> str:
    """A fresh database URL: an SQLite file in ``data_dir``, or a PostgreSQL database."""
    if request.param == "sqlite":
        return sqlite_url(data_dir / "test.sqlite")
    url: str = request.getfixturevalue("pg_url")
    return url
