"""``kassa giftcard …``: HQ back office for gift cards and credit memos (DESIGN §6, §8).

* ``kassa giftcard issue --amount 25.00 [--kind gift_card|credit_memo] [--count N]`` — issue
  cards; prints one line per card: number (grouped by four), kind, balance.
* ``kassa giftcard list [--locked] [--kind …] [--limit N]`` — a table of cards; with
  ``--locked`` only locked ones, oldest lock first, with the owner register
  (``store-register``) and the lock's age (the transaction is in ``GET /api/giftcards``).
* ``kassa giftcard force-unlock NUMBER --actor NAME [--reason TEXT]`` — release the lock
  whoever holds it; an audit row records actor, reason and the released holder.

Amounts are typed in currency units (``25.00``) and stored in cents. Errors (unknown card,
bad amount …) are one red line on stderr with exit code 2
(:func:`kassa.cli.hq_commands.cli_errors`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from kassa.cli.hq_commands import DatabaseUrl, DataDir, cli_errors, open_hq
from kassa.cli.render import out
from kassa.domain.clock import SystemClock
from kassa.domain.money import format_money, from_cents, parse_amount, to_cents
from kassa.hq.realtime.listing import MAX_LISTING, Listed
from kassa.hq.realtime.numbers import format_number
from kassa.hq.realtime.service import RealtimeService

giftcard_app = typer.Typer(
    help="Gift cards and credit memos at HQ: issue, list locks, force-unlock.",
    no_args_is_help=True,
)


class KindOption(StrEnum):
    gift_card = "gift_card"
    credit_memo = "credit_memo"


def _age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days}d{hours:02d}h"
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


def cards_table(cards: list[Listed], *, title: str) -> Table:
    """A rich table of listed cards with lock owner and age."""
    table = Table(title=title, box=box.SIMPLE_HEAVY)
    for name in ("number", "kind", "balance", "active", "locked by", "age"):
        table.add_column(name, justify="right" if name in ("balance", "age") else "left",
                         no_wrap=True)
    for x in cards:
        c, h = x.card, x.card.holder
        owner = "" if h is None else (
            f"{x.store_id}-{x.register_number}" if x.store_id is not None
            else str(h.register_id)
        )
        table.add_row(
            format_number(c.number), c.kind.value, format_money(from_cents(c.balance_cents)),
            "yes" if c.active else "no", owner, _age(x.age_s),
        )
    return table


@giftcard_app.command("issue")
def issue(
    amount: Annotated[str, typer.Option("--amount", help="balance of each card, e.g. 25.00")],
    kind: Annotated[KindOption, typer.Option("--kind")] = KindOption.gift_card,
    count: Annotated[int, typer.Option("--count", min=1, max=10_000)] = 1,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Issue gift cards (or credit memos) from the back office."""
    with cli_errors():
        cents = to_cents(parse_amount(amount))
        engine = open_hq(data_dir, database_url)
        try:
            svc = RealtimeService(engine, SystemClock())
            for _ in range(count):
                done = svc.issue(kind.value, cents)
                typer.echo(f"{format_number(done.card.number)}  {kind.value}  "
                           f"{format_money(from_cents(done.card.balance_cents))}")
        finally:
            engine.dispose()


@giftcard_app.command("list")
def list_cards(
    locked: Annotated[bool, typer.Option("--locked", help="only locked cards, oldest first")]
    = False,
    kind: Annotated[KindOption | None, typer.Option("--kind")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=MAX_LISTING)] = 100,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List cards; --locked shows who holds each lock and for how long."""
    with cli_errors():
        engine = open_hq(data_dir, database_url)
        try:
            found = RealtimeService(engine, SystemClock()).list_cards(
                locked=True if locked else None, kind=kind.value if kind else None, limit=limit)
        finally:
            engine.dispose()
    if not found:
        typer.echo("no locked cards" if locked else "no cards")
        return
    out.print(cards_table(found, title="Locked cards" if locked else "Cards"))


@giftcard_app.command("force-unlock")
def force_unlock(
    number: Annotated[str, typer.Argument(help="card number (spaces allowed)")],
    actor: Annotated[str, typer.Option("--actor", help="your name, for the audit record")],
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Release a card's lock whoever holds it (writes an audit row)."""
    with cli_errors():
        engine = open_hq(data_dir, database_url)
        try:
            done = RealtimeService(engine, SystemClock()).force_unlock(
                number, actor=actor, reason=reason)
        finally:
            engine.dispose()
    shown = format_number(done.card.number)
    if not done.released or done.previous is None:
        typer.echo(f"{shown} was not locked; nothing to do")
        return
    typer.echo(f"{shown} unlocked (was held by register {done.previous.register_id}, "
               f"transaction {done.previous.transaction_id}); audit {done.audit_id}")
