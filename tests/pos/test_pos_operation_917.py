"""Operation 917 Database connection status through the register API (DESIGN §3.4, §3.6)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from kassa.pos.app import create_app
from pos.world import PASSWORDS, store_world
from support.servers import run_app_in_thread


def test_disconnect_goes_offline_manual_without_automatic_reconnect(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        reg = world.register(reconnect_interval_s=0)
        with run_app_in_thread(create_app(reg)) as url, httpx.Client(base_url=url) as http:
            token = http.post("/api/sign-in", json={"operator_id": "1003",
                                                    "password": PASSWORDS["1003"]}).json()
            auth = {"Authorization": f"Bearer {token['token']}"}
            ops = http.get("/api/operations", headers=auth).json()
            button = next(o for o in ops["items"] if o["id"] == 917)
            assert button["label"] == "Disconnect" and ops["online"] is True

            # when the operator presses Disconnect
            answer = http.post("/api/operations/917", headers=auth)
            assert answer.status_code == 200, answer.text
            assert answer.json()["mode"] == "offline" and answer.json()["manual"] is True
            header = http.get("/api/status").json()["header"]
            assert header["mode_label"] == "offline (manual)"
            assert header["button_label"] == "Connect"
            assert header["operator"]["operator_id"] == "1003"

            # then no transaction start probes, even with the interval passed
            probes = world.probes()
            time.sleep(0.05)
            for _ in range(2):
                started = http.post("/api/transactions", headers=auth)
                assert started.json()["cart"]["mode"] == "offline"
                assert http.post("/api/cart/void", headers=auth).status_code == 200
            assert world.probes() == probes
            ops = http.get("/api/operations", headers=auth).json()
            gift = next(o for o in ops["items"] if o["id"] == 214)
            assert gift["enabled"] is False and "Not available offline" in gift["reason"]

            # when the operator presses Connect with the store server there → online
            answer = http.post("/api/operations/917", headers=auth, json={"action": "connect"})
            assert answer.status_code == 200 and answer.json()["mode"] == "online"
            assert world.probes() == probes + 1


def test_connect_while_the_store_server_is_gone_is_a_clear_error(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        reg = world.register()
        with run_app_in_thread(create_app(reg)) as url, httpx.Client(base_url=url) as http:
            token = http.post("/api/sign-in", json={"operator_id": "1003",
                                                    "password": PASSWORDS["1003"]}).json()
            auth = {"Authorization": f"Bearer {token['token']}"}
            http.post("/api/operations/917", headers=auth, json={"action": "disconnect"})
            world.proxy.refuse()
            answer = http.post("/api/operations/917", headers=auth, json={"action": "connect"})
            assert answer.status_code == 503
            error = answer.json()["error"]
            assert error["code"] == "switch.connect_failed"
            assert "stays offline" in error["message"]
            status = http.get("/api/status").json()
            assert status["header"]["mode_label"] == "offline (manual)"
            assert status["connection"]["last_probe_ok"] is False


def test_disconnect_without_a_ready_offline_db_says_why(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        reg = world.register(sync=False)
        with run_app_in_thread(create_app(reg)) as url, httpx.Client(base_url=url) as http:
            token = http.post("/api/sign-in", json={"operator_id": "1003",
                                                    "password": PASSWORDS["1003"]}).json()
            answer = http.post("/api/operations/917", json={"action": "disconnect"},
                               headers={"Authorization": f"Bearer {token['token']}"})
            assert answer.status_code == 503
            assert answer.json()["error"]["code"] == "switch.offline_db_not_ready"
            assert "first sync" in answer.json()["error"]["message"]
