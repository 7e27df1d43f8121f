"""The reconciliation report: HQ's **posted** data against the dataset itself (issue 7 §5).

Definitions (all money in integer cents):

* *expected* — every basket and line of the replayed baskets of The Complete Journey.
* *accepted line* — a line the register sold in a completed transaction; its dataset
  amount is its ``sales_value`` (the register's net = round(qty × unit price) − discount,
  :func:`kassa.demo.dataset.plan_line`). Every other line is *rejected* with one reason.
* *net sales at HQ* — Σ ``subtotal_cents`` (line nets after discounts, before tax) of the
  completed transactions HQ posted for the replayed stores
  (:mod:`kassa.hq.posting.report`); it must equal Σ ``sales_value`` of the accepted lines.
* *lost* — a transaction the registers finished that HQ has not posted; *duplicates* — a
  transaction HQ posted that no replayed basket made (a basket sold twice). Both must be 0;
  re-deliveries HQ recognised and ignored (idempotent posting) are shown apart.
* per transaction, HQ's active lines ``(product, quantity, net)`` must be exactly the
  basket's accepted lines ``(product, quantity, sales_value)``.
* gift cards: each card's balance at HQ = issued − Σ its posted gift card tenders, and what
  the replay expects; no card is left locked.

:func:`reconcile` computes it; :meth:`Reconciliation.print` shows it; ``ok`` is False when
any check fails (``kassa demo`` then exits non-zero).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select

from kassa.db.hq_posting_schema import posted_lines, posted_tenders, posted_transactions
from kassa.demo.outcomes import COMPLETED, FAILED, VOIDED, BasketResult, GiftPlan, line_tally
from kassa.domain.money import format_money, from_cents
from kassa.hq.posting.cursors import posting_status
from kassa.hq.posting.report import sales_report

#: More registers than this are shown as one summed row.
MAX_REGISTER_ROWS = 16


def money(cents: int) -> str:
    """``$1,234.56``."""
    return format_money(from_cents(cents))


@dataclass(frozen=True)
class Check:
    """One reconciliation check: what, expected, found, ok."""

    name: str
    expected: Any
    actual: Any
    ok: bool


@dataclass
class Reconciliation:
    """The report's numbers and checks (module docstring)."""

    stores: list[int]
    checks: list[Check] = field(default_factory=list)
    lines: Counter[str] = field(default_factory=Counter)
    baskets: Counter[str] = field(default_factory=Counter)
    figures: dict[str, Any] = field(default_factory=dict)
    registers: list[dict[str, Any]] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check holds."""
        return all(c.ok for c in self.checks)

    def check(self, name: str, expected: Any, actual: Any, ok: bool | None = None) -> None:
        """Add a check (``ok`` defaults to ``expected == actual``)."""
        self.checks.append(Check(name, expected, actual, expected == actual if ok is None
                                 else ok))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (saved as ``report.json``)."""
        return {"ok": self.ok, "stores": self.stores,
                "checks": [c.__dict__ for c in self.checks], "lines": dict(self.lines),
                "baskets": dict(self.baskets), "figures": self.figures,
                "registers": self.registers, "faults": self.faults,
                "failures": self.failures}

    def print(self, console: Console) -> None:
        """The report as rich tables."""
        f = self.figures
        outcomes = Table(title="Baskets and lines: expected = accepted + rejected")
        for name in ("outcome", "baskets", "lines"):
            outcomes.add_column(name, justify="left" if name == "outcome" else "right")
        outcomes.add_row("expected (dataset)", f"{f['baskets_expected']:,}",
                         f"{f['lines_expected']:,}")
        outcomes.add_row("completed / accepted", f"{self.baskets[COMPLETED]:,}",
                         f"{self.lines['accepted']:,}")
        outcomes.add_row("voided: no sellable line", f"{self.baskets[VOIDED]:,}", "")
        for reason, n in sorted(self.lines.items(), key=lambda kv: -kv[1]):
            if reason != "accepted":
                outcomes.add_row(f"rejected: {reason}", "", f"{n:,}")
        if self.baskets[FAILED]:
            outcomes.add_row("[red]failed[/]", f"{self.baskets[FAILED]:,}", "")
        console.print(outcomes)
        checks = Table(title="Reconciliation (HQ posted data vs the dataset)")
        for name in ("check", "expected", "at HQ / found", "ok"):
            checks.add_column(name, justify="left" if name == "check" else "right")
        for c in self.checks:
            checks.add_row(c.name, _show(c.expected), _show(c.actual),
                           "[green]✓[/]" if c.ok else "[red]✗[/]")
        console.print(checks)
        regs = Table(title="Registers")
        for name in ("register", "baskets", "offline at start", "time offline",
                     "longest wait", "calls"):
            regs.add_column(name, justify="left" if name == "register" else "right")
        shown = self.registers if len(self.registers) <= MAX_REGISTER_ROWS else []
        for r in shown:
            regs.add_row(r["register"], f"{r['baskets']:,}", f"{r['offline_baskets']:,}",
                         f"{r['offline_s']:.1f} s", f"{r['slowest_s']:.2f} s",
                         f"{r['calls']:,}")
        if not shown and self.registers:
            rs = self.registers
            regs.add_row(f"{len(rs):,} registers", f"{sum(r['baskets'] for r in rs):,}",
                         f"{sum(r['offline_baskets'] for r in rs):,}",
                         f"{sum(r['offline_s'] for r in rs):.1f} s",
                         f"{max(r['slowest_s'] for r in rs):.2f} s",
                         f"{sum(r['calls'] for r in rs):,}")
        console.print(regs)
        if self.faults:
            console.print("[bold]Faults injected[/]")
            for line in self.faults:
                console.print(f"  {line}", highlight=False, markup=False)
        for line in self.failures[:10]:
            console.print(f"  {line}", style="red", highlight=False, markup=False)
        console.print(
            f"Net sales at HQ {money(f['net_sales_hq_cents'])} = dataset sales_value of the "
            f"accepted lines {money(f['net_sales_dataset_cents'])}; tax "
            f"{money(f['tax_cents'])}; {f['adjusted_lines']:,} lines with a sub-cent unit "
            f"price (remainder in the discount), {f['override_lines']:,} price overrides.")
        refused = ", ".join(f"{k} {v}" for k, v in sorted(f["gift_card_refusals"].items()))
        console.print(
            f"Gift cards: {f['gift_cards_issued']} issued at HQ, {f['gift_card_baskets']:,} "
            f"baskets paid {money(f['gift_card_cents'])} with them"
            + (f" (gift card tender not taken: {refused})" if refused else "")
            + f"; {f['offline_committed']:,} sales committed offline, "
            f"{f['redelivered_ignored']:,} re-deliveries ignored by HQ's idempotent posting.",
            highlight=False)
        console.print(
            f"Throughput: {f['baskets_per_s']:.1f} baskets/s ({f['calls_per_s']:.0f} register "
            f"calls/s) over {f['replay_s']:.1f} s of replay; whole demo {f['wall_s']:.1f} s.")
        cpu = f.get("cpu_s")
        if cpu:
            total = sum(cpu.values())
            parts = ", ".join(f"{k} {v:.0f} s" for k, v in cpu.items())
            per = 1000 * total / max(1, f["baskets_expected"])
            console.print(f"CPU: {total:.0f} s ({parts}) = {per:.0f} ms per basket, whole "
                          "demo included.", highlight=False)
        verdict = "[bold green]RECONCILED[/]" if self.ok else "[bold red]NOT RECONCILED[/]"
        console.print(verdict)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def posted_data(engine: Engine, stores: list[int]
                ) -> tuple[dict[str, Any], dict[str, list[Any]], Counter[str]]:
    """Posted transactions by id, their active lines by id, gift card tenders by card."""
    t, ln, tn = posted_transactions, posted_lines, posted_tenders
    txns: dict[str, Any] = {}
    lines: dict[str, list[Any]] = {}
    gift: Counter[str] = Counter()
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        for row in conn.execute(select(t.c.id, t.c.status, t.c.mode, t.c.store_id,
                                       t.c.register_number, t.c.subtotal_cents)
                                .where(t.c.store_id.in_(stores))):
            txns[str(row.id)] = row
        for tid, product, quantity, net in conn.execute(
                select(ln.c.transaction_id, ln.c.product_id, ln.c.quantity, ln.c.net_cents)
                .join(t, t.c.id == ln.c.transaction_id)
                .where(t.c.store_id.in_(stores), ln.c.voided.is_(False))):
            lines.setdefault(str(tid), []).append((int(product), Decimal(quantity), int(net)))
        for reference, amount in conn.execute(
                select(tn.c.reference, tn.c.amount_cents)
                .join(t, t.c.id == tn.c.transaction_id)
                .where(t.c.store_id.in_(stores), t.c.status == "completed",
                       tn.c.tender_type == "gift_card", tn.c.voided.is_(False))):
            gift[str(reference)] += int(amount)
    return txns, lines, gift


