"""Secrets are stored as hashes, and the offline DB holds none in plain text (issue 8 §3;
DESIGN §8: "operators by id + password (hashes, never plain text; offline sign-in uses
hashes from the offline DB)", device tokens "issued at activation").

Rule source: issue 8 §3 — "register device activation (one-time code → device token,
stored hashed server-side); operator passwords hashed with a standard library (argon2 or
bcrypt), offline sign-in from hashes; the offline DB holds no plain-text secrets". One real
chain (HQ, store server, register on 127.0.0.1, SQLite files) with online and offline sales
uploaded; every database file is scanned value by value and byte by byte.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from kassa.auth.passwords import verify_password
from kassa.auth.tokens import token_hash
from kassa.db import channel_schema as cs
from kassa.db import hq_schema as hs
from kassa.db import offline_schema as os_
from kassa.domain.errors import InvalidInput
from kassa.pos.identity import RegisterIdentity
from support.hq_world import STORE_A
from support.secret_scan import columns_scanned, secrets_found
from support.secure_chain import ADMIN, PASSWORDS, PULL_TOKEN, SecureChain, secure_chain


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureChain]:
    data_dir = tmp_path_factory.mktemp("secrets") / "kassa-data"
    data_dir.mkdir()
    with secure_chain(data_dir) as built:
        session = built.sign_in("1001")
        built.sale(session)  # online, journaled in the offline DB too
        built.operation_917(session, "disconnect")
        built.sale(built.sign_in("367-1"))  # offline, from the offline DB's hashes
        built.operation_917(session, "connect")
        built.upload()
        built.report_to_hq()
        yield built


def _secrets(chain: SecureChain, *, pull_token: bool = True) -> dict[str, str]:
    found = {"device token": chain.identity.device_token, "store server token":
             chain.store_token, "admin token": ADMIN,
             **{f"password of {k}": v for k, v in PASSWORDS.items()}}
    if pull_token:
        found["HQ pull token"] = PULL_TOKEN
    return found


def _path(engine: Engine) -> Path:
    assert engine.url.database is not None
    return Path(engine.url.database)


def test_the_offline_db_holds_no_plain_text_secret(chain: SecureChain) -> None:
    # given the register's provisioned offline DB after online and offline sales
    path = _path(chain.runtime.offline_db)
    assert columns_scanned(path) > 100
    # when every value of every column and every byte of the file and its WAL is searched
    found = secrets_found(path, _secrets(chain))
    # then no device token, password, store server, admin or HQ pull token is there
    assert found == []


def test_the_channel_db_and_hq_keep_no_device_token_password_or_store_token(
        chain: SecureChain) -> None:
    # given the channel DB and the HQ DB after activation, packages and sales
    # when they are searched the same way
    # then none of the secrets is there (HQ keeps the store server's pull token in order to
    # present it when it pulls, so that one is not searched at HQ)
    assert secrets_found(_path(chain.channel), _secrets(chain)) == []
    assert secrets_found(_path(chain.hq.engine), _secrets(chain, pull_token=False)) == []


def test_the_device_token_is_kept_as_its_sha256_by_hq_and_the_store_server(
        chain: SecureChain) -> None:
    # given the activated register / when HQ's and the store's register rows are read
    digest = token_hash(chain.identity.device_token)
    with chain.hq.engine.connect() as conn:
        at_hq = conn.execute(select(hs.registers.c.device_token_hash).where(
            hs.registers.c.id == chain.register_id)).scalar_one()
    registers = cs.metadata.tables["registers"]
    with chain.channel.connect() as conn:
        at_store = conn.execute(select(registers.c.device_token_hash).where(
            registers.c.id == chain.register_id)).scalar_one()
    # then both hold its SHA-256, not the token
    assert at_hq == at_store == digest != chain.identity.device_token


@pytest.mark.parametrize("where", ["hq", "channel", "offline"])
def test_operator_passwords_are_argon2id_hashes(chain: SecureChain, where: str) -> None:
    # given the operators table of a tier
    engine, table = {"hq": (chain.hq.engine, hs.operators),
                     "channel": (chain.channel, cs.metadata.tables["operators"]),
                     "offline": (chain.runtime.offline_db, os_.metadata.tables["operators"])}[
        where]
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.id, table.c.password_hash)).all()
    # then every password is an argon2id hash of the operator's password
    assert {r.id for r in rows} >= {"1001", "367-1"}
    for row in rows:
        assert row.password_hash.startswith("$argon2id$"), row
        assert verify_password(row.password_hash, PASSWORDS[row.id])
        assert PASSWORDS[row.id] not in row.password_hash


def test_an_operator_signs_in_offline_from_the_hashes_in_the_offline_db(
        chain: SecureChain) -> None:
    # given the register offline (it reads the offline DB only)
    chain.operation_917(chain.sign_in("1001"), "disconnect")
    try:
        # when the cashier signs in with the right password / a wrong one
        good = chain.register.post("/api/sign-in", json={
            "operator_id": "367-1", "password": PASSWORDS["367-1"]})
        bad = chain.register.post("/api/sign-in", json={
            "operator_id": "367-1", "password": "not-the-password"})
        # and an operator of another store tries with his right password
        other = chain.register.post("/api/sign-in", json={
            "operator_id": "368-1", "password": PASSWORDS["368-1"]})
        # then only the first gets in
        assert good.status_code == 200, good.text
        assert good.json()["operator"]["operator_id"] == "367-1"
        for refused in (bad, other):
            assert refused.status_code == 401, refused.text
            assert refused.json()["error"]["code"] == "auth.bad_credentials"
    finally:
        chain.operation_917(chain.sign_in("1001"), "connect")


def test_the_identity_file_holds_the_device_token_readable_by_its_owner_only(
        chain: SecureChain, tmp_path: Path) -> None:
    # given the register's identity file in its data directory
    path = RegisterIdentity.path(chain.data_dir, STORE_A, 1)
    # then it is 0600 and holds the device token (never the offline DB)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["device_token"] == chain.identity.device_token
    # and a copy readable by others is refused when the register loads it
    copy_dir = tmp_path / "copy"
    copy_dir.mkdir()
    copied = Path(shutil.copy(path, RegisterIdentity.path(copy_dir, STORE_A, 1)))
    os.chmod(copied, 0o644)
    with pytest.raises(InvalidInput) as err:
        RegisterIdentity.load(copy_dir, STORE_A, 1)
    assert err.value.code == "register.bad_identity"
