"""The status header and the Connection status window (DESIGN §3.6).

Shape of :func:`register_status` (``GET /api/status`` of the register)::

    {"header": {"mode": "online" | "offline", "manual": bool, "mode_label": str,
                "since": ISO, "reason": str | None, "store_id", "store_name",
                "register_number", "register_id", "operator": {...} | None,
                "pending_uploads": int, "button_label": "Disconnect" | "Connect"},
     "warning": {"style": "dialog" | "banner", "message", "at"} | None,
     "connection": {"mode", "manual", "since", "reason", "support_offline",
                    "offline_db_ready", "in_transaction", "last_probe_at", "last_probe_ok",
                    "last_probe_error", "probes": int,
                    "last_download": attempt | None, "last_upload": attempt | None,
                    "pending_uploads": int, "oldest_pending_age_s": float | None,
                    "checkpoint": int | None, "offline_data_age_s": float | None,
                    "pending_unlocks": int, "sync_running": bool, "sync_paused": bool},
     "cart": {"open": bool, "receipt_number": str | None, "recovered": str | None}}

``attempt`` = ``{"kind", "at", "result", "package_number", "rows", "count", "error"}``.
Ages are seconds. ``pending_unlocks``: gift card / credit memo unlocks waiting for the
store server (DESIGN §6, :mod:`kassa.pos.unlock_queue`).
"""

from __future__ import annotations

from typing import Any

from kassa.domain.clock import Clock
from kassa.domain.switch import Mode, SwitchStatus
from kassa.pos.engine import PosEngine
from kassa.pos.settings import RegisterSettings
from kassa.sync import attempts


def mode_label(status: SwitchStatus) -> str:
    """``"online"``, ``"offline (automatic)"`` or ``"offline (manual)"``."""
    if status.mode is Mode.ONLINE:
        return "online"
    return "offline (manual)" if status.manual else "offline (automatic)"


def register_status(
    engine: PosEngine,
    settings: RegisterSettings,
    clock: Clock,
    *,
    sync_running: bool,
) -> dict[str, Any]:
    """The status header, the pending warning and the Connection status window (module
    docstring) from the switch, the sessions and the offline DB."""
    source = engine.source
    switch = source.switch.status()
    offline_db = source.offline.engine
    queue = attempts.summary(offline_db)
    now = clock.now()
    session = engine.sessions.current
    download, upload = attempts.last(offline_db, "download"), attempts.last(offline_db, "upload")
    cart = engine.cart
    header = {
        "mode": switch.mode.value, "manual": switch.manual, "mode_label": mode_label(switch),
        "since": switch.since.isoformat(), "reason": switch.reason,
        "store_id": engine.store_id, "store_name": settings.store_name,
        "register_number": engine.register_number, "register_id": str(engine.register_id),
        "operator": None if session is None else session.operator.to_dict(),
        "pending_uploads": queue.pending, "button_label": switch.button_label,
    }
    connection = {
        **{k: v for k, v in switch.to_dict().items() if k != "button_label"},
        "probes": source.probe_count,
        "last_download": None if download is None else download.to_dict(),
        "last_upload": None if upload is None else upload.to_dict(),
        "pending_uploads": queue.pending,
        "oldest_pending_age_s": queue.oldest_pending_age_s(now),
        "checkpoint": queue.checkpoint,
        "offline_data_age_s": queue.data_age_s(now),
        "pending_unlocks": engine.unlocks.count(),
        "sync_running": sync_running,
        "sync_paused": settings.profile.pause_offline_sync,
    }
    warning = source.warning
    return {
        "header": header,
        "warning": None if warning is None else warning.to_dict(),
        "connection": connection,
        "cart": {"open": cart is not None,
                 "receipt_number": None if cart is None else cart.receipt_number,
                 "recovered": engine.recovered},
    }
