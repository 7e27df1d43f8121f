"""A crash (SIGKILL) in the middle of applying a package leaves the database exactly as it
was, and the next attempt succeeds (DESIGN §4; issue 3 acceptance "Faults").

The apply runs in a child process (a real ``python``) that is killed while its transaction
is open: either when the apply reports (through its real ``on_table`` progress callback)
that the big ``products`` table is written and the child then waits, or a short delay after
the first table, while 60,000 products are being inserted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kassa.config import sqlite_url
from kassa.db.migrate import prepare_database
from kassa.sync.apply import apply_package, checkpoint_of
from support.package_factory import (
    PRICE_COLUMNS,
    PRODUCT_COLUMNS,
    catalogue_tables,
    dump,
    package,
    product,
)

NOW = datetime(2017, 3, 1, 8, 0, tzinfo=UTC)
BIG = 60_000

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from datetime import UTC, datetime
    from kassa.db.engine import make_engine
    from kassa.sync.apply import apply_package

    url, header_path, body_path, stop_at = sys.argv[1:5]
    header = json.loads(open(header_path).read())
    body = open(body_path, "rb").read()
    engine = make_engine(url)

    def on_table(name, rows):
        print(f"applied {name} {rows}", flush=True)
        if name == stop_at:
            time.sleep(60)  # killed here, inside the open transaction

    print("start", flush=True)
    apply_package(engine, header, body, now=datetime.now(UTC), on_table=on_table)
    print("done", flush=True)
    """
)


def _big_snapshot(tmp_path: Path) -> tuple[dict[str, object], bytes, Path, Path]:
    tables = catalogue_tables(0, version=2)
    ids = range(1, BIG + 1)
    tables["products"] = (PRODUCT_COLUMNS, [product(i, f"NEW NAME {i}", version=2)
                                            for i in ids], [])
    tables["prices"] = (PRICE_COLUMNS, [[i, i % 1000, 2] for i in ids], [])
    header, body = package(2, kind="snapshot", **tables)
    header_path, body_path = tmp_path / "header.json", tmp_path / "body.bin"
    header_path.write_text(json.dumps(header))
    body_path.write_bytes(body)
    return header, body, header_path, body_path


def _child(url: str, header_path: Path, body_path: Path, stop_at: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(header_path), str(body_path), stop_at],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def _wait_for(proc: subprocess.Popen[str], line: str, timeout_s: float = 60) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = proc.stdout.readline()
        if not got:
            raise AssertionError(f"child ended early: {proc.stderr.read() if proc.stderr else ''}")
        if got.startswith(line):
            return
    raise AssertionError(f"child never printed {line!r}")


def _kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL


def _crash_then_retry(engine: Engine, url: str, tmp_path: Path, *, hooked: bool) -> None:
    # given a database at package 1
    small, small_body = package(1, kind="snapshot", **catalogue_tables(5))
    apply_package(engine, small, small_body, now=NOW)
    before = dump(engine)
    header, body, header_path, body_path = _big_snapshot(tmp_path)
    # when a child process applying the big snapshot 2 is killed mid-way
    proc = _child(url, header_path, body_path, "products" if hooked else "-")
    try:
        if hooked:
            _wait_for(proc, "applied products")
        else:
            _wait_for(proc, "applied tax_groups")  # inside the transaction
            time.sleep(0.05)  # inserting 60,000 products takes longer
        assert proc.poll() is None, "the apply finished before the kill"
        _kill(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    # then, reopened, the database is exactly as before
    engine.dispose()
    assert dump(engine) == before
    assert checkpoint_of(engine) == 1
    # and the next attempt succeeds
    result = apply_package(engine, header, body, now=NOW)
    assert (result.number, result.skipped) == (2, False)
    assert checkpoint_of(engine) == 2


@pytest.mark.parametrize("hooked", [True, False], ids=["after-products", "after-delay"])
def test_kill_during_apply_to_offline_db_leaves_it_unchanged(
    data_dir: Path, tmp_path: Path, hooked: bool
) -> None:
    url = sqlite_url(data_dir / "offline.sqlite")
    engine = prepare_database(url, "offline")
    try:
        _crash_then_retry(engine, url, tmp_path, hooked=hooked)
    finally:
        engine.dispose()


def test_kill_during_apply_to_channel_db_leaves_it_unchanged(db_url: str, tmp_path: Path) -> None:
    engine = prepare_database(db_url, "channel")
    try:
        _crash_then_retry(engine, db_url, tmp_path, hooked=True)
    finally:
        engine.dispose()
