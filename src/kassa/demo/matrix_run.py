"""The fault matrix from start to table (issue 8 §1; docs/RELIABILITY.md).

:func:`run_matrix` takes ``baskets`` real baskets of The Complete Journey (store 367's year
in time order, then the next busiest stores' when more are wanted — every basket is sold at
store 367's registers), splits them into one consecutive slice per row (:func:`matrix_rows`,
twelve faults), sets up one :class:`~kassa.demo.matrix.MatrixWorld`, runs the rows one after
the other, then reconciles everything once more with the demo's report
(:func:`kassa.demo.report.reconcile`: tenders − change = total, every gift card balance,
quarantine) and prints the table: fault, how, injections, baskets, lost, duplicated, net,
cards locked, effect, ok. ``json_path`` gets the same as JSON.

The size comes from ``KASSA_FAULT_BASKETS`` in the tests (``make fault-matrix`` sets it to
20,000); each row's injection target grows with its share (one per :data:`PER_INJECTION`
baskets, at least one).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from rich.console import Console

from kassa.demo.dataset import Basket, Dataset
from kassa.demo.fault_proxy import Mode
from kassa.demo.matrix import STORE, MatrixWorld
from kassa.demo.matrix_register_rows import (
    DiskFullRow,
    HQGiftCardRow,
    MidApplyRow,
    MidCommitRow,
    MidSaleRow,
    MidUploadRow,
)
from kassa.demo.matrix_report import RowOutcome, matrix_table, to_json
from kassa.demo.matrix_rows import (
    AnswerLostRow,
    FaultRow,
    HQPostingRow,
    NetworkRow,
    StoreKilledRow,
)
from kassa.demo.report import Reconciliation, reconcile

#: Environment variable with the matrix's size in baskets (tests, ``make fault-matrix``).
ENV_BASKETS: Final = "KASSA_FAULT_BASKETS"
#: The size in ``make test``: 12 rows of 11 baskets.
SMALL_BASKETS: Final = 132
#: One injection per this many baskets of a row (at least one).
PER_INJECTION: Final = 30


def matrix_rows(per_row: int) -> list[FaultRow]:
    """The twelve rows, each aiming at ``per_row // PER_INJECTION`` injections (≥ 1)."""
    t = max(1, per_row // PER_INJECTION)
    return [NetworkRow(Mode.REFUSE, t), NetworkRow(Mode.BLACKHOLE, t), NetworkRow(Mode.SLOW, t),
            StoreKilledRow(t), AnswerLostRow(t), MidSaleRow(t), MidCommitRow(t),
            MidApplyRow(t), MidUploadRow(t), HQPostingRow(t), HQGiftCardRow(t),
            DiskFullRow(t)]


def matrix_baskets(total: int) -> list[Basket]:
    """``total`` baskets: store 367's in time order, then the next busiest stores' (each
    relabelled as sold at store 367).

    Raises:
        DataFileError: the dataset cannot be read.
    """
    first = Dataset(stores=[STORE]).baskets(STORE, total)
    if len(first) >= total:
        return first
    dataset = Dataset()
    counts = dataset.basket_counts()
    out = list(first)
    for store in sorted(counts, key=lambda s: (-counts[s], s)):
        if store == STORE:
            continue
        out += [replace(b, store_id=STORE) for b in dataset.baskets(store, total - len(out))]
        if len(out) >= total:
            break
    return out


@dataclass
class MatrixResult:
    """Rows, the overall reconciliation, figures (seconds, baskets per second)."""

    rows: list[RowOutcome]
    reconciliation: Reconciliation
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every row ok and the overall reconciliation ok."""
        return all(r.ok for r in self.rows) and self.reconciliation.ok


def run_matrix(baskets: int, data_dir: Path, console: Console | None = None,
               json_path: Path | None = None) -> MatrixResult:
    """Run the matrix (module docstring) → its result; every process is stopped at the end.

    Raises:
        KassaError: a process that does not start, an unreadable dataset.
    """
    console = console or Console()
    began = time.monotonic()
    with ThreadPoolExecutor(1, thread_name_prefix="matrix-dataset") as pool:
        loading = pool.submit(matrix_baskets, baskets)
        world = MatrixWorld(data_dir, console)
        with world:
            world.setup()
            chosen = loading.result()
            rows = matrix_rows(len(chosen) // 12)
            size = -(-len(chosen) // len(rows))
            console.print(f"fault matrix: {len(chosen):,} baskets, {len(rows)} rows, set up in "
                          f"{world.timings['setup_s']:.1f} s; small disk: "
                          f"{world.disk.mode if world.disk else '-'}")
            outcomes: list[RowOutcome] = []
            replay_began = time.monotonic()
            for i, row in enumerate(rows):
                part = chosen[i * size:(i + 1) * size]
                out = world.run_row(row, part)
                outcomes.append(out)
                console.print(f"  {out.fault}: {out.injections} injections, {out.baskets} "
                              f"baskets, lost {out.lost}, duplicated {out.duplicated}, "
                              f"{out.seconds:.1f} s — {out.effect}", highlight=False)
            replay_s = time.monotonic() - replay_began
            assert world.hq_engine is not None and world.admin is not None
            rec = reconcile(world.results, world.hq_engine, stores=[STORE], gift=world.gift,
                            gift_cards=world.admin.gift_cards(),
                            locked_cards=world.admin.gift_cards(locked=True),
                            pending_uploads={}, offline_s={}, calls={}, faults=[],
                            faults_missing=[], replay_s=replay_s,
                            wall_s=time.monotonic() - began)
    figures = {"baskets": len(chosen), "rows": len(rows), "setup_s": world.timings["setup_s"],
               "rows_s": replay_s, "wall_s": time.monotonic() - began,
               "baskets_per_s": len(chosen) / replay_s if replay_s else 0.0}
    result = MatrixResult(outcomes, rec, figures)
    console.print(matrix_table(outcomes, f"Fault matrix: {len(chosen):,} real baskets, "
                                         f"{figures['rows_s']:.0f} s"))
    console.print("overall reconciliation: " + ("[green]RECONCILED[/]" if rec.ok else
                                                "[red]NOT RECONCILED[/] " + "; ".join(
                                                    c.name for c in rec.checks if not c.ok)))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        body = to_json(outcomes, {**figures, "reconciled": rec.ok,
                                  "checks": [c.__dict__ for c in rec.checks]})
        json_path.write_text(json.dumps(body, indent=2, default=str) + "\n")
    return result
