"""``accord accountability``: refresh the stored figures now, or queue the repeating job."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from accord.cli import words
from accord.cli.context import database, settings_from_env

app = typer.Typer(no_args_is_help=True, help="Accountability figures and reports.")
out = Console(soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")]


@app.command("refresh")
def refresh(
    period: Annotated[
        list[str] | None,
        typer.Option("--period", help="A period to refresh (2026-03, 2026-Q1, 2026); repeatable."),
    ] = None,
    every: Annotated[
        int | None,
        typer.Option(min=1, max=7 * 24 * 60, help="Queue a job repeating every N minutes."),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Recompute the stored figures now (default: the periods that may still change), or with
    --every queue the accountability.refresh job that then repeats on its own."""
    from accord.accountability import handlers, hub, periods, services
    from accord.clock import utcnow

    chosen = [periods.parse(key) for key in period] if period else handlers.due_periods(utcnow())
    with database(settings_from_env(config)) as db:
        if every is not None:
            job = handlers.schedule(db, every_minutes=every, periods_keys=None)
            out.print(
                words.ngettext(
                    "job %(id)s queued: refreshing every %(count)s minute",
                    "job %(id)s queued: refreshing every %(count)s minutes",
                    every,
                    id=job.id,
                )
            )
            return
        for found in chosen:
            count = services.refresh(db, period=found)
            hub.store(db, period=found)
            said = words.ngettext("%(count)s signatory", "%(count)s signatories", count)
            out.print(f"{found.key}: {said}")
