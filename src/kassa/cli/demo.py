"""``kassa demo`` — for now: import The Complete Journey into HQ, then show the summary.

Issue 7 replaces this with the full demo (HQ, store servers and registers as processes on
loopback); the command lives in its own module so that it can be swapped whole.
"""

from __future__ import annotations

import typer

from kassa.hq.importer.chain import DEMO_PASSWORD


def demo(ctx: typer.Context) -> None:
    """Import The Complete Journey into HQ (in --data-dir) and show what HQ holds."""
    from kassa.cli.main import import_completejourney_into, show_summary, state_of

    url = state_of(ctx).hq_url(None)
    import_completejourney_into(
        url, source=None, registers_per_store=4, operator_password=DEMO_PASSWORD
    )
    show_summary(url)
    typer.echo(f"Demo operators 1001 (manager) … 1006 sign in with password {DEMO_PASSWORD}.")
