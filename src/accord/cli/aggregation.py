"""``accord aggregation``: the CSAF aggregator's schedule and its passes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from accord.cli import words
from accord.cli.context import open_engine, say_written, settings_from_env
from accord.db import make_sessionmaker, unit_of_work

aggregation_app = typer.Typer(
    no_args_is_help=True, help="The CSAF aggregator: read other providers' feeds."
)
out = Console(highlight=False, soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")]


@aggregation_app.command("schedule")
def schedule(
    every: Annotated[
        int | None,
        typer.Option("--every", min=1, max=31 * 24 * 60, help="Repeat every N minutes."),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Queue a pass over every mirrored CSAF provider; with --every, the job queues its own
    next run."""
    from accord.aggregation import handlers
    from accord.jobs import services as jobs

    settings = settings_from_env(config)
    engine = open_engine(settings)
    payload = {} if every is None else {"every_minutes": every}
    try:
        with unit_of_work(make_sessionmaker(engine)) as db:
            job = jobs.enqueue(db, kind=handlers.SCHEDULE_KIND, payload=payload, settings=settings)
            job_id = job.id
    finally:
        engine.dispose()
    say_written(settings)
    if every:
        said = words.ngettext(
            "queued job %(job)s (%(kind)s), then every %(count)s minute",
            "queued job %(job)s (%(kind)s), then every %(count)s minutes",
            every, job=str(job_id), kind=handlers.SCHEDULE_KIND,
        )  # fmt: skip
    else:
        said = words.gettext("queued job %(job)s (%(kind)s)", job=str(job_id),
                             kind=handlers.SCHEDULE_KIND)  # fmt: skip
    out.print(said)
