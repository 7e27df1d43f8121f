"""Back-office edits of offline profiles and commerce parameters, as versioned master-data
writes (DESIGN §1, §4, §6): each save is one transaction with one
:class:`kassa.hq.masterdata.VersionStamp`, so a changed row gets a new change version and
travels with the next run of a schedule holding job 1070 (offline profiles) or 1110
(commerce parameters); saving unchanged values takes no version at all.

* Offline profiles: the form's text is parsed (numbers, check boxes, blank = none for the
  health check interval) and every field is judged by
  :class:`kassa.domain.offline_profile.OfflineProfile` on its own, so each bad field shows
  its own message and nothing is saved while one is bad.
* Commerce parameters: values are JSON text; a parameter whose value is a JSON boolean
  (among them the two offline-conclusion switches of DESIGN §6) is edited as a switch.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from kassa.db import hq_schema as s
from kassa.domain.errors import InvalidInput, NotFound
from kassa.domain.offline_profile import DEFAULT, OfflineProfile
from kassa.hq.masterdata import VersionStamp, WriteCounts, upsert_rows

BOOL_FIELDS: Final = frozenset({"prompt_on_seamless_offline", "pause_offline_sync"})
OPTIONAL_FIELDS: Final = frozenset({"health_check_interval_s"})
#: Labels of the fields on the pages.
FIELD_LABELS: Final = {
    "timeout_s": "Timeout (seconds)",
    "retry_count_to_offline": "Retries before offline",
    "reconnect_interval_s": "Reconnect interval (seconds)",
    "health_check_interval_s": "Health check interval (seconds)",
    "prompt_on_seamless_offline": "Prompt on seamless offline",
    "download_interval_s": "Download interval (seconds)",
    "upload_interval_s": "Upload interval (seconds)",
    "upload_batch_size": "Upload batch size",
    "pause_offline_sync": "Pause offline sync",
}
#: What each field means and its limits, for the form.
FIELD_HELP: Final = {
    "timeout_s": "Deadline of one request to the store server, seconds (0 < x ≤ 120).",
    "retry_count_to_offline": "Retries before the register switches to offline (0–10).",
    "reconnect_interval_s": "Least time between reconnect attempts, seconds (0–86400).",
    "health_check_interval_s": "Background probe period, seconds; blank = off (0 < x ≤ 86400).",
    "prompt_on_seamless_offline": "Show a dialog (instead of a banner) when a register "
    "switches to offline.",
    "download_interval_s": "Sync loop: package download period, seconds (0 < x ≤ 86400).",
    "upload_interval_s": "Sync loop: transaction upload period, seconds (0 < x ≤ 86400).",
    "upload_batch_size": "Transactions per upload batch (1–10000).",
    "pause_offline_sync": "Stop the registers' sync loop.",
}
#: Commerce parameters the chain is expected to have, with their labels.
PARAMETER_LABELS: Final = {
    "allow_offline_gift_card_conclusion": "Allow concluding gift card transactions in offline mode",
    "allow_offline_credit_memo_conclusion": "Allow concluding credit memo transactions in "
    "offline mode",
    "receipt_line_width": "Receipt line width (characters)",
    "receipt_show_tax_summary": "Print the tax summary on receipts",
    "receipt_show_loyalty_card": "Print the loyalty card on receipts",
}
#: The two switches of DESIGN §6, always shown (created on save when missing).
OFFLINE_SWITCHES: Final = (
    "allow_offline_gift_card_conclusion",
    "allow_offline_credit_memo_conclusion",
)
MAX_NAME: Final = 120
_INT = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class Saved:
    """Outcome of a save: the row's key, the write counts and the version taken (None when
    nothing changed)."""

    key: Any
    counts: WriteCounts
    version: int | None


# -- offline profiles ----------------------------------------------------------------------


def _number(text: str) -> object:
    if _INT.match(text):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return text  # the domain names it: "must be a number of seconds (got 'abc')"
    return value if math.isfinite(value) else text


def parse_profile_form(fields: Mapping[str, str]) -> tuple[str, dict[str, Any], dict[str, str]]:
    """Form fields → ``(name, {field: value}, {field: error})``; values are what the
    admin typed when they cannot be read (the form shows them again)."""
    errors: dict[str, str] = {}
    name = fields.get("name", "").strip()
    if not name:
        errors["name"] = "A name is required."
    elif len(name) > MAX_NAME:
        errors["name"] = f"The name is longer than {MAX_NAME} characters."
    values: dict[str, Any] = {}
    for f in OfflineProfile.FIELDS:
        raw = fields.get(f, "").strip()
        if f in BOOL_FIELDS:
            values[f] = raw in ("on", "true", "1")
        elif not raw:
            values[f] = None
            if f not in OPTIONAL_FIELDS:
                errors[f] = "A value is required."
        else:
            values[f] = _number(raw)
    for f in OfflineProfile.FIELDS:
        if f in errors:
            continue
        try:
            OfflineProfile(**{f: values[f]})
        except InvalidInput as exc:
            text = exc.message.removeprefix("offline profile: ").removeprefix(f"{f} ")
            errors[f] = _sentence(text)
    return name, values, errors


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def list_profiles(conn: Connection) -> list[dict[str, Any]]:
    """Every offline profile with its values, version and the number of stores using it."""
    used: dict[int, int] = dict(
        conn.execute(
            select(s.stores.c.offline_profile_id, func.count()).group_by(
                s.stores.c.offline_profile_id
            )
        ).all()
    )
    rows = conn.execute(select(s.offline_profiles).order_by(s.offline_profiles.c.id)).mappings()
    return [{**r, "stores": int(used.get(r["id"], 0))} for r in rows]


def get_profile(conn: Connection, profile_id: int) -> dict[str, Any]:
    """One profile as a dict. Raises NotFound ``offline_profile.unknown``."""
    row = conn.execute(
        select(s.offline_profiles).where(s.offline_profiles.c.id == profile_id)
    ).mappings().first()
    if row is None:
        raise NotFound(f"no offline profile {profile_id}", code="offline_profile.unknown")
    return dict(row)


def blank_profile() -> dict[str, Any]:
    """Values of a new profile's form: the defaults of DESIGN §1."""
    return {"id": None, "name": "", **DEFAULT.to_mapping()}


