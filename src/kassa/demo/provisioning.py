"""Provisioning of the demo chain: catalogue, HQ settings, tokens, registers (DESIGN §4, §6).

In order (:mod:`kassa.demo.run` drives it):

1. :func:`fresh_data_dir` — the demo's own directory, wiped when it holds an earlier demo.
2. :func:`database_urls` — SQLite files there, or fresh PostgreSQL databases
   ``kassa_demo_hq`` / ``kassa_demo_store_<id>`` on the server of ``--database-url``.
3. :func:`import_catalogue` — The Complete Journey into HQ (in-process importer).
4. :func:`configure_hq` — the demo's offline profile (:data:`DEMO_PROFILE`) and the commerce
   parameter *Allow concluding gift card transactions in offline mode* = yes, saved with the
   back office's versioned writes (:mod:`kassa.hq.web.settings`) so the next schedule run
   distributes them.
5. with HQ running, :class:`HQAdmin` (HQ's admin API): store server token, distribution
   schedule run for the store's data group, activation codes, gift cards, posting runs.
6. :func:`activate_registers` — each register trades its code for a device token at the
   store server (:func:`kassa.pos.identity.activate`, what ``kassa pos activate`` runs).
7. :func:`sign_in_and_sync` — the operator signs in at each running register (which starts
   its sync loop); wait until its offline DB holds the snapshot (``offline_db_ready``).
8. :func:`discard_store_databases` — with ``--all-stores``, a finished store's databases
   are deleted so that the whole year fits on a disk.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from kassa.auth.tokens import admin_token
from kassa.config import sqlite_url
from kassa.db import hq_schema as s
from kassa.db.engine import make_engine
from kassa.db.migrate import prepare_database
from kassa.domain.errors import InvalidInput, KassaError, Unavailable
from kassa.domain.offline_profile import OfflineProfile
from kassa.hq.importer import ImportReport, Progress, run_import
from kassa.hq.importer.chain import DEFAULT_PROFILE_NAME, DEMO_PASSWORD
from kassa.pos.identity import activate

#: The demo's offline profile (issue 7): switch within a second, reconnect after 3 s, upload
#: every second, download every 5 s.
DEMO_PROFILE: Final = OfflineProfile(timeout_s=1, retry_count_to_offline=0,
                                     reconnect_interval_s=3, download_interval_s=5,
                                     upload_interval_s=1, upload_batch_size=100)
#: The operator the replay signs in with: a supervisor may override prices and discount.
OPERATOR: Final = "1002"
PASSWORD: Final = DEMO_PASSWORD
#: The file marking a directory as the demo's own (only such a directory is wiped).
MARKER: Final = ".kassa-demo"
GIFT_CARD_PARAMETER: Final = "allow_offline_gift_card_conclusion"


def fresh_data_dir(path: Path) -> Path:
    """Create ``path`` empty. An existing directory is wiped only when it is empty or holds
    :data:`MARKER` (an earlier demo); anything else is refused.

    Raises:
        InvalidInput: ``demo.data_dir_in_use``.
    """
    path = path.expanduser().resolve()
    if path.exists():
        if any(path.iterdir()) and not (path / MARKER).exists():
            raise InvalidInput(f"{path} is not empty and not a demo directory; choose another "
                               "--data-dir", code="demo.data_dir_in_use")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("kassa demo data; wiped by the next `kassa demo`\n")
    return path


def _pg_admin(admin_url: str, *statements: str) -> None:
    """Run ``statements`` outside a transaction on the server of ``admin_url``."""
    engine = make_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _pg_recreate(admin_url: str, name: str) -> str:
    _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
              f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def store_database_url(database_url: str, store_id: int) -> str:
    """A fresh PostgreSQL database ``kassa_demo_store_<id>`` on the server of
    ``database_url`` → its URL. Raises Unavailable ``demo.database``."""
    try:
        return _pg_recreate(database_url, f"kassa_demo_store_{store_id}")
    except Exception as exc:  # any driver error: one clear line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise Unavailable(f"cannot prepare the demo database of store {store_id}: {first}",
                          code="demo.database") from exc


def discard_store_databases(data_dir: Path, store_id: int, database_url: str | None) -> None:
    """Delete a finished store's channel DB and its registers' offline DBs (the SQLite
    files with their ``-wal``/``-shm``; with ``database_url``, the PostgreSQL database
    ``kassa_demo_store_<id>`` is dropped instead of the channel file).

    ``kassa demo --all-stores`` calls it once a store is stopped: 457 channel DBs and some
    765 offline DBs of the whole catalogue would need about 70 GB; the report needs only
    HQ's posted data and what each store's run kept in memory. Logs stay.

    Raises:
        Unavailable: ``demo.database`` when the PostgreSQL database cannot be dropped.
    """
    patterns = [f"offline-{store_id}-*.sqlite*"]
    if database_url is None:
        patterns.append(f"channel-{store_id}.sqlite*")
    for pattern in patterns:
        for path in data_dir.glob(pattern):
            path.unlink()
    if database_url is not None:
        try:
            _pg_admin(database_url,
                      f'DROP DATABASE IF EXISTS "kassa_demo_store_{store_id}" WITH (FORCE)')
        except Exception as exc:  # any driver error: one clear line
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise Unavailable(f"cannot drop the demo database of store {store_id}: {first}",
                              code="demo.database") from exc


def database_urls(data_dir: Path, stores: list[int], database_url: str | None
                  ) -> tuple[str, dict[int, str | None]]:
    """``(HQ URL, {store: channel DB URL or None for the default SQLite file})``.

    With ``database_url`` (PostgreSQL; a role that may create databases), HQ and every store
    get a fresh database on that server: ``kassa_demo_hq``, ``kassa_demo_store_<id>``.

    Raises:
        Unavailable: ``demo.database`` when the server cannot be reached.
    """
    if not database_url:
        return sqlite_url(data_dir / "hq.sqlite"), dict.fromkeys(stores)
    try:
        hq = _pg_recreate(database_url, "kassa_demo_hq")
    except Exception as exc:  # any driver error: one clear line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise Unavailable(f"cannot prepare the demo databases: {first}",
                          code="demo.database") from exc
    return hq, {sid: store_database_url(database_url, sid) for sid in stores}


def import_catalogue(hq_url: str, registers: int, progress: Progress | None = None
                     ) -> ImportReport:
    """Migrate HQ and import The Complete Journey (``registers`` per store, at least 4)."""
    engine = prepare_database(hq_url, "hq")
    try:
        return run_import(engine, registers_per_store=max(4, registers), progress=progress)
    finally:
        engine.dispose()


def configure_hq(hq_url: str, profile: OfflineProfile = DEMO_PROFILE) -> None:
    """Save the demo offline profile (as the store's profile ``Default``) and switch the
    offline gift card conclusion on, as versioned master data (module docstring, step 4)."""
    from kassa.hq.web.settings import save_parameters, save_profile

    engine = prepare_database(hq_url, "hq")
    try:
        with engine.connect() as conn:
            profile_id = conn.execute(select(s.offline_profiles.c.id).where(
                s.offline_profiles.c.name == DEFAULT_PROFILE_NAME)).scalar_one()
        save_profile(engine, int(profile_id), DEFAULT_PROFILE_NAME, profile)
        save_parameters(engine, {GIFT_CARD_PARAMETER: "true"})
    finally:
        engine.dispose()


def register_ids(engine: Engine, store_id: int, count: int) -> dict[int, uuid.UUID]:
    """Register number → HQ register id for registers 1..``count`` of the store.

    Raises:
        InvalidInput: ``demo.registers`` when the store has fewer registers.
    """
    t = s.registers.c
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        rows = conn.execute(select(t.number, t.id).where(
            t.store_id == store_id, t.number <= count)).all()
    found = {int(n): rid for n, rid in rows}
    if len(found) < count:
        raise InvalidInput(f"store {store_id} has {len(found)} registers, {count} wanted",
                           code="demo.registers")
    return found


class HQAdmin:
    """HQ's admin API with the admin token (docs/API.md "HQ"); every error answer raises
    Unavailable ``demo.hq`` with HQ's code and message."""

    def __init__(self, url: str, data_dir: Path, timeout_s: float = 60.0) -> None:
        self.url = url
        self.token = admin_token(data_dir)
        self.http = httpx.Client(base_url=url, timeout=timeout_s,
                                 headers={"Authorization": f"Bearer {self.token}"})

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One admin call → its JSON answer (retried on a connection error for 30 s)."""
        deadline = time.monotonic() + 30.0
        while True:
            try:
                answer = self.http.request(method, path, **kwargs)
                break
            except httpx.TransportError as exc:
                if time.monotonic() > deadline:
                    raise Unavailable(f"HQ at {self.url} does not answer: {exc!r}",
                                      code="demo.hq") from exc
                time.sleep(0.5)
        if answer.status_code >= 400:
            try:
                error = answer.json()["error"]
                what = f"{error['code']}: {error['message']}"
            except (ValueError, KeyError, TypeError):
                what = f"HTTP {answer.status_code}"
            raise Unavailable(f"HQ refused {method} {path}: {what}", code="demo.hq")
        return answer.json()

    def store_token(self, store_id: int) -> str:
        """A new store server token for ``store_id``."""
        return str(self.call("POST", f"/api/stores/{store_id}/server-token")["token"])

    def run_schedule(self, data_group_ids: list[int], name: str = "All jobs") -> Any:
        """Run the distribution schedule ``name`` for the data groups → HQ's outcome."""
        schedule = next(x for x in self.call("GET", "/api/schedules") if x["name"] == name)
        return self.call("POST", f"/api/schedules/{schedule['id']}/run",
                         params={"data_group_id": data_group_ids})

    def activation_code(self, register_id: uuid.UUID) -> str:
        """A one-time activation code for a register."""
        return str(self.call("POST", f"/api/registers/{register_id}/activation-code")["code"])

    def issue_gift_card(self, amount_cents: int, transaction_id: uuid.UUID) -> str:
        """Issue a gift card of ``amount_cents`` (idempotent by ``transaction_id``) → number."""
        body = {"kind": "gift_card", "amount_cents": amount_cents,
                "transaction_id": str(transaction_id)}
        return str(self.call("POST", "/api/giftcards", json=body)["number"])

    def gift_cards(self, *, locked: bool | None = None) -> list[dict[str, Any]]:
        """Every gift card (or only locked ones), following the pages."""
        out: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"kind": "gift_card", "limit": 500}
            if locked is not None:
                params["locked"] = locked
            if after is not None:
                params["after"] = after
            page = self.call("GET", "/api/giftcards", params=params)["cards"]
            out.extend(page)
            if len(page) < 500 or locked:
                return out
            after = page[-1]["number"]

    def run_posting(self, store_id: int) -> dict[str, Any]:
        """Run the P-job for one store now → its counts."""
        answer = self.call("POST", "/api/posting/run", params={"store_id": store_id})
        stores = answer.get("stores") or [{}]
        return dict(stores[0])


