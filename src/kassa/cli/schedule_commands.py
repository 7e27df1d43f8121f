"""``kassa schedule …``: distribution schedules (DESIGN §4, §8).

* ``kassa schedule run [NAME] [--data-group ID | --store ID]`` — run a schedule (default
  ``All jobs``) for every data group or one; prints one line per group: the package written
  with its rows and bytes (channel and offline bodies), ``baseline`` or ``no changes``.
* ``kassa schedule list`` — schedules with their jobs, interval and last run.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress
from sqlalchemy import select

from kassa.cli.hq_commands import DatabaseUrl, DataDir, cli_errors, data_dir_of, open_hq
from kassa.db import hq_schema as s
from kassa.domain.errors import InvalidInput, NotFound
from kassa.hq.distribution.writer import GroupOutcome, get_schedule, list_schedules, run_schedule

schedule_app = typer.Typer(
    help="Distribution schedules: run them, list them.", no_args_is_help=True
)


@schedule_app.command("run")
def run(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="schedule name or id")] = "All jobs",
    data_group: Annotated[
        int | None, typer.Option("--data-group", help="only this channel data group")
    ] = None,
    store: Annotated[
        int | None, typer.Option("--store", help="only this store's data group")
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Run a distribution schedule: at most one package per channel data group."""
    with cli_errors():
        if data_group is not None and store is not None:
            raise InvalidInput("give --data-group or --store, not both", code="cli.options")
        engine = open_hq(data_dir_of(ctx, data_dir), database_url)
        try:
            with engine.connect() as conn:
                schedule = get_schedule(conn, int(name) if name.isdigit() else name)
                groups = [data_group] if data_group is not None else None
                if store is not None:
                    group = conn.execute(
                        select(s.stores.c.data_group_id).where(s.stores.c.id == store)
                    ).scalar_one_or_none()
                    if group is None:
                        raise NotFound(f"no store {store}", code="store.unknown")
                    groups = [int(group)]
                total = (
                    len(groups) if groups else len(conn.execute(select(s.data_groups.c.id)).all())
                )
            lines: list[str] = []
            with Progress(transient=True) as progress:
                task = progress.add_task(f"schedule {schedule.name}", total=total)

                def done(outcome: GroupOutcome) -> None:
                    lines.append(outcome.describe())
                    progress.advance(task)

                report = run_schedule(engine, schedule.id, groups, on_group=done)
        finally:
            engine.dispose()
    for line in lines:
        typer.echo(line)
    written = report.packages
    typer.echo(
        f"schedule {report.schedule_name!r}: {len(written)} package(s) written, "
        f"{sum(p.rows for p in written):,} rows, {sum(p.size for p in written):,} bytes; "
        f"{len(report.groups) - len(written)} group(s) without changes"
    )


@schedule_app.command("list")
def list_(ctx: typer.Context, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """List distribution schedules."""
    with cli_errors():
        engine = open_hq(data_dir_of(ctx, data_dir), database_url)
        try:
            with engine.connect() as conn:
                schedules = list_schedules(conn)
        finally:
            engine.dispose()
    for x in schedules:
        every = f"every {x.interval_s} s" if x.interval_s else "on demand"
        last = x.last_run_at.isoformat() if x.last_run_at else "never"
        jobs = ", ".join(map(str, x.job_ids))
        typer.echo(f"{x.id:>3}  {x.name:<20} jobs {jobs:<28} {every:<14} last run {last}")
