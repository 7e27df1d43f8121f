"""``kassa hq …`` admin verbs and ``kassa schedule run`` through the real ``kassa`` command on
a real SQLite HQ (DESIGN §8)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from kassa.auth.tokens import token_hash
from kassa.cli.main import app
from kassa.config import sqlite_url
from kassa.db import hq_schema as s
from support.hq_world import STORE_A, World, build_world

runner = CliRunner()


@pytest.fixture
def world(data_dir: Path) -> World:
    return build_world(sqlite_url(data_dir / "hq.sqlite"))


def _opts(data_dir: Path) -> list[str]:
    return ["--data-dir", str(data_dir)]


def test_schedule_run_prints_packages_with_rows_and_bytes(world: World, data_dir: Path) -> None:
    first = runner.invoke(app, ["schedule", "run", *_opts(data_dir)])
    assert first.exit_code == 0, first.output
    assert f"group {STORE_A}: baseline package 1" in first.output
    world.set_price(1001, 999)
    second = runner.invoke(
        app, ["schedule", "run", "Prices", "--store", str(STORE_A), *_opts(data_dir)]
    )
    assert second.exit_code == 0, second.output
    assert f"group {STORE_A}: package 2 (1 rows," in second.output
    assert "1 package(s) written, 1 rows" in second.output
    again = runner.invoke(app, ["schedule", "run", "--data-group", str(STORE_A), *_opts(data_dir)])
    assert "no changes" in again.output
    listed = runner.invoke(app, ["schedule", "list", *_opts(data_dir)])
    assert "All jobs" in listed.output and "Prices" in listed.output


def test_schedule_run_errors_are_one_line(world: World, data_dir: Path) -> None:
    r = runner.invoke(app, ["schedule", "run", "Nope", *_opts(data_dir)])
    assert r.exit_code == 2 and "distribution.unknown_schedule" in r.output
    r = runner.invoke(app, ["schedule", "run", "--store", "4242", *_opts(data_dir)])
    assert r.exit_code == 2 and "store.unknown" in r.output
    r = runner.invoke(
        app, ["schedule", "run", "--store", "1", "--data-group", "1", *_opts(data_dir)]
    )
    assert r.exit_code == 2 and "not both" in r.output


def test_hq_admin_verbs(world: World, data_dir: Path) -> None:
    r = runner.invoke(app, ["hq", "support-offline", str(STORE_A), "1", "on", *_opts(data_dir)])
    assert r.exit_code == 0, r.output
    assert "Support offline set to on" in r.output
    r = runner.invoke(app, ["hq", "activation-code", str(STORE_A), "1", *_opts(data_dir)])
    assert r.exit_code == 0 and "valid until" in r.output
    r = runner.invoke(app, ["hq", "store-token", str(STORE_A), *_opts(data_dir)])
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    with world.engine.connect() as conn:
        stored = (
            conn.execute(s.stores.select().where(s.stores.c.id == STORE_A))
            .mappings()
            .one()["server_token_hash"]
        )
    assert stored == token_hash(token)
    r = runner.invoke(app, ["hq", "support-offline", str(STORE_A), "9", "on", *_opts(data_dir)])
    assert r.exit_code == 2 and "has no register 9" in r.output


def test_global_data_dir_is_honoured(world: World, data_dir: Path) -> None:
    r = runner.invoke(app, ["--data-dir", str(data_dir), "schedule", "run", "Prices"])
    assert r.exit_code == 0, r.output
    assert f"group {STORE_A}: baseline package 1" in r.output


def test_hq_serve_runs_a_real_server(world: World, data_dir: Path) -> None:
    # given a free port and no admin token in the environment
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "KASSA_ADMIN_TOKEN"}
    cmd = [
        sys.executable,
        "-c",
        "from kassa.cli.main import app; app()",
        "--data-dir",
        str(data_dir),
        "hq",
        "serve",
        "--port",
        str(port),
        "--scheduler-poll",
        "0.5",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/api/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "kassa hq serve did not start"
                time.sleep(0.1)
        # then it answers, and the admin token written to the data directory works
        assert health.status_code == 200
        token = (data_dir / "admin-token").read_text().strip()
        r = httpx.get(
            f"{base}/api/schedules", headers={"Authorization": f"Bearer {token}"}, timeout=5
        )
        assert r.status_code == 200 and {x["name"] for x in r.json()} >= {"All jobs", "Prices"}
        assert httpx.get(f"{base}/api/schedules", timeout=5).status_code == 401
    finally:
        proc.terminate()
        proc.wait(20)
