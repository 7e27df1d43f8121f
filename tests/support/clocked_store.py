"""A store server without HQ on a real channel DB, on a clock the test moves (issue 8 tests).

:func:`serve_store` fills the channel DB at a URL with :func:`support.store_world.fill_channel`
(a register of store ``STORE`` with ``token``, a register of store 999 of the same data group
with ``other_token``, operator 1003 with :data:`support.store_world.PASSWORD`) and serves
:func:`kassa.store.app.create_app` on a free 127.0.0.1 port with a :class:`FixedClock`
(``store.clock``); always stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from kassa.auth.tokens import new_token
from kassa.db.migrate import prepare_database
from kassa.domain.clock import FixedClock
from kassa.domain.ids import new_id
from kassa.store.app import create_app
from kassa.store.settings import StoreSettings
from support.package_factory import STORE
from support.servers import run_app_in_thread
from support.store_world import PULL_TOKEN, T0, StoreServer, fill_channel


class ClockedStore(StoreServer):
    """A :class:`StoreServer` whose app runs on :attr:`clock`."""

    clock: FixedClock


@contextmanager
def serve_store(url: str) -> Iterator[ClockedStore]:
    """Fill and serve a channel DB at ``url`` (module docstring)."""
    engine = prepare_database(url, "channel")
    register_id, other = new_id(), new_id()
    token, other_token = new_token(), new_token()
    fill_channel(engine, register_id, token, other, other_token)
    clock = FixedClock(T0)
    app = create_app(engine, StoreSettings(store_id=STORE, hq_pull_token=PULL_TOKEN),
                     clock=clock)
    try:
        with run_app_in_thread(app) as base, httpx.Client(base_url=base, timeout=10) as client:
            served = ClockedStore(engine, base, register_id, token, other_token, client)
            served.clock = clock
            yield served
    finally:
        engine.dispose()
