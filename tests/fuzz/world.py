"""API fuzzing worlds (issue 8 §2): a small real HQ and a real store server, served over HTTP.

Everything a fuzzer needs to know is fixed, so the schemathesis configuration can name it at
import time and a failing example replays against the same data:

* HQ (:func:`serve_hq`): :func:`support.hq_world.build_world` (stores 367 and 368, products
  1001–1003, customers, operators, tender types, parameters) plus one register per store
  with a fixed id (:data:`REGISTER_A`, :data:`REGISTER_B`; the one of store 367 carries
  :data:`DEVICE_TOKEN`'s hash), a register :data:`REGISTER_NEW` of store 367 waiting for
  activation with the one-time code :data:`ACTIVATION_CODE`, store server tokens
  :data:`STORE_TOKEN` / :data:`OTHER_STORE_TOKEN` (hashes only, as HQ keeps them), store
  367's cashier ``367-1`` with the password :data:`PASSWORD` (argon2), a gift card
  :data:`CARD` (50.00) and a credit memo :data:`MEMO` (7.00) with fixed numbers, and the
  packages of one "All jobs" run (snapshots for both data groups).
* Store server (:func:`serve_store`): the HQ above served on a free port, a channel DB of
  store 367 filled by a real pull of its packages, served by
  :func:`kassa.store.app.create_app` with the HQ pull token :data:`PULL_TOKEN`; its
  register authenticates with :data:`DEVICE_TOKEN` and its gift card calls reach the HQ.

:func:`fuzz_config` builds the schemathesis configuration (bearer tokens per OpenAPI
security scheme, dictionaries of real ids the fuzzer mixes into path, query and body values
half of the time, checks, bounded and derandomized generation).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import hypothesis
import schemathesis
from sqlalchemy import Engine, create_engine, insert, update

from kassa.auth.passwords import hash_password
from kassa.auth.tokens import token_hash
from kassa.config import sqlite_url
from kassa.db import hq_schema as s
from kassa.db.hq_distribution_schema import activation_codes
from kassa.db.hq_giftcard_schema import stored_value_cards, stored_value_ledger
from kassa.db.migrate import prepare_database
from kassa.domain.clock import FixedClock
from kassa.domain.ids import new_id
from kassa.hq.app import create_app as create_hq_app
from kassa.hq.distribution.access import issue_store_token
from kassa.hq.distribution.writer import run_schedule
from kassa.hq.realtime.numbers import luhn_check_digit
from kassa.store.app import create_app as create_store_app
from kassa.store.settings import StoreSettings
from support.hq_world import PRODUCTS, STORE_A, STORE_B, build_world
from support.postgres import admin_url, fresh_database
from support.servers import run_app_in_thread

ADMIN_TOKEN: Final = "fuzz-admin-token-0123456789abcdef"
STORE_TOKEN: Final = "fuzz-store-server-token-367-0123456789abcdef"
OTHER_STORE_TOKEN: Final = "fuzz-store-server-token-368-0123456789abcdef"
DEVICE_TOKEN: Final = "fuzz-device-token-register-367-3-0123456789"
PULL_TOKEN: Final = "fuzz-hq-pull-token-0123456789abcdef"
PASSWORD: Final = "fuzz-cashier-password"
#: A token nobody holds: the "wrong token" runs present it for every scheme.
WRONG_TOKEN: Final = "fuzz-wrong-token-0123456789abcdef0123456789"
REGISTER_A: Final = uuid.UUID("01900000-0000-7000-8000-000000000367")
REGISTER_B: Final = uuid.UUID("01900000-0000-7000-8000-000000000368")
REGISTER_NEW: Final = uuid.UUID("01900000-0000-7000-8000-000000000004")
ACTIVATION_CODE: Final = "FUZZ-CODE-0367"
CARD: Final = "600000000000001" + luhn_check_digit("600000000000001")
MEMO: Final = "700000000000002" + luhn_check_digit("700000000000002")
#: Generated cases per operation; small so the fuzz suite stays within a few minutes.
#: ``KASSA_FUZZ_EXAMPLES=500`` (and another ``KASSA_FUZZ_SEED``) digs deeper by hand.
MAX_EXAMPLES: Final = int(os.environ.get("KASSA_FUZZ_EXAMPLES", "25"))
#: Fixed, so a CI failure replays locally (with ``derandomize`` below).
SEED: Final = int(os.environ.get("KASSA_FUZZ_SEED", "20170301"))
#: ``KASSA_FUZZ_DB=postgresql`` puts the worlds' databases on PostgreSQL (by hand; needs
#: the server of :mod:`support.postgres`); SQLite files otherwise.
ON_POSTGRESQL: Final = os.environ.get("KASSA_FUZZ_DB") == "postgresql"


def fuzz_settings(max_examples: int = MAX_EXAMPLES) -> hypothesis.settings:
    """Hypothesis settings of a run (they win over the schemathesis configuration's): at most
    ``max_examples`` generated cases per operation, no deadline (real HTTP, SQLite writes),
    derandomized so CI and a laptop run the same cases, no example database."""
    return hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=True,
        suppress_health_check=list(hypothesis.HealthCheck),
    )


#: What every run checks; status_code_conformance, content_type_conformance and
#: response_schema_conformance together make "zero schema violations". Left out on purpose:
#: positive_data_acceptance (the APIs leave sign and size of amounts, card number check
#: digits and dates to the domain, which answers 422 with its own code — schema-valid but
#: refused by design) and negative_data_rejection (pydantic's lax mode takes ``false`` for
#: 0 and unknown query parameters are ignored, as FastAPI does everywhere).
CHECKS: Final = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


def fuzz_config(
    *,
    tokens: dict[str, str],
    known: dict[str, list[Any]],
    bindings: dict[str, str],
    checks: tuple[str, ...] = CHECKS,
    max_examples: int = MAX_EXAMPLES,
) -> schemathesis.Config:
    """A schemathesis configuration.

    Args:
        tokens: OpenAPI security scheme name → bearer token to present.
        known: dictionary name → real values of the world.
        bindings: parameter (``path.number``, ``query.after``, ``body.register_id``…) →
            dictionary name; the fuzzer uses a real value half of the time.
        checks: the checks to run (everything else off).
        max_examples: fuzzing examples per operation.
    """
    config: dict[str, Any] = {
        "seed": SEED,
        "generation": {"max-examples": max_examples, "deterministic": True,
                       "database": "none"},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in checks}},
        "dictionaries": {name: {"values": values} for name, values in known.items()},
        "parameters": {key: {"dictionary": name, "probability": 0.5}
                       for key, name in bindings.items()},
    }
    if tokens:
        config["auth"] = {"openapi": {scheme: {"bearer": token}
                                      for scheme, token in tokens.items()}}
    return schemathesis.Config.from_dict(config)


def offline_openapi_of_hq() -> dict[str, Any]:
    """HQ's OpenAPI document, built without a database (nothing connects)."""
    return create_hq_app(create_engine("sqlite://"), admin_token=ADMIN_TOKEN).openapi()


def offline_openapi_of_store() -> dict[str, Any]:
    """The store server's OpenAPI document, built without a database."""
    settings = StoreSettings(store_id=STORE_A, hq_pull_token=PULL_TOKEN)
    return create_store_app(create_engine("sqlite://"), settings, start_puller=False).openapi()


def plant_card(engine: Engine, number: str, kind: str, cents: int, now: datetime) -> None:
    """A card with a fixed number, stored as :func:`kassa.hq.realtime.service.issue` stores an
    issue (card row + ledger ``issue`` row), so the fuzz configuration can name it."""
    with engine.begin() as conn:
        conn.execute(insert(stored_value_cards).values(
            number=number, kind=kind, balance_cents=cents, issued_cents=cents, active=True,
            issued_at=now, holder_register_id=None, holder_transaction_id=None,
            locked_at=None))
        conn.execute(insert(stored_value_ledger).values(
            id=new_id(), number=number, transaction_id=new_id(), kind="issue",
            amount_cents=cents, at=now, register_id=None,
            issue_key=f"{kind}:{new_id()}:-"))


@contextmanager
def database(path: Path, name: str) -> Iterator[str]:
    """URL of a new database: ``path/<name>.sqlite``, or a PostgreSQL database dropped
    afterwards (:data:`ON_POSTGRESQL`)."""
    if ON_POSTGRESQL:
        with fresh_database(admin_url()) as url:
            yield url
    else:
        yield sqlite_url(path / f"{name}.sqlite")


def build_hq(url: str) -> Engine:
    """The HQ database described in the module docstring, at ``url``."""
    world = build_world(url)
    world.write(s.registers, [
        {"id": REGISTER_A, "store_id": STORE_A, "number": 3, "name": "Register 3",
         "support_offline": True, "device_token_hash": token_hash(DEVICE_TOKEN)},
        {"id": REGISTER_B, "store_id": STORE_B, "number": 3, "name": "Register 3",
         "support_offline": False, "device_token_hash": None},
        {"id": REGISTER_NEW, "store_id": STORE_A, "number": 4, "name": "Register 4",
         "support_offline": False, "device_token_hash": None},
    ])
    world.write(s.operators, [{"id": "367-1", "name": "Cashier of 367", "role": "cashier",
                               "password_hash": hash_password(PASSWORD), "store_id": STORE_A}])
    now = world.clock.now()
    with world.engine.begin() as conn:
        for store_id, token in ((STORE_A, STORE_TOKEN), (STORE_B, OTHER_STORE_TOKEN)):
            issue_store_token(conn, store_id, now)  # makes the channel entity
            conn.execute(update(s.stores).where(s.stores.c.id == store_id)
                         .values(server_token_hash=token_hash(token)))
    with world.engine.begin() as conn:
        conn.execute(insert(activation_codes).values(
            code_hash=token_hash(ACTIVATION_CODE), register_id=REGISTER_NEW, created_at=now,
            expires_at=now + timedelta(days=365)))
    plant_card(world.engine, CARD, "gift_card", 5000, now)
    plant_card(world.engine, MEMO, "credit_memo", 700, now)
    run_schedule(world.engine, "All jobs", clock=world.clock)
    return world.engine


@dataclass(frozen=True)
class Served:
    """A running app: its base URL and database."""

    url: str
    engine: Engine


@contextmanager
def serve_hq(path: Path) -> Iterator[Served]:
    """Build :func:`build_hq` in ``path`` and serve HQ on a free 127.0.0.1 port."""
    with database(path, "hq") as db_url:
        engine = build_hq(db_url)
        try:
            app = create_hq_app(engine, admin_token=ADMIN_TOKEN, clock=FixedClock())
            with run_app_in_thread(app) as url:
                yield Served(url, engine)
        finally:
            engine.dispose()


@contextmanager
def serve_store(path: Path) -> Iterator[Served]:
    """Serve HQ (:func:`serve_hq`) and store 367's server, its channel DB pulled from HQ."""
    with serve_hq(path) as hq, database(path, "channel") as db_url:
        channel = prepare_database(db_url, "channel")
        try:
            settings = StoreSettings(store_id=STORE_A, hq_pull_token=PULL_TOKEN,
                                     hq_url=hq.url, store_token=STORE_TOKEN)
            app = create_store_app(channel, settings, clock=FixedClock(
                datetime(2017, 3, 1, 12, 0, tzinfo=UTC)), start_puller=False)
            pulled = app.state.ctx.puller.pull_once()
            assert pulled.result == "ok", pulled
            with run_app_in_thread(app) as url:
                yield Served(url, channel)
        finally:
            channel.dispose()


PRODUCT_IDS: Final = [p for p, _, _, _ in PRODUCTS]
BARCODES: Final = [b for _, _, b, _ in PRODUCTS]
