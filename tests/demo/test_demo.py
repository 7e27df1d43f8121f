"""The demo's own test (issue 7): a smaller replay — 150 baskets of store 367 on two
registers — through real HQ, store server and register processes with the same faults as
``kassa demo`` (store server frozen, killed and restarted, HQ down during posting, a gift
card sale switched offline, a manual 917 Disconnect/Connect), reconciled from HQ's posted
data to the cent; afterwards no process of the demo is left."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from kassa.cli.main import app
from kassa.demo.faults import FaultPlan
from kassa.demo.run import DemoOptions, run_demo

pytestmark = pytest.mark.slow


def _descendants(pid: int) -> list[int]:
    """Processes below ``pid`` (zombies included), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


@pytest.mark.timeout(900)  # real processes on a shared 2-core machine: minutes, not seconds
def test_a_small_replay_with_every_fault_reconciles_to_the_cent(tmp_path: Path) -> None:
    # given a fresh demo directory and the demo's faults with short windows
    before = set(_descendants(os.getpid()))
    faults = FaultPlan(freeze_s=2.0, down_s=1.0, hq_down_s=2.0, manual_baskets=3)
    output = io.StringIO()
    console = Console(file=output, width=140)
    # when 150 baskets of store 367 are replayed on two registers
    report = run_demo(DemoOptions(baskets=150, registers=2, faults=faults,
                                  data_dir=tmp_path / "demo", live=False), console)
    text = output.getvalue()
    checks = {c.name: c for c in report.checks}
    # then it reconciles: nothing lost, nothing twice, net sales to the cent, no card locked
    assert report.ok, text
    assert checks["lost (finished at a register, not at HQ)"].actual == 0
    assert checks["duplicates (at HQ, made by no basket)"].actual == 0
    net = checks["net sales at HQ = dataset sales_value of accepted lines (cents)"]
    assert net.ok and net.actual > 0
    assert checks["gift cards left locked"].actual == 0
    # every basket and line has an outcome
    assert report.figures["baskets_expected"] == 150
    assert sum(report.lines.values()) == report.figures["lines_expected"]
    # the faults happened while it sold: registers went offline and sold on
    assert checks["faults injected as planned"].ok, report.faults
    assert report.figures["offline_committed"] >= 1
    assert any(r["offline_baskets"] > 0 for r in report.registers)
    assert report.figures["gift_card_baskets"] >= 1
    assert "RECONCILED" in text and (tmp_path / "demo" / "report.json").is_file()
    # and every process the demo started is gone (no zombie either)
    assert set(_descendants(os.getpid())) - before == set()


def test_kassa_demo_refuses_a_directory_that_is_not_a_demo(tmp_path: Path) -> None:
    # given a directory holding someone's file
    (tmp_path / "keep.txt").write_text("mine")
    # when the demo is pointed at it
    result = CliRunner().invoke(app, ["demo", "--data-dir", str(tmp_path), "--baskets", "1"])
    # then it stops with one clear line and exit code 2, the file untouched
    assert result.exit_code == 2, result.output
    assert "not a demo directory" in result.output
    assert (tmp_path / "keep.txt").read_text() == "mine"
