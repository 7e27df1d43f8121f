"""The async sync client's download: snapshot, deltas, refusals, readiness (DESIGN §3.5, §4)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete

from kassa.db import channel_schema
from kassa.store import served
from kassa.sync.package import PackageContent, TableChanges, encode, make_header
from pos.world import GROUP, PASSWORDS, T0, StoreWorld, store_world


def delta(number: int, tables: list[TableChanges]) -> tuple[dict[str, Any], bytes]:
    content = PackageContent(GROUP, number, number - 1, "delta", tables)
    body = encode(content)
    return make_header(content, body, jobs=[1040, 1070], high_water_version=number,
                                created_at=T0.isoformat()), body


def serve(world: StoreWorld, header: dict[str, Any], body: bytes) -> None:
    with world.channel.begin() as conn:
        conn.execute(delete(served.served_packages).where(
            served.served_packages.c.number == header["number"]))
        served.keep(conn, header, body, T0 + timedelta(minutes=header["number"]))


def columns(name: str) -> list[str]:
    return [c.name for c in channel_schema.metadata.tables[name].columns]


def price_change(number: int, cents: int) -> tuple[dict[str, Any], bytes]:
    return delta(number, [
        TableChanges("prices", columns("prices"), rows=[[1001, cents, number]]),
        TableChanges("products", columns("products"), deletes=[[1004]]),
    ])


def test_a_new_register_starts_from_the_snapshot_and_becomes_ready(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        reg = world.register(sync=False)
        assert reg.status()["connection"]["offline_db_ready"] is False
        attempt = reg.sync.download_now()
        assert (attempt.result, attempt.package_number, attempt.error) == ("ok", 1, None)
        assert attempt.rows is not None and attempt.rows > 10
        status = reg.status()["connection"]
        assert status["offline_db_ready"] is True and status["checkpoint"] == 1
        assert status["last_download"]["result"] == "ok"
        assert status["offline_data_age_s"] is not None
        assert reg.settings.source == "offline_db" and reg.settings.store_name == "Store 367"
        again = reg.sync.download_now()
        assert (again.result, again.package_number) == ("nothing_new", 1)


def test_a_price_change_and_a_delete_reach_the_offline_db(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        reg = world.register()
        serve(world, *price_change(2, 399))
        attempt = reg.sync.download_now()
        assert (attempt.result, attempt.package_number, attempt.rows) == ("ok", 2, 2)
        offline = reg.source.offline
        assert offline.product(1001).price_cents == 399
        assert [p.id for p in offline.search("gift wrap")] == []
        # and an offline sale uses the new price
        cashier = reg.engine.sign_in("1003", PASSWORDS["1003"])
        reg.engine.database_connection(cashier, "disconnect")
        reg.engine.start_transaction(cashier)
        assert str(reg.engine.add_line(cashier, product_id=1001).net) == "3.99"


def test_a_corrupt_package_is_refused_and_the_next_attempt_succeeds(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        reg = world.register()
        header, body = price_change(2, 399)
        serve(world, header, body[:-7] + b"garbage")  # same length, wrong bytes
        attempt = reg.sync.download_now()
        assert attempt.result == "error" and "package.checksum_mismatch" in (attempt.error or "")
        assert reg.source.offline.product(1001).price_cents == 349  # unchanged
        assert reg.status()["connection"]["checkpoint"] == 1
        serve(world, header, body)
        assert reg.sync.download_now().result == "ok"
        assert reg.source.offline.product(1001).price_cents == 399


def test_a_new_offline_profile_takes_effect_at_once(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        reg = world.register()
        assert reg.switch.profile.reconnect_interval_s == 1
        profile_cols = columns("offline_profiles")
        row = {"id": 1, "name": "Default", "timeout_s": 5, "retry_count_to_offline": 0,
               "reconnect_interval_s": 7, "health_check_interval_s": None,
               "prompt_on_seamless_offline": True, "download_interval_s": 60,
               "upload_interval_s": 10, "upload_batch_size": 50, "pause_offline_sync": False,
               "version": 2}
        serve(world, *delta(2, [TableChanges("offline_profiles", profile_cols,
                                             rows=[[row[c] for c in profile_cols]])]))
        assert reg.sync.download_now().result == "ok"
        profile = reg.switch.profile
        assert (profile.reconnect_interval_s, profile.prompt_on_seamless_offline,
                profile.upload_batch_size) == (7, True, 50)
        assert profile.timeout_s == 2.0  # the register's own override stays
