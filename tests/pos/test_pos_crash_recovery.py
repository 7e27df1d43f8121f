"""A register killed mid-sale finds its cart again (issue 4 §2; DESIGN §5).

The register runs as a real process (``python -m kassa.cli.pos_commands serve``) and is
killed with SIGKILL in the middle of a sale; a new process on the same data directory
serves the same cart, which then completes normally.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from kassa.domain.transaction import Transaction
from pos.world import PASSWORDS, STORE, barcode, store_world

START_TIMEOUT_S = 30.0


@contextmanager
def register_process(data_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``kassa pos serve --port 0`` for register 1 in a child process (its first output
    line names the URL); always killed at the end."""
    cmd = [sys.executable, "-m", "kassa.cli.pos_commands", "serve", "--store", str(STORE),
           "--register", "1", "--data-dir", str(data_dir), "--port", "0",
           "--timeout-s", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT_S)
        line = proc.stdout.readline().decode() if ready else ""
        match = re.search(r"on (http://127\.0\.0\.1:\d+) ", line)
        if match is None:
            proc.kill()
            raise RuntimeError(f"register did not start: {line!r} "
                               f"{proc.stderr.read().decode()[-2000:]}")
        url = match[1]
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                status = httpx.get(f"{url}/api/status", timeout=2)
                if status.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "register not up"
            time.sleep(0.1)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def _sign_in(http: httpx.Client) -> dict[str, str]:
    answer = http.post("/api/sign-in", json={"operator_id": "1003",
                                             "password": PASSWORDS["1003"]})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_a_register_killed_mid_sale_recovers_its_cart_on_restart(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        world.identities[1].save(data_dir)
        # given a sale in progress on a register process
        with register_process(data_dir) as (proc, url), httpx.Client(base_url=url) as http:
            auth = _sign_in(http)
            assert http.post("/api/transactions", headers=auth).status_code == 201
            for body in ({"barcode": barcode(1001), "quantity": "3"},
                         {"product_id": 1003, "quantity": "0.75"}):
                assert http.post("/api/cart/lines", headers=auth, json=body).status_code == 201
            answer = http.post("/api/cart/tenders", headers=auth,
                               json={"type": "card", "amount_cents": 500})
            assert answer.status_code == 201, answer.text
            cart_before = http.get("/api/cart", headers=auth).json()["cart"]
            # when it is killed with SIGKILL
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(10) == -signal.SIGKILL

        # then a new process serves the same cart, which completes normally
        with register_process(data_dir) as (_, url), httpx.Client(base_url=url) as http:
            status = http.get("/api/status").json()
            assert status["header"]["register_id"] == str(world.identities[1].register_id)
            assert status["cart"] == {"open": True, "receipt_number": "367-1-000001",
                                      "recovered": "open cart"}
            auth = _sign_in(http)
            assert http.get("/api/cart", headers=auth).json()["cart"] == cart_before
            due = cart_before["totals"]["amount_due_cents"]
            answer = http.post("/api/cart/tenders", headers=auth,
                               json={"type": "cash", "amount_cents": due})
            assert answer.status_code == 201, answer.text
            done = http.post("/api/cart/complete", headers=auth)
            assert done.status_code == 200, done.text
            assert done.json()["committed_to"] == "store"
            txn = Transaction.from_record(done.json()["transaction"])
            assert world.channel_rows(txn.id) == 1
            # the receipt sequence goes on after the recovered number
            started = http.post("/api/transactions", headers=auth).json()["cart"]
            assert started["receipt_number"] == "367-1-000002"


def test_a_commit_in_doubt_is_committed_offline_on_restart(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        # given a register that died after finishing a sale but before storing it
        reg = world.register()
        cashier = reg.engine.sign_in("1003", PASSWORDS["1003"])
        txn = reg.engine.start_transaction(cashier)
        reg.engine.add_line(cashier, product_id=1002)
        reg.engine.add_tender(cashier, "cash", 700)
        done = Transaction.from_record(txn.to_record())
        done.complete(reg.clock.now())
        reg.engine.carts.save(done.to_record())  # what complete() writes before the commit
        reg.close()
        # when it restarts
        again = world.register(sync=False)
        # then the finished sale is stored offline, pending upload, and no cart is open
        assert again.engine.recovered == "commit in doubt"
        assert again.engine.cart is None and again.engine.carts.load() is None
        assert again.status()["header"]["pending_uploads"] == 1
        assert again.sync.upload_now().count == 1
        assert world.channel_rows(txn.id) == 1
