"""``accord demo``: load the example hub into an empty one (see ``accord.demo``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli.context import open_engine, say_written, settings_from_env
from accord.db import make_sessionmaker, unit_of_work
from accord.demo import services
from accord.identity.ratelimit import RateLimiter

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")]


def demo(config: ConfigOpt = None) -> None:
    """Load example data (fictional organizations, cases, real advisories) into an empty hub."""
    settings = settings_from_env(config)
    # A demo makes the hub it fills, as `accord serve` would; it refuses one that has data.
    engine = open_engine(settings, create=True)
    try:
        with unit_of_work(make_sessionmaker(engine)) as db:
            limiter = RateLimiter.for_hub(settings, engine)
            loaded = services.load(db, settings=settings, limiter=limiter)
    finally:
        engine.dispose()
    typer.echo("Loaded the example hub (fictional organizations; every one says so):")
    typer.echo(f"  organizations: {', '.join(loaded.organizations)}")
    typer.echo(f"  advisories: {loaded.advisories} PyPA records ({services.SOURCE})")
    for status, ident in loaded.cases.items():
        typer.echo(f"  case {status}: {ident}")
    typer.echo(f"  shared objects: {loaded.objects}, one at each TLP level")
    typer.echo(f"  progress report: {loaded.report}")
    say_written(settings)