def reconcile(results: list[BasketResult], hq: Engine, *, stores: list[int],
              gift: GiftPlan, gift_cards: list[dict[str, Any]],
              locked_cards: list[dict[str, Any]], pending_uploads: dict[str, int],
              offline_s: dict[str, float], calls: dict[str, tuple[float, int, int]],
              faults: list[str], faults_missing: list[str], replay_s: float,
              wall_s: float) -> Reconciliation:
    """Compare HQ's posted data for ``stores`` with the replay's ``results`` (module
    docstring). Register keys are ``"<store>/<number>"``."""
    rec = Reconciliation(stores=stores, faults=faults)
    rec.baskets = Counter(r.status for r in results)
    rec.lines = line_tally(results)
    expected_lines = sum(len(r.basket.lines) for r in results)
    rec.check("every basket has an outcome (none failed)", len(results),
              rec.baskets[COMPLETED] + rec.baskets[VOIDED])
    rec.check("every line has an outcome", expected_lines, sum(rec.lines.values()))
    rec.failures = [f"basket {r.basket.basket_id} at register {r.register}: {r.error}"
                    for r in results if r.status == FAILED]
    txns, lines, gift_paid = posted_data(hq, stores)
    ours = {r.transaction_id: r for r in results
            if r.transaction_id and r.status in (COMPLETED, VOIDED)}
    posted_completed = [x for x in txns.values() if x.status == "completed"]
    rec.check("completed baskets = completed transactions at HQ", rec.baskets[COMPLETED],
              len(posted_completed))
    rec.check("voided baskets = voided transactions at HQ", rec.baskets[VOIDED],
              sum(1 for x in txns.values() if x.status == "voided"))
    rec.check("lost (finished at a register, not at HQ)", 0,
              sum(1 for tid in ours if tid not in txns))
    rec.check("duplicates (at HQ, made by no basket)", 0,
              sum(1 for tid in txns if tid not in ours))
    rec.check("accepted lines = active lines at HQ", rec.lines["accepted"],
              sum(len(lines.get(str(x.id), [])) for x in posted_completed))
    mismatched = 0
    for tid, r in ours.items():
        if r.status != COMPLETED:
            continue
        want = Counter((p, Decimal(q), c) for p, q, c in r.accepted)
        if Counter(lines.get(tid, [])) != want:
            mismatched += 1
    rec.check("transactions whose lines differ from their basket", 0, mismatched)
    dataset_net = sum(r.accepted_cents for r in results if r.status == COMPLETED)
    with hq.connect().execution_options(kassa_readonly=True) as conn:
        totals = [sales_report(conn, store_id=s)["total"] for s in stores]
        status = posting_status(conn)
    hq_net = sum(int(t["net_sales_cents"]) for t in totals)
    rec.check("net sales at HQ = dataset sales_value of accepted lines (cents)", dataset_net,
              hq_net)
    paid = sum(int(t["paid_cents"]) - int(t["change_cents"]) for t in totals)
    total = sum(int(t["total_cents"]) for t in totals)
    rec.check("tenders − change = total at HQ (cents)", total, paid)
    by_number = {c["number"]: c for c in gift_cards}
    wrong = [n for n, issued in gift.issued.items()
             if n not in by_number
             or int(by_number[n]["balance_cents"]) != issued - gift_paid.get(n, 0)
             or int(by_number[n]["balance_cents"]) != gift.balance.get(n)]
    rec.check("gift card balances = issued − redeemed", f"{len(gift.issued)} cards",
              f"{len(gift.issued) - len(wrong)} cards", not wrong)
    rec.check("gift cards left locked", 0, len(locked_cards))
    rec.check("transactions waiting for upload at the registers", 0,
              sum(pending_uploads.values()))
    quarantined = sum(int(x["count"]) for x in status["rejections"]
                      if x["store_id"] in stores)
    rec.check("records HQ refused to post (quarantine)", 0, quarantined)
    if faults or faults_missing:
        rec.check("faults injected as planned", "all", ", ".join(faults_missing) or "all",
                  not faults_missing)
    redelivered = sum(int(c["duplicate_count"]) for c in status["cursors"]
                      if c["store_id"] in stores)
    calls_total = sum(c[2] for c in calls.values())
    completed = [r for r in results if r.status == COMPLETED]
    modes = Counter(f"{x.store_id}/{x.register_number}" for x in posted_completed
                    if x.mode == "offline")
    rec.figures = {
        "baskets_expected": len(results), "lines_expected": expected_lines,
        "net_sales_hq_cents": hq_net, "net_sales_dataset_cents": dataset_net,
        "sales_value_all_lines_cents": sum(r.basket.sales_cents for r in results),
        "tax_cents": sum(int(t["tax_cents"]) for t in totals),
        "adjusted_lines": sum(r.adjusted for r in completed),
        "override_lines": sum(r.overrides for r in completed),
        "gift_cards_issued": len(gift.issued),
        "gift_card_baskets": sum(1 for r in completed if r.gift_cents),
        "gift_card_cents": sum(r.gift_cents for r in completed),
        "gift_card_refusals": dict(Counter(r.gift_refused for r in results if r.gift_refused)),
        "offline_committed": sum(1 for r in completed if r.committed_to == "offline"),
        "redelivered_ignored": redelivered,
        "replay_s": replay_s, "wall_s": wall_s,
        "baskets_per_s": len(results) / replay_s if replay_s else 0.0,
        "calls_per_s": calls_total / replay_s if replay_s else 0.0,
    }
    per_register = Counter(f"{r.basket.store_id}/{r.register}" for r in results)
    for key in sorted(calls, key=lambda k: tuple(int(x) for x in k.split("/"))):
        slowest, _, n = calls[key]
        rec.registers.append({
            "register": key, "baskets": per_register.get(key, 0),
            "offline_baskets": modes.get(key, 0), "offline_s": offline_s.get(key, 0.0),
            "slowest_s": slowest, "calls": n})
    return rec
