"""A small real store for register tests: channel DB, store server app, fault proxy.

``with store_world(data_dir) as world:`` builds one snapshot package (store 367, two
registers, four products, operators with real argon2 hashes, tax groups, parameters), applies
it to a fresh channel DB, keeps it as the package the store serves to its registers, serves
the real store server app (:func:`kassa.store.app.create_app`) on a free 127.0.0.1 port
behind a :class:`FaultProxy`, and always stops both. Registers are real
:class:`~kassa.pos.runtime.RegisterRuntime` objects pointing at the proxy
(:meth:`StoreWorld.register`); each gets its offline DB by the real async sync.

Requests reaching the store server are counted per path (:attr:`StoreWorld.requests`) by a
thin ASGI wrapper, to count probes (``GET /api/health``).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from kassa.auth.passwords import hash_password
from kassa.auth.tokens import token_hash
from kassa.config import sqlite_url
from kassa.db import channel_schema
from kassa.db.migrate import prepare_database
from kassa.domain.barcode import upc_a_from_id
from kassa.domain.offline_profile import OfflineProfile
from kassa.pos.identity import RegisterIdentity
from kassa.pos.runtime import RegisterRuntime
from kassa.store import served
from kassa.store.app import create_app
from kassa.store.settings import StoreSettings
from kassa.sync.apply import apply_package
from kassa.sync.package import PackageContent, TableChanges, encode, make_header
from support.fault_proxy import FaultProxy
from support.servers import run_app_in_thread

STORE = 367
GROUP = 367
T0 = datetime(2017, 6, 1, 9, 0, tzinfo=UTC)
PASSWORDS = {"1002": "super-1002", "1003": "cashier-1003"}
#: (id, name, department, tax group, unit, price cents or None)
PRODUCTS = (
    (1001, "Whole Milk 1 gal", "GROCERY", "FOOD", "each", 349),
    (1002, "Shampoo 12 oz", "DRUG GM", "STANDARD", "each", 599),
    (1003, "Bananas", "PRODUCE", "FOOD", "lb", 59),
    (1004, "Gift wrap (no price)", "MISC", "STANDARD", "each", None),
)
_HASHES: dict[str, str] = {}


def barcode(product_id: int) -> str:
    """The product's UPC-A (as the importer gives it)."""
    return upc_a_from_id(product_id)


def _hash(operator_id: str) -> str:
    if operator_id not in _HASHES:
        _HASHES[operator_id] = hash_password(PASSWORDS[operator_id])
    return _HASHES[operator_id]


def master_rows(registers: list[dict[str, Any]], profile: OfflineProfile) -> dict[str, list[dict]]:
    """Rows per mirror table (every row with ``version`` 1)."""
    rows: dict[str, list[dict[str, Any]]] = {
        "data_groups": [{"id": GROUP, "name": f"Store {STORE}"}],
        "offline_profiles": [{"id": 1, "name": "Default", **profile.to_mapping()}],
        "stores": [{"id": STORE, "name": f"Store {STORE}", "data_group_id": GROUP,
                    "offline_profile_id": 1, "currency": "USD",
                    "receipt_header": "Kassa Market", "receipt_footer": "Thank you!",
                    "server_token_hash": None}],
        "registers": registers,
        "tax_groups": [{"id": "FOOD", "name": "Food", "rate_bp": 0},
                       {"id": "STANDARD", "name": "Standard", "rate_bp": 625}],
        "products": [{"id": pid, "name": name, "manufacturer_id": 1, "department": dept,
                      "brand": "Private", "category": None, "product_type": None,
                      "package_size": None, "barcode": barcode(pid), "unit_of_measure": unit,
                      "tax_group_id": tax} for pid, name, dept, tax, unit, _ in PRODUCTS],
        "prices": [{"product_id": pid, "price_cents": cents}
                   for pid, *_, cents in PRODUCTS if cents is not None],
        "customers": [{"id": 7, "name": "Household 7", "loyalty_card": "400000000007",
                       "age": None, "income": None, "home_ownership": None,
                       "marital_status": None, "household_size": None, "household_comp": None,
                       "kids_count": None}],
        "operators": [{"id": oid, "name": name, "role": role, "password_hash": _hash(oid),
                       "store_id": STORE}
                      for oid, name, role in (("1002", "Sue Pervisor", "supervisor"),
                                              ("1003", "Cass Hier", "cashier"))],
        "tender_types": [{"id": "cash", "name": "Cash", "opens_drawer": True,
                          "allows_change": True},
                         {"id": "card", "name": "Card", "opens_drawer": False,
                          "allows_change": False}],
        "commerce_parameters": [{"key": "allow_offline_gift_card_conclusion",
                                 "value": "false"}],
    }
    for table in rows.values():
        for row in table:
            row["version"] = 1
    return rows


