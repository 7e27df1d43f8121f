"""``kassa store pull`` and ``kassa store serve`` against a real HQ on 127.0.0.1: the channel
DB in the data directory follows HQ; errors are one red line and exit code 2."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from kassa.cli.store_commands import EXIT_ERROR, store_app
from kassa.config import sqlite_url
from kassa.hq.app import create_app as create_hq_app
from kassa.hq.distribution import access
from kassa.hq.distribution.writer import run_schedule
from support.hq_world import STORE_A, build_world
from support.servers import run_app_in_thread

runner = CliRunner()


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A running HQ (two stores, baselines written) and store A's server token."""
    world = build_world(sqlite_url(tmp_path / "hq.sqlite"))
    with world.engine.begin() as conn:
        token = access.issue_store_token(conn, STORE_A, world.clock.now()).token
    run_schedule(world.engine, "All jobs", clock=world.clock)
    try:
        with run_app_in_thread(create_hq_app(world.engine, admin_token="a" * 32)) as url:
            yield url, token
    finally:
        world.engine.dispose()


def test_pull_once_fills_the_channel_db_then_finds_nothing_new(
    hq: tuple[str, str], data_dir: Path
) -> None:
    url, token = hq
    args = ["pull", "--store", str(STORE_A), "--hq-url", url, "--data-dir", str(data_dir)]
    first = runner.invoke(store_app, [*args, "--store-token", token])
    assert first.exit_code == 0, first.output
    assert f"store {STORE_A}: packages 1;" in first.output and "checkpoint 1" in first.output
    assert (data_dir / f"channel-{STORE_A}.sqlite").is_file()
    # the token may also come from the token file
    (data_dir / f"store-{STORE_A}.token").write_text(token + "\n")
    again = runner.invoke(store_app, args)
    assert again.exit_code == 0, again.output
    assert "nothing new" in again.output
    pull_token = data_dir / f"store-{STORE_A}-hq-pull.token"
    assert stat.S_IMODE(pull_token.stat().st_mode) == 0o600


def test_pull_with_a_wrong_token_is_one_clear_error(hq: tuple[str, str], data_dir: Path) -> None:
    url, _ = hq
    result = runner.invoke(store_app, ["pull", "--store", str(STORE_A), "--hq-url", url,
                                       "--store-token", "wrong", "--data-dir", str(data_dir)])
    assert result.exit_code == EXIT_ERROR
    assert "hq.store_token_rejected" in result.output


def test_store_without_token_is_refused(hq: tuple[str, str], data_dir: Path) -> None:
    url, _ = hq
    env = {k: v for k, v in os.environ.items() if k != "KASSA_STORE_TOKEN"}
    result = runner.invoke(store_app, ["pull", "--store", str(STORE_A), "--hq-url", url,
                                       "--data-dir", str(data_dir)], env=env)
    assert result.exit_code == EXIT_ERROR
    assert "store.settings" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_runs_the_api_and_pulls_in_the_background(
    hq: tuple[str, str], data_dir: Path
) -> None:
    url, token = hq
    port = _free_port()
    code = "from kassa.cli.store_commands import store_app; store_app()"
    env = {**os.environ, "KASSA_STORE_TOKEN": token, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--store", str(STORE_A), "--hq-url", url,
         "--port", str(port), "--data-dir", str(data_dir), "--pull-interval-s", "0.2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        checkpoint = None
        while checkpoint != 1:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the store server never pulled the snapshot"
            with contextlib.suppress(httpx.HTTPError):
                checkpoint = httpx.get(f"http://127.0.0.1:{port}/api/health",
                                       timeout=1).json()["checkpoint"]
            time.sleep(0.1)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=15)
    # uvicorn shuts down gracefully on SIGTERM (puller stopped) and re-raises the signal
    assert proc.returncode in (0, -signal.SIGTERM), out
    assert "Application shutdown complete" in out
    assert f"store server of store {STORE_A} on http://127.0.0.1:{port}" in out