@dataclass
class RegisterHandle:
    """A running register: store, number, base URL and the operator's session token."""

    store_id: int
    number: int
    url: str
    token: str = ""

    @property
    def name(self) -> str:
        """``367/1``."""
        return f"{self.store_id}/{self.number}"


def activate_registers(admin: HQAdmin, hq_engine: Engine, store_id: int, store_url: str,
                       count: int, data_dir: Path) -> None:
    """Activation code at HQ → ``activate`` at the store server, for registers 1..count."""
    for number, rid in sorted(register_ids(hq_engine, store_id, count).items()):
        activate(store_url, admin.activation_code(rid), store_id, number, data_dir)


def sign_in_and_sync(registers: list[RegisterHandle], timeout_s: float = 120.0) -> None:
    """Sign the demo operator in at each register (starting its sync loop) and wait until
    every offline DB holds its snapshot (``offline_db_ready``).

    Raises:
        Unavailable: ``demo.sync`` when a register is not ready in time.
    """
    with httpx.Client(timeout=30.0) as client:
        for reg in registers:
            answer = client.post(f"{reg.url}/api/sign-in",
                                 json={"operator_id": OPERATOR, "password": PASSWORD})
            if answer.status_code != 200:
                raise Unavailable(f"sign-in at register {reg.name} failed: {answer.text}",
                                  code="demo.sync")
            reg.token = str(answer.json()["token"])
        deadline = time.monotonic() + timeout_s
        waiting = list(registers)
        while waiting:
            reg = waiting[0]
            try:
                conn = client.get(f"{reg.url}/api/status").json()["connection"]
                if conn.get("offline_db_ready") and conn.get("checkpoint"):
                    waiting.pop(0)
                    continue
            except (httpx.HTTPError, ValueError, KeyError, KassaError):
                pass
            if time.monotonic() > deadline:
                raise Unavailable(f"register {reg.name}: the offline DB has no snapshot after "
                                  f"{timeout_s:g} s", code="demo.sync")
            time.sleep(0.2)
