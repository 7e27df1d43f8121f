"""Fixtures of the security tests (issue 8 §3, §4).

* ``store`` — a store server without HQ (:func:`support.clocked_store.serve_store`) on a
  real channel DB at ``db_url`` (SQLite and PostgreSQL), with ``store.clock``.
* ``shared_store`` — the same on an SQLite file, once per test module (for tests that only
  read, or are refused).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kassa.config import sqlite_url
from support.clocked_store import ClockedStore, serve_store


@pytest.fixture
def store(db_url: str) -> Iterator[ClockedStore]:
    with serve_store(db_url) as served:
        yield served


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockedStore]:
    path = tmp_path_factory.mktemp("shared-store") / "channel.sqlite"
    with serve_store(sqlite_url(path)) as served:
        yield served
