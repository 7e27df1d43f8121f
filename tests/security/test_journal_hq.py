"""HQ records the journal breaks a store server reports (issue 8 §4: "flags breaks at HQ").

Rule source: issue 8 §4; kassa.hq.distribution.journal_flags. The store server sends, with
its status (``POST /api/status``), per register the number of confirmed breaks and the latest
one; HQ writes a summary into ``channel_db_entities.journal_break`` of the register's offline
entity (or, without Support offline, of the store's channel entity) and shows it in the
channel-database view. Real HQ app on 127.0.0.1 over a real SQLite file.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kassa.config import sqlite_url
from kassa.hq.app import create_app
from kassa.hq.distribution.setup import set_support_offline
from support.hq_world import STORE_A, STORE_B, World, build_world
from support.secure_chain import T0, bearer
from support.servers import run_app_in_thread

ADMIN = "admin-token-for-journal-hq-tests-0123"


@dataclass
class Hq:
    world: World
    http: httpx.Client
    tokens: dict[int, str]

    def report(self, store_id: int, breaks: list[dict[str, Any]]) -> httpx.Response:
        return self.http.post("/api/status", headers=bearer(self.tokens[store_id]),
                              json={"checkpoint": None, "journal_breaks": breaks})

    def entities(self) -> list[dict[str, Any]]:
        answer = self.http.get("/api/channel-databases", headers=bearer(ADMIN))
        assert answer.status_code == 200, answer.text
        entities: list[dict[str, Any]] = answer.json()["entities"]
        return entities


@pytest.fixture
def hq(data_dir: Path) -> Iterator[Hq]:
    world = build_world(sqlite_url(data_dir / "hq.sqlite"))
    with world.engine.begin() as conn:
        set_support_offline(conn, world.registers[(STORE_A, 1)], True, T0)
    try:
        app = create_app(world.engine, admin_token=ADMIN, clock=world.clock)
        with run_app_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as http:
            tokens = {}
            for sid in (STORE_A, STORE_B):
                issued = http.post(f"/api/stores/{sid}/server-token", headers=bearer(ADMIN))
                assert issued.status_code == 201, issued.text
                tokens[sid] = str(issued.json()["token"])
            yield Hq(world, http, tokens)
    finally:
        world.engine.dispose()


def _item(register_id: uuid.UUID, count: int = 2) -> dict[str, Any]:
    return {"register_id": str(register_id), "count": count,
            "transaction_id": "01900000-0000-7000-8000-0000000000aa",
            "reason": "journal.hash_mismatch", "detail": "changed after it was recorded",
            "detected_at": T0.isoformat()}


def test_a_reported_break_is_shown_on_the_registers_offline_entity(hq: Hq) -> None:
    # given register 1 of store A with Support offline
    register = hq.world.registers[(STORE_A, 1)]
    # when store A reports two breaks of its journal
    answer = hq.report(STORE_A, [_item(register)])
    # then HQ records them on the register's offline entity, visible in the admin view
    assert answer.status_code == 200, answer.text
    (entity,) = [e for e in hq.entities() if e["register_id"] == str(register)]
    flag = entity["journal_break"]
    assert flag.startswith("2 journal break(s)")
    assert "journal.hash_mismatch" in flag and "01900000-0000-7000-8000-0000000000aa" in flag


def test_a_break_of_a_register_without_support_offline_goes_to_the_store_entity(hq: Hq) -> None:
    # given register 2 of store A without Support offline (no offline entity)
    register = hq.world.registers[(STORE_A, 2)]
    # when store A reports a break of it
    assert hq.report(STORE_A, [_item(register, count=1)]).status_code == 200
    # then the store's channel entity carries it, naming the register
    (channel,) = [e for e in hq.entities() if e["kind"] == "channel" and e["store_id"] == STORE_A]
    assert channel["journal_break"].startswith("register 2: 1 journal break(s)")


def test_a_store_cannot_flag_a_register_of_another_store(hq: Hq) -> None:
    # given register 1 of store A
    register = hq.world.registers[(STORE_A, 1)]
    # when store B reports a break of it
    answer = hq.report(STORE_B, [_item(register)])
    # then HQ refuses and records nothing
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "status.other_store"
    assert all(e["journal_break"] is None for e in hq.entities())
