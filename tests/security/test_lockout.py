"""Lockout after repeated failed sign-ins (issue 8 §3; kassa.auth.lockout).

Rule source: issue 8 §3 — "lockout after repeated failed sign-ins; tests for each refusal".
Kassa's rule: 5 failures of one operator id within 5 minutes lock the id for 5 minutes; while
locked even the right password is refused with 429 ``auth.locked_out`` (``Retry-After``); at
the store server and at the register signing in from its offline DB. Real servers on
127.0.0.1 with :class:`FixedClock` s the tests move.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kassa.auth.lockout import LOCK_S, MAX_FAILURES, WINDOW_S, OperatorLockout
from kassa.domain.clock import FixedClock
from kassa.domain.errors import LockedOut, NotAuthenticated
from support.clocked_store import ClockedStore
from support.secure_chain import PASSWORDS, SecureChain, bearer, secure_chain
from support.store_world import PASSWORD, assert_error


def _bad(operator_id: str) -> str:
    raise NotAuthenticated("wrong", code="auth.bad_credentials")


def test_five_failures_within_the_window_lock_the_id_for_the_lock_time() -> None:
    # given a lockout and four failures of one id
    clock = FixedClock()
    lockout = OperatorLockout(clock)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(NotAuthenticated) as err:
            lockout.attempt("1003", lambda: _bad("1003"))
        assert not isinstance(err.value, LockedOut)
    # when the fifth fails
    with pytest.raises(LockedOut) as locked:
        lockout.attempt("1003", lambda: _bad("1003"))
    # then the id is locked for LOCK_S, even for a sign-in that would succeed
    assert locked.value.details == {"operator_id": "1003", "retry_after_s": int(LOCK_S)}
    clock.advance(LOCK_S - 1)
    with pytest.raises(LockedOut):
        lockout.attempt("1003", lambda: "signed in")
    # and another id is not affected; after the lock the right password works again
    assert lockout.attempt("1002", lambda: "signed in") == "signed in"
    clock.advance(1)
    assert lockout.attempt("1003", lambda: "signed in") == "signed in"


def test_failures_spread_beyond_the_window_do_not_lock() -> None:
    # given failures further apart than the window allows five of
    clock = FixedClock()
    lockout = OperatorLockout(clock)
    for _ in range(2 * MAX_FAILURES):
        with pytest.raises(NotAuthenticated) as err:
            lockout.attempt("1003", lambda: _bad("1003"))
        assert not isinstance(err.value, LockedOut)
        clock.advance(WINDOW_S / (MAX_FAILURES - 1) + 1)
    # then the id is never locked
    assert lockout.retry_after_s("1003") == 0


def test_a_good_sign_in_forgets_earlier_failures() -> None:
    # given four failures, then a good sign-in
    lockout = OperatorLockout(FixedClock())
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(NotAuthenticated):
            lockout.attempt("1003", lambda: _bad("1003"))
    lockout.attempt("1003", lambda: "signed in")
    # when four more fail
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(NotAuthenticated) as err:
            lockout.attempt("1003", lambda: _bad("1003"))
        assert not isinstance(err.value, LockedOut)
    # then the id is still not locked
    assert lockout.retry_after_s("1003") == 0


def _sign_in(client: httpx.Client, headers: dict[str, str], operator_id: str,
             password: str) -> httpx.Response:
    return client.post("/api/sign-in", headers=headers,
                       json={"operator_id": operator_id, "password": password})


def _lock(client: httpx.Client, headers: dict[str, str], operator_id: str) -> httpx.Response:
    """Four wrong passwords (401 each) and the fifth (the locking answer)."""
    for _ in range(MAX_FAILURES - 1):
        assert_error(_sign_in(client, headers, operator_id, "wrong-password"), 401,
                     "auth.bad_credentials")
    return _sign_in(client, headers, operator_id, "wrong-password")


def _assert_locked(answer: httpx.Response) -> None:
    assert_error(answer, 429, "auth.locked_out")
    assert answer.json()["error"]["details"]["retry_after_s"] > 0
    assert int(answer.headers["retry-after"]) == answer.json()["error"]["details"][
        "retry_after_s"]


def test_the_store_server_locks_an_operator_after_five_failures(store: ClockedStore) -> None:
    # given operator 1003 of the store
    headers = store.auth()
    # when five wrong passwords are tried
    _assert_locked(_lock(store.client, headers, "1003"))
    # then the right password is refused too, until the lock time has passed
    _assert_locked(_sign_in(store.client, headers, "1003", PASSWORD))
    store.clock.advance(LOCK_S)
    answer = _sign_in(store.client, headers, "1003", PASSWORD)
    assert answer.status_code == 200, answer.text


def test_the_store_server_locks_unknown_ids_alike(store: ClockedStore) -> None:
    # given an operator id that does not exist
    # when five sign-ins fail / then it is locked like a real one (ids cannot be probed)
    _assert_locked(_lock(store.client, store.auth(), "9999"))


@pytest.fixture
def chain(data_dir: Path) -> Iterator[SecureChain]:
    with secure_chain(data_dir) as built:
        yield built


def test_the_register_locks_an_operator_signing_in_offline(chain: SecureChain) -> None:
    # given the register offline (operation 917 by the manager)
    chain.operation_917(chain.sign_in("1001"), "disconnect")
    # when the cashier's id fails five times at the register
    _assert_locked(_lock(chain.register, {}, "367-1"))
    # then the right password is refused until the lock time has passed on the register
    _assert_locked(_sign_in(chain.register, {}, "367-1", PASSWORDS["367-1"]))
    chain.register_clock.advance(LOCK_S)
    answer = _sign_in(chain.register, {}, "367-1", PASSWORDS["367-1"])
    assert answer.status_code == 200, answer.text
    assert chain.store.post("/api/sign-in", headers=bearer(chain.identity.device_token), json={
        "operator_id": "367-1", "password": PASSWORDS["367-1"]}).status_code == 200


def test_a_lock_at_the_store_server_reaches_the_cashier_online(chain: SecureChain) -> None:
    # given the register online
    # when the cashier's id fails five times (the store server counts)
    answer = _lock(chain.register, {}, "367-1")
    # then the register answers the store server's lockout as it is: 429 auth.locked_out
    assert_error(answer, 429, "auth.locked_out")
    assert answer.json()["error"]["details"]["retry_after_s"] > 0
