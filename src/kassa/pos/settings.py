"""The register's settings: offline profile, Support offline, receipt texts (DESIGN §1, §3.5).

They come from the channel configuration (HQ job 1070): in the offline DB once its first
package is applied (:func:`from_offline_db`), or from the store server's ``GET /api/me``
before that (:func:`from_me`). :func:`offline_db_ready` is the "first sync finished" flag fed
to the switch (§3.5): a package checkpoint exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, func, select

from kassa.db import offline_schema as s
from kassa.domain.errors import InvalidInput
from kassa.domain.offline_profile import DEFAULT, OfflineProfile

_stores, _registers = s.metadata.tables["stores"], s.metadata.tables["registers"]
_profiles = s.metadata.tables["offline_profiles"]


@dataclass(frozen=True)
class RegisterSettings:
    """Settings of one register.

    Attributes:
        store_name: printed on receipts. receipt_header / receipt_footer: receipt texts.
        profile: the store's :class:`OfflineProfile` (seconds, batch sizes).
        support_offline: the register's **Support offline** flag.
        data_group_id: the store's channel data group (``None`` when unknown).
        source: ``"offline_db"``, ``"store_server"`` or ``"defaults"``.
    """

    store_name: str
    receipt_header: str = ""
    receipt_footer: str = ""
    profile: OfflineProfile = field(default=DEFAULT)
    support_offline: bool = True
    data_group_id: int | None = None
    source: str = "defaults"


def defaults(store_id: int) -> RegisterSettings:
    """Settings when nothing is known yet: the default profile, Support offline assumed
    (the switch still refuses while the offline DB is not ready)."""
    return RegisterSettings(store_name=f"Store {store_id}")


def offline_db_ready(engine: Engine) -> bool:
    """True once a data package (the first snapshot) has been applied (DESIGN §3.5)."""
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        return bool(conn.execute(select(func.count()).select_from(s.package_checkpoint)).scalar())


def _profile(row: Any) -> OfflineProfile:
    return OfflineProfile.from_mapping({k: row[k] for k in OfflineProfile.FIELDS if k in row})


def from_offline_db(engine: Engine, store_id: int, register_id: UUID) -> RegisterSettings | None:
    """Settings from the offline DB's mirrors; ``None`` when the store row is not there yet.

    Raises:
        InvalidInput: ``offline_profile.*`` for a stored profile out of range.
    """
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        store = conn.execute(select(_stores).where(_stores.c.id == store_id)).mappings().first()
        if store is None:
            return None
        reg = conn.execute(select(_registers.c.support_offline)
                           .where(_registers.c.id == register_id)).first()
        prof = conn.execute(select(_profiles).where(
            _profiles.c.id == store["offline_profile_id"])).mappings().first()
    return RegisterSettings(
        store_name=store["name"], receipt_header=store["receipt_header"] or "",
        receipt_footer=store["receipt_footer"] or "",
        profile=DEFAULT if prof is None else _profile(prof),
        support_offline=bool(reg.support_offline) if reg is not None else True,
        data_group_id=store["data_group_id"], source="offline_db",
    )


def _part(me: dict[str, Any], key: str) -> dict[str, Any]:
    value = me.get(key)
    return value if isinstance(value, dict) else {}


def from_me(store_id: int, me: dict[str, Any]) -> RegisterSettings:
    """Settings from the store server's ``GET /api/me`` answer.

    Accepts ``{"register": {"support_offline"}, "store": {"name", "data_group_id",
    "receipt_header", "receipt_footer"}, "offline_profile": {...}, "receipt": {"header",
    "footer"}}``; missing parts take the defaults.

    Raises:
        InvalidInput: ``store.bad_answer`` / ``offline_profile.*`` for malformed parts.
    """
    if not isinstance(me, dict):
        raise InvalidInput("bad /api/me answer", code="store.bad_answer")
    register, store, receipt = (_part(me, "register"), _part(me, "store"),
                                _part(me, "receipt"))
    raw = me.get("offline_profile")
    profile = DEFAULT
    if isinstance(raw, dict):
        profile = OfflineProfile.from_mapping(
            {k: v for k, v in raw.items() if k in OfflineProfile.FIELDS})
    group = store.get("data_group_id")
    return RegisterSettings(
        store_name=str(store.get("name") or f"Store {store_id}"),
        receipt_header=str(receipt.get("header") or store.get("receipt_header") or ""),
        receipt_footer=str(receipt.get("footer") or store.get("receipt_footer") or ""),
        profile=profile,
        support_offline=bool(register.get("support_offline", True)),
        data_group_id=int(group) if isinstance(group, int) else None,
        source="store_server",
    )