def save_profile(
    engine: Engine, profile_id: int | None, name: str, profile: OfflineProfile
) -> Saved:
    """Insert (``profile_id`` None) or update one offline profile, versioned.

    Raises:
        NotFound: ``offline_profile.unknown``. InvalidInput: ``offline_profile.name_taken``
        (details ``field: name``).
    """
    op = s.offline_profiles.c
    try:
        with engine.begin() as conn:
            stamp = VersionStamp(conn)
            if profile_id is None:
                top = conn.execute(select(func.coalesce(func.max(op.id), 0))).scalar_one()
                profile_id = int(top) + 1
            else:
                get_profile(conn, profile_id)
            taken = conn.execute(
                select(op.id).where(op.name == name, op.id != profile_id)
            ).first()
            if taken is not None:
                raise _name_taken(name)
            row = {"id": profile_id, "name": name, **profile.to_mapping()}
            counts = upsert_rows(conn, s.offline_profiles, [row], stamp)
            return Saved(profile_id, counts, stamp.value if stamp.taken else None)
    except IntegrityError as exc:  # a concurrent save took the name
        raise _name_taken(name) from exc


def _name_taken(name: str) -> InvalidInput:
    return InvalidInput(
        f"Another offline profile is already called {name!r}.",
        code="offline_profile.name_taken",
        details={"field": "name"},
    )


# -- commerce parameters ---------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """A commerce parameter: ``key``, JSON ``text``, decoded ``value``, ``version`` (None when
    not stored yet), ``label`` and whether it is edited as a switch."""

    key: str
    text: str
    value: Any
    version: int | None
    label: str

    @property
    def is_switch(self) -> bool:
        """True for JSON booleans."""
        return isinstance(self.value, bool)


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def list_parameters(conn: Connection) -> list[Parameter]:
    """Every stored parameter plus the missing offline switches (value false), by key."""
    cp = s.commerce_parameters.c
    found = {
        r.key: Parameter(r.key, r.value, _decode(r.value), r.version,
                         PARAMETER_LABELS.get(r.key, r.key))
        for r in conn.execute(select(cp.key, cp.value, cp.version))
    }
    for key in OFFLINE_SWITCHES:
        found.setdefault(key, Parameter(key, "false", False, None, PARAMETER_LABELS[key]))
    switches_first = sorted(found.values(), key=lambda p: (not p.is_switch, p.key))
    return sorted(switches_first, key=lambda p: p.key not in OFFLINE_SWITCHES)


def parse_parameter_form(
    fields: Mapping[str, str], current: list[Parameter]
) -> tuple[dict[str, str], dict[str, str]]:
    """Form → ``({key: JSON text}, {key: error})`` for the parameters on the page
    (``current``): switches from check boxes ``p.<key>``, others from JSON text."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for param in current:
        raw = fields.get(f"p.{param.key}")
        if param.is_switch:
            values[param.key] = json.dumps(raw in ("on", "true", "1"))
            continue
        text = (raw or "").strip()
        try:
            values[param.key] = json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            values[param.key] = text
            errors[param.key] = (
                "Not a JSON value: write a number (42), true/false, or text in double "
                'quotes ("like this").'
            )
    return values, errors


def save_parameters(engine: Engine, values: Mapping[str, str]) -> Saved:
    """Upsert the parameters ``{key: JSON text}`` in one versioned transaction."""
    rows = [{"key": k, "value": v} for k, v in sorted(values.items())]
    with engine.begin() as conn:
        stamp = VersionStamp(conn)
        counts = upsert_rows(conn, s.commerce_parameters, rows, stamp)
        return Saved(None, counts, stamp.value if stamp.taken else None)
