"""Register activation: one-time, expiring codes traded for a device token through the store
server (issue 8 §3; DESIGN §8; kassa.hq.distribution.access).

Rule source: issue 8 §3 — "register device activation (one-time code → device token, stored
hashed server-side); tests for each refusal". A code works once, for 24 hours, for a
register of the store that relays it; HQ keeps only its SHA-256. Real HQ and store server on
127.0.0.1 (``POST /api/activate`` relayed to HQ), SQLite files; HQ's clock is moved.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from kassa.auth.tokens import token_hash
from kassa.db.hq_distribution_schema import activation_codes
from kassa.hq.distribution.access import ACTIVATION_TTL
from support.hq_world import STORE_A, STORE_B
from support.secret_scan import secrets_found
from support.secure_chain import SecureChain, secure_chain
from support.store_world import assert_error


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureChain]:
    data_dir = tmp_path_factory.mktemp("activation") / "kassa-data"
    data_dir.mkdir()
    with secure_chain(data_dir) as built:
        yield built


def _code(chain: SecureChain, store_id: int = STORE_A, number: int = 2) -> str:
    answer = chain.admin("POST", f"/api/registers/{chain.hq.registers[(store_id, number)]}"
                                 "/activation-code")
    assert answer.status_code == 201, answer.text
    return str(answer.json()["code"])


def _activate(chain: SecureChain, code: str) -> httpx.Response:
    return chain.store.post("/api/activate", json={"code": code})


def test_a_code_activates_its_register_once(chain: SecureChain) -> None:
    # given a fresh code for register 2 of the store
    code = _code(chain)
    # when it is used through the store server
    first = _activate(chain, code)
    # then the register gets a device token the store server accepts at once
    assert first.status_code == 200, first.text
    token = first.json()["device_token"]
    me = chain.store.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["register"]["number"] == 2
    # and the same code again is refused
    assert_error(_activate(chain, code), 409, "activation.used")


def test_a_code_expires_after_24_hours(chain: SecureChain) -> None:
    # given a code issued now
    code = _code(chain)
    # when it is used just after its 24 hours ran out
    assert ACTIVATION_TTL.total_seconds() == 24 * 3600
    chain.hq.clock.advance(ACTIVATION_TTL.total_seconds() + 1)
    answer = _activate(chain, code)
    # then it is refused
    assert_error(answer, 409, "activation.expired")


def test_an_unknown_code_is_refused(chain: SecureChain) -> None:
    # given a code HQ never issued / when it is used / then 404
    assert_error(_activate(chain, "ABCD-EFGH-JKLM"), 404, "activation.unknown_code")


def test_a_code_of_another_stores_register_is_refused_here(chain: SecureChain) -> None:
    # given a code for a register of store 368
    code = _code(chain, STORE_B, 1)
    # when store 367's server relays it
    answer = _activate(chain, code)
    # then HQ refuses: a store server activates only its own registers
    assert_error(answer, 403, "activation.other_store")


def test_a_new_code_replaces_the_unused_one(chain: SecureChain) -> None:
    # given a code, then a second one for the same register
    old, new = _code(chain), _code(chain)
    # when the first is used / then it no longer exists; the second works
    assert_error(_activate(chain, old), 404, "activation.unknown_code")
    assert _activate(chain, new).status_code == 200


def test_hq_keeps_only_the_codes_hash(chain: SecureChain) -> None:
    # given an issued code
    code = _code(chain)
    # when HQ's database is searched for it
    assert chain.hq.engine.url.database is not None
    found = secrets_found(Path(chain.hq.engine.url.database), {"activation code": code})
    # then only its SHA-256 is stored
    assert found == []
    with chain.hq.engine.connect() as conn:
        hashes = set(conn.execute(select(activation_codes.c.code_hash)).scalars())
    assert token_hash(code) in hashes
