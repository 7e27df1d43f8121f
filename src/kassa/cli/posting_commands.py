"""``kassa posting …`` and ``kassa report …``: HQ posting and its reports (DESIGN §5, §8).

* ``kassa posting run [--store ID] [--timeout S]`` — run the P-job once: pull every store with
  a known endpoint (or one) after its cursor and post; one line per store with the counts
  (pulled, posted, duplicates, rejected) and the cursor, or its error in red. Exit code 1
  when a store could not be pulled.
* ``kassa posting status`` — cursors, last errors and quarantined records per reason.
* ``kassa report sales [--store ID] [--day YYYY-MM-DD] [--json]`` — sales per store, register
  and business day (cents shown as money; ``--json`` prints the plain dict, money in cents).

Every command takes ``--data-dir`` and ``--database-url`` like ``kassa schedule``; errors are
one red line on stderr with exit code 2.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kassa.cli.hq_commands import DatabaseUrl, DataDir, cli_errors, data_dir_of
from kassa.config import locations
from kassa.db.migrate import prepare_database
from kassa.hq.posting.cursors import posting_status
from kassa.hq.posting.puller import DEFAULT_TIMEOUT_S, Puller
from kassa.hq.posting.report import parse_day, print_sales_report, sales_report

posting_app = typer.Typer(help="Posting at HQ: pull store transactions (P-job).",
                          no_args_is_help=True)
report_app = typer.Typer(help="Reports computed from HQ's posted transactions.",
                         no_args_is_help=True)
out = Console()

Store = Annotated[int | None, typer.Option("--store", min=0, help="only this store")]


@posting_app.command("run")
def run(
    ctx: typer.Context,
    store: Store = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1,
                                           help="seconds per request to a store server")
                       ] = DEFAULT_TIMEOUT_S,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Run the P-job now: pull and post every store's new transactions."""
    with cli_errors():
        engine = prepare_database(locations(data_dir_of(ctx, data_dir)).hq_url(database_url),
                                  "hq")
        try:
            results = Puller(engine, timeout_s=timeout).run_once(store)
        finally:
            engine.dispose()
    if not results:
        out.print("no store endpoint known yet (store servers report it in POST /api/status)",
                  style="yellow")
        return
    failed = False
    for r in results:
        d = r.to_dict()
        line = (f"store {d['store_id']}: pulled {d['pulled']}, posted {d['posted']}, "
                f"duplicates {d['duplicates']}, rejected {d['rejected']}, "
                f"cursor {d['last_seq']}")
        out.print(line)
        if d["error"]:
            failed = True
            out.print(f"  [red]{d['error']}[/]")
    if failed:
        raise typer.Exit(1)


@posting_app.command("status")
def status(ctx: typer.Context, data_dir: DataDir = None,
           database_url: DatabaseUrl = None) -> None:
    """Show posting cursors, last errors and quarantined records."""
    with cli_errors():
        engine = prepare_database(locations(data_dir_of(ctx, data_dir)).hq_url(database_url),
                                  "hq")
        try:
            with engine.connect().execution_options(kassa_readonly=True) as conn:
                state = posting_status(conn)
        finally:
            engine.dispose()
    table = Table(title="Posting cursors")
    for name in ("store", "cursor (seq)", "posted", "duplicates", "rejected", "last pull",
                 "last error"):
        table.add_column(name)
    for c in state["cursors"]:
        table.add_row(str(c["store_id"]), str(c["last_seq"]), str(c["posted_count"]),
                      str(c["duplicate_count"]), str(c["rejected_count"]),
                      c["last_pull_at"] or "—", c["last_error"] or "")
    out.print(table)
    if state["rejections"]:
        rejected = Table(title="Quarantined records (posting_rejections)")
        for name in ("store", "reason", "records"):
            rejected.add_column(name)
        for r in state["rejections"]:
            rejected.add_row(str(r["store_id"]), r["code"], str(r["count"]))
        out.print(rejected)


@report_app.command("sales")
def sales(
    ctx: typer.Context,
    store: Store = None,
    day: Annotated[str | None, typer.Option("--day", help="business day YYYY-MM-DD (UTC)")
                   ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON (money in cents)")
                       ] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Sales per store, register and business day from HQ's posted transactions."""
    with cli_errors():
        day = parse_day(day)
        engine = prepare_database(locations(data_dir_of(ctx, data_dir)).hq_url(database_url),
                                  "hq")
        try:
            with engine.connect().execution_options(kassa_readonly=True) as conn:
                report = sales_report(conn, store_id=store, day=day)
        finally:
            engine.dispose()
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        print_sales_report(report, out)