def _wire(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.hex
    return value


def snapshot(registers: list[dict[str, Any]], profile: OfflineProfile,
             number: int = 1) -> tuple[dict[str, Any], bytes]:
    """A snapshot package (header, body) of the rows of :func:`master_rows`."""
    rows = master_rows(registers, profile)
    tables = []
    for table in channel_schema.MASTER_DATA_TABLES:
        columns = [c.name for c in table.columns]
        tables.append(TableChanges(table.name, columns,
                                   [[_wire(r.get(c)) for c in columns] for r in rows[table.name]]))
    content = PackageContent(GROUP, number, 0, "snapshot", tables)
    body = encode(content)
    header = make_header(content, body, jobs=[1010, 1040, 1060, 1070, 1110],
                         high_water_version=1, created_at=T0.isoformat())
    return header, body


class CountingApp:
    """ASGI wrapper counting ``"METHOD /path"`` of every HTTP request that reaches the app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            with self._lock:
                self.requests[f"{scope['method']} {scope['path']}"] += 1
        await self.app(scope, receive, send)


@dataclass
class StoreWorld:
    """Handles on the running store: channel DB, proxy, counted requests, register ids."""

    data_dir: Path
    channel: Engine
    proxy: FaultProxy
    counting: CountingApp
    direct_url: str
    identities: dict[int, RegisterIdentity] = field(default_factory=dict)
    stack: ExitStack = field(default_factory=ExitStack)

    @property
    def requests(self) -> Counter[str]:
        """Requests per ``"METHOD /path"`` that reached the store server."""
        return self.counting.requests

    def probes(self) -> int:
        """Health probes that reached the store server."""
        return self.requests["GET /api/health"]

    def register(self, number: int = 1, *, sync: bool = True, timeout_s: float = 2.0,
                 background: bool = False, **overrides: Any) -> RegisterRuntime:
        """A register runtime through the proxy (closed with the world); with ``sync`` its
        offline DB gets the snapshot by a real download first. ``timeout_s`` is generous
        (2 s) so that a busy test machine never switches by accident; tests of the switch
        pass a short one."""
        runtime = RegisterRuntime(self.identities[number], self.data_dir,
                                  overrides={"timeout_s": timeout_s, **overrides},
                                  background=background)
        self.stack.callback(runtime.close)
        if sync:
            attempt = runtime.sync.download_now()
            assert attempt.result == "ok", attempt
        return runtime

    def channel_rows(self, transaction_id: uuid.UUID) -> int:
        """Rows with this id in the channel DB's ``transactions``."""
        t = channel_schema.transactions
        with self.channel.connect() as conn:
            return int(conn.execute(select(func.count()).where(t.c.id == transaction_id))
                       .scalar_one())

    def channel_count(self) -> int:
        """All rows of the channel DB's ``transactions``."""
        with self.channel.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(
                channel_schema.transactions)).scalar_one())


@contextmanager
def store_world(data_dir: Path, *, support_offline: bool = True,
                profile: OfflineProfile | None = None) -> Iterator[StoreWorld]:
    """Build and serve the store (module docstring); registers 1 and 2 are activated."""
    profile = profile or OfflineProfile(reconnect_interval_s=1, upload_interval_s=1,
                                        download_interval_s=1)
    identities, registers = {}, []
    for n in (1, 2):
        rid, token = uuid.uuid4(), f"device-token-{n}-{uuid.uuid4().hex}"
        registers.append({"id": rid, "store_id": STORE, "number": n, "name": f"Register {n}",
                          "support_offline": support_offline,
                          "device_token_hash": token_hash(token)})
        identities[n] = (rid, token)
    header, body = snapshot(registers, profile)
    channel = prepare_database(sqlite_url(data_dir / f"channel-{STORE}.sqlite"), "channel")
    with ExitStack() as stack:
        stack.callback(channel.dispose)
        apply_package(channel, header, body, now=T0)
        with channel.begin() as conn:
            served.keep(conn, header, body, T0)
        settings = StoreSettings(store_id=STORE, hq_pull_token="hq-pull-token-for-tests")
        counting = CountingApp(create_app(channel, settings, start_puller=False))
        url = stack.enter_context(run_app_in_thread(counting))
        port = int(url.rsplit(":", 1)[1])
        proxy = stack.enter_context(FaultProxy("127.0.0.1", port))
        world = StoreWorld(data_dir, channel, proxy, counting, url)
        for n, (rid, token) in identities.items():
            world.identities[n] = RegisterIdentity(STORE, n, rid, token, proxy.url)
        stack.enter_context(world.stack)
        yield world
