"""A real HQ with the real-time service for gift card tests (issue 5).

:func:`realtime_hq` builds the small HQ of :mod:`support.hq_world` at ``url`` (registers of
stores 367 and 368), serves :func:`kassa.hq.app.create_app` on a free 127.0.0.1 port with
the real-time and gift card admin routers (included here when the app does not include them
yet), issues a store server token per store and yields :class:`RealtimeHq`; the server and
the engine are always stopped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from kassa.db.hq_giftcard_schema import stored_value_cards, stored_value_ledger
from kassa.hq.app import create_app
from support.hq_world import STORE_A, STORE_B, World, build_world
from support.servers import run_app_in_thread

ADMIN = "admin-token-for-realtime-tests"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class RealtimeHq:
    """Handles on the running HQ: world, base URL, an admin client, store tokens."""

    world: World
    url: str
    http: httpx.Client
    tokens: dict[int, str]

    def register(self, store_id: int = STORE_A, number: int = 1) -> uuid.UUID:
        return self.world.registers[(store_id, number)]

    def admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.http.request(method, path, headers=bearer(ADMIN), **kw)

    def store(self, method: str, path: str, store_id: int = STORE_A, **kw: Any) -> httpx.Response:
        return self.http.request(method, path, headers=bearer(self.tokens[store_id]), **kw)

    def issue(self, cents: int, kind: str = "gift_card") -> str:
        """A new card from the back office; its number."""
        r = self.admin("POST", "/api/giftcards", json={"kind": kind, "amount_cents": cents})
        assert r.status_code == 201, r.text
        return str(r.json()["number"])

    def balance(self, number: str) -> int:
        """Balance in cents straight from the HQ database."""
        with self.world.engine.connect() as conn:
            return int(conn.execute(select(stored_value_cards.c.balance_cents).where(
                stored_value_cards.c.number == number)).scalar_one())

    def ledger(self, number: str, kind: str = "redeem") -> list[int]:
        """Amounts (cents) of the card's ledger entries of ``kind``."""
        l = stored_value_ledger.c  # noqa: E741
        with self.world.engine.connect() as conn:
            return [int(x) for x in conn.execute(select(l.amount_cents).where(
                l.number == number, l.kind == kind)).scalars()]


@contextmanager
def realtime_hq(url: str, *, registers_per_store: int = 2) -> Iterator[RealtimeHq]:
    """Serve the HQ (module docstring)."""
    world = build_world(url, registers_per_store=registers_per_store)
    try:
        app = create_app(world.engine, admin_token=ADMIN, clock=world.clock)
        with run_app_in_thread(app) as base, httpx.Client(base_url=base, timeout=30) as http:
            tokens = {}
            for store_id in (STORE_A, STORE_B):
                r = http.post(f"/api/stores/{store_id}/server-token", headers=bearer(ADMIN))
                assert r.status_code == 201, r.text
                tokens[store_id] = str(r.json()["token"])
            yield RealtimeHq(world, base, http, tokens)
    finally:
        world.engine.dispose()
