"""The ``web`` fixture: the small HQ of :mod:`support.hq_world` (stores 367 and 368, two
registers each, Support offline off) served with the back office (:mod:`support.hq_web`), on
SQLite and on PostgreSQL (``db_url``; skipped with the reason when no server answers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.hq_web import Web, back_office
from support.hq_world import build_world


@pytest.fixture
def web(db_url: str) -> Iterator[Web]:
    world = build_world(db_url)
    try:
        with back_office(world) as running:
            yield running
    finally:
        world.engine.dispose()
