"""``kassa demo --all-stores`` on a few small stores (issue 7): one HQ, the stores two at a
time, each with its own store server and register processes, reconciled from HQ's posted
data to the cent; each finished store's databases are deleted (the whole year must fit on
a disk) while its logs stay."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from kassa.demo.dataset import Dataset
from kassa.demo.run import DemoOptions, run_demo

pytestmark = pytest.mark.slow


@pytest.mark.timeout(600)  # real processes on a shared 2-core machine
def test_the_chain_replays_several_stores_and_deletes_their_databases(tmp_path: Path) -> None:
    # given three stores with a handful of baskets each, on the default SQLite files
    counts = Dataset().basket_counts()
    stores = sorted((sid for sid in counts if 3 <= counts[sid] <= 12),
                    key=lambda sid: (counts[sid], sid))[:3]
    data_dir = tmp_path / "demo"
    output = io.StringIO()
    # when the chain replays them
    report = run_demo(DemoOptions(all_stores=True, stores=stores, faults=None,
                                  data_dir=data_dir, live=False),
                      Console(file=output, width=140))
    text = output.getvalue()
    checks = {c.name: c for c in report.checks}
    # then every basket of every store reconciles: none lost, none twice, net to the cent
    assert report.ok, text
    assert report.figures["baskets_expected"] == sum(counts[sid] for sid in stores)
    assert checks["lost (finished at a register, not at HQ)"].actual == 0
    assert checks["duplicates (at HQ, made by no basket)"].actual == 0
    assert {r["register"].split("/")[0] for r in report.registers} == {str(s) for s in stores}
    for sid in stores:
        assert f"store {sid}: {counts[sid]} baskets" in text
    # and no channel or offline DB is left, only HQ's, while each store's log stays
    left = sorted(p.name for p in data_dir.glob("*.sqlite*"))
    assert left and all(name.startswith("hq.sqlite") for name in left), left
    assert {p.name for p in (data_dir / "logs").glob("store-*.log")} == {
        f"store-{sid}.log" for sid in stores}
