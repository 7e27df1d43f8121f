"""The ``store`` fixture: a store server (no HQ) on a real channel DB at ``db_url``, filled by
:func:`support.store_world.fill_channel`, served on a free 127.0.0.1 port and always
stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from kassa.auth.tokens import new_token
from kassa.db.migrate import prepare_database
from kassa.domain.ids import new_id
from kassa.store.app import create_app
from kassa.store.settings import StoreSettings
from support.package_factory import STORE
from support.servers import run_app_in_thread
from support.store_world import PULL_TOKEN, StoreServer, fill_channel


@pytest.fixture
def store(db_url: str) -> Iterator[StoreServer]:
    engine = prepare_database(db_url, "channel")
    register_id, other = new_id(), new_id()
    token, other_token = new_token(), new_token()
    fill_channel(engine, register_id, token, other, other_token)
    app = create_app(engine, StoreSettings(store_id=STORE, hq_pull_token=PULL_TOKEN))
    try:
        with run_app_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            yield StoreServer(engine, url, register_id, token, other_token, client)
    finally:
        engine.dispose()
