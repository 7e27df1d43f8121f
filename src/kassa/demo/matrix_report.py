"""The fault matrix's verdict per row and its table (issue 8 §1).

Per row (one fault, its own slice of real baskets), from HQ's **posted** data
(:func:`kassa.demo.report.posted_data`, the same reading as the demo's report):

* *lost* — a basket the registers finished (completed or voided) whose transaction HQ has
  not posted;
* *duplicated* — a transaction HQ posted during the row that no basket of any row made (a
  basket rung twice, or a basket counted as failed that reached HQ after all);
* *failed* — baskets without an outcome (the register refused to finish them): must be 0;
* *net* — Σ ``sales_value`` of the accepted lines of the row's completed baskets = Σ HQ's
  ``subtotal_cents`` of their transactions, to the cent; every transaction's active lines
  are exactly its basket's accepted lines;
* *locked* — gift cards still locked at HQ after the row; *cards* — each of the row's gift
  cards has balance at HQ = issued − posted gift card tenders = what the replay expects;
* *injected* — the fault happened at least once and had its effect (the row says which).

:func:`row_outcome` computes it, :func:`matrix_table` draws the table, :func:`to_json`
writes ``bench/results/fault_matrix.json``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from rich.table import Table

from kassa.demo.outcomes import COMPLETED, FAILED, VOIDED, BasketResult, GiftPlan


@dataclass
class RowOutcome:
    """One row of the matrix (module docstring); money in cents, times in seconds."""

    fault: str
    how: str
    injections: int = 0
    baskets: int = 0
    lost: int = 0
    duplicated: int = 0
    failed: int = 0
    net_expected_cents: int = 0
    net_hq_cents: int = 0
    lines_differ: int = 0
    locked_cards: int = 0
    cards_wrong: int = 0
    offline_committed: int = 0
    effect: str = ""
    effect_ok: bool = False
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Zero lost, zero duplicated, no failed basket, net equal, lines equal, no card
        locked, balances right, and the fault injected with its effect."""
        return (self.lost == 0 and self.duplicated == 0 and self.failed == 0
                and self.net_expected_cents == self.net_hq_cents and self.lines_differ == 0
                and self.locked_cards == 0 and self.cards_wrong == 0
                and self.injections >= 1 and self.effect_ok)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``ok`` included)."""
        return {**asdict(self), "ok": self.ok}


def row_outcome(fault: str, how: str, results: list[BasketResult], *,
                posted: dict[str, Any], posted_lines: dict[str, list[Any]],
                posted_gift: Counter[str], new_posted: set[str], all_ours: set[str],
                gift: GiftPlan, gift_cards: list[dict[str, Any]], locked: int) -> RowOutcome:
    """The row's verdict (module docstring).

    Args:
        posted / posted_lines / posted_gift: HQ's posted transactions by id, their active
            lines, gift card tenders per card (:func:`kassa.demo.report.posted_data`).
        new_posted: ids HQ posted since the row began. all_ours: the finished transaction
            ids of every row so far. gift: the row's gift card plan. gift_cards: every card
            at HQ. locked: cards locked at HQ now.
    """
    out = RowOutcome(fault, how, baskets=len(results))
    ours = {r.transaction_id: r for r in results
            if r.transaction_id and r.status in (COMPLETED, VOIDED)}
    out.failed = sum(1 for r in results if r.status == FAILED)
    out.failures = [f"basket {r.basket.basket_id} at register {r.register}: {r.error}"
                    for r in results if r.status == FAILED][:20]
    out.lost = sum(1 for tid in ours if tid not in posted)
    out.duplicated = sum(1 for tid in new_posted if tid not in all_ours)
    for tid, r in ours.items():
        x = posted.get(tid)
        if x is None:
            continue
        if str(x.status) != r.status:
            out.lines_differ += 1
            continue
        if r.status != COMPLETED:
            continue
        out.net_expected_cents += r.accepted_cents
        out.net_hq_cents += int(x.subtotal_cents)
        want = Counter((p, Decimal(q), c) for p, q, c in r.accepted)
        if Counter(posted_lines.get(tid, [])) != want:
            out.lines_differ += 1
    out.net_expected_cents += sum(r.accepted_cents for tid, r in ours.items()
                                  if r.status == COMPLETED and tid not in posted)
    out.offline_committed = sum(1 for r in results if r.status == COMPLETED
                                and r.committed_to == "offline")
    by_number = {c["number"]: c for c in gift_cards}
    out.cards_wrong = sum(
        1 for n, issued in gift.issued.items()
        if n not in by_number or int(by_number[n]["balance_cents"]) != issued - posted_gift[n]
        or int(by_number[n]["balance_cents"]) != gift.balance.get(n))
    out.locked_cards = locked
    return out


def _money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


def matrix_table(rows: list[RowOutcome], title: str) -> Table:
    """The table: fault, injections, baskets, lost, duplicated, net, locked, effect, ok."""
    table = Table(title=title)
    numbers = ("injections", "baskets", "lost", "duplicated", "failed", "cards locked")
    for name in ("fault", "how", "injections", "baskets", "lost", "duplicated", "failed",
                 "net at HQ = dataset", "cards locked", "effect", "ok"):
        table.add_column(name, justify="right" if name in numbers else "left",
                         overflow="fold")
    for r in rows:
        net = (f"{_money(r.net_hq_cents)} ✓" if r.net_hq_cents == r.net_expected_cents
               else f"{_money(r.net_hq_cents)} ≠ {_money(r.net_expected_cents)}")
        table.add_row(r.fault, r.how, str(r.injections), f"{r.baskets:,}", str(r.lost),
                      str(r.duplicated), str(r.failed), net, str(r.locked_cards), r.effect,
                      "[green]✓[/]" if r.ok else "[red]✗[/]")
    return table


def to_json(rows: list[RowOutcome], figures: dict[str, Any]) -> dict[str, Any]:
    """``{"ok", "figures", "rows": [...]}`` for ``bench/results/fault_matrix.json``."""
    return {"ok": all(r.ok for r in rows), "figures": figures,
            "rows": [r.to_dict() for r in rows]}
