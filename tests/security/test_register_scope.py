"""A register reads and writes only its own store's data at the store server (issue 8 §3;
DESIGN §8: "a register may only upload and download for itself and its own data group").

Rule source: issue 8 §3 — "a register can read and write only its own store's data and
upload only its own transactions; tests for each refusal". Parametrised over every
operation of the store server's OpenAPI that the ``DeviceToken`` scheme guards: the token of
a register of another store (same data group, so its row is in this channel DB) → 403
``auth.other_store``; no token → 401; an unknown token → 401. Real store server on
127.0.0.1 over a real channel DB (SQLite and PostgreSQL).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select

from kassa.db import channel_schema as cs
from kassa.domain.ids import new_id
from kassa.store.app import create_app
from kassa.store.settings import StoreSettings
from support.openapi_ops import operations
from support.store_world import PULL_TOKEN, StoreServer, assert_error, sale_record

_spec = create_app(create_engine("sqlite://"),
                   StoreSettings(store_id=1, hq_pull_token=PULL_TOKEN),
                   start_puller=False).openapi()
REGISTER_OPS = operations(_spec, "DeviceToken")


def _call(store: StoreServer, method: str, url: str, has_body: bool,
          token: str | None) -> httpx.Response:
    headers = {} if token is None else store.auth(token)
    return store.client.request(method, url, headers=headers, json={} if has_body else None)


def test_the_registers_own_token_reads_its_store(shared_store: StoreServer) -> None:
    store = shared_store
    # given the register's own device token / when it asks who it is
    answer = store.client.get("/api/me", headers=store.auth())
    # then it is served (so the refusals below are about the token alone)
    assert answer.status_code == 200, answer.text
    assert answer.json()["register"]["id"] == str(store.register_id)


@pytest.mark.parametrize(("method", "url", "has_body"), REGISTER_OPS)
def test_a_register_of_another_store_is_refused_everywhere(
        shared_store: StoreServer, method: str, url: str, has_body: bool) -> None:
    store = shared_store
    # given the device token of a register of store 999 (same data group)
    # when it calls a register endpoint of this store's server
    answer = _call(store, method, url, has_body, store.other_token)
    # then 403: it may not read or write this store's data
    assert_error(answer, 403, "auth.other_store")


@pytest.mark.parametrize(("method", "url", "has_body"), REGISTER_OPS)
def test_every_register_endpoint_needs_a_known_device_token(
        shared_store: StoreServer, method: str, url: str, has_body: bool) -> None:
    store = shared_store
    # given no token, then a token no register has
    # when a register endpoint is called / then 401 each time
    assert_error(_call(store, method, url, has_body, None), 401, "auth.missing_token")
    assert_error(_call(store, method, url, has_body, "not-a-device-token-0123456789abcdef"),
                 401, "auth.bad_token")


def test_the_hq_pull_endpoint_refuses_a_device_token(shared_store: StoreServer) -> None:
    store = shared_store
    # given a register's device token / when it asks for HQ's P-job
    answer = store.client.get("/api/hq/transactions", headers=store.auth())
    # then 401: only HQ's pull token opens it
    assert_error(answer, 401, "auth.bad_token")


def _foreign(store: StoreServer, **changes: Any) -> dict[str, Any]:
    record = sale_record(store.register_id, 1)
    record.update(changes)
    return record


@pytest.mark.parametrize("changes", [
    pytest.param({"register_id": "__other__"}, id="another register"),
    pytest.param({"store_id": 999}, id="another store"),
    pytest.param({"register_number": 2}, id="another register number"),
])
def test_a_register_cannot_commit_or_upload_another_registers_transaction(
        store: StoreServer, changes: dict[str, Any]) -> None:
    # given a finished sale that names another register, store or register number
    if changes.get("register_id") == "__other__":
        changes = {"register_id": str(new_id())}
    record = _foreign(store, **changes)
    own = sale_record(store.register_id, 2)
    # when the register commits it, or uploads it in a batch with one of its own
    commit = store.client.post("/api/transactions", json=record, headers=store.auth())
    upload = store.client.post("/api/uploads", json={"transactions": [own, record]},
                               headers=store.auth())
    # then both are refused with 403 and nothing of either is written
    assert_error(commit, 403, "transaction.other_register")
    assert_error(upload, 403, "transaction.other_register")
    assert store.count("transactions") == 0


def test_another_stores_register_cannot_upload_even_its_own_transactions_here(
        store: StoreServer) -> None:
    # given the register of store 999 and a sale of its own
    registers = cs.metadata.tables["registers"]
    with store.engine.connect() as conn:
        other_id = conn.execute(select(registers.c.id).where(
            registers.c.store_id == 999)).scalar_one()
    record = sale_record(uuid.UUID(str(other_id)), 1, store_id=999)
    # when it uploads it to this store's server
    answer = store.client.post("/api/uploads", json={"transactions": [record]},
                               headers=store.auth(store.other_token))
    # then 403, nothing written
    assert_error(answer, 403, "auth.other_store")
    assert store.count("transactions") == 0
