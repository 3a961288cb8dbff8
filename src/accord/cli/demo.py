"""``accord demo``: load the example hub into an empty one (see ``accord.demo``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli import words
from accord.cli.context import open_engine, say_written, settings_from_env
from accord.db import make_sessionmaker, unit_of_work
from accord.demo import services
from accord.errors import N_
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
    for line in summary(loaded):
        typer.echo(line)
    say_written(settings)


def _case(status: str, ident: str) -> str:
    # One sentence per status: the word's place and form differ between languages.
    said = {
        "reported": N_("case reported: %(case)s"),
        "invalid": N_("case invalid: %(case)s"),
        "spam": N_("case marked as spam: %(case)s"),
        "duplicate": N_("case duplicate: %(case)s"),
        "question": N_("case answered as a question: %(case)s"),
        "open": N_("case open: %(case)s"),
        "published": N_("case published: %(case)s"),
        "closed": N_("case closed: %(case)s"),
    }
    sentence = said.get(status) or N_("case %(status)s: %(case)s")
    return words.gettext(sentence, status=status, case=ident)


def summary(loaded: services.Loaded) -> list[str]:
    """What the demo made, in the terminal's language: a heading and indented lines."""
    lines = [
        words.gettext("organizations: %(names)s", names=", ".join(loaded.organizations)),
        words.ngettext(
            "advisories: %(count)s PyPA record (%(source)s)",
            "advisories: %(count)s PyPA records (%(source)s)",
            loaded.advisories,
            source=words.gettext(services.SOURCE),  # stored in English
        ),
        *(_case(status, ident) for status, ident in loaded.cases.items()),
        words.ngettext(
            "shared objects: %(count)s, at one TLP level",
            "shared objects: %(count)s, one at each TLP level",
            loaded.objects,
        ),
        words.gettext("progress report: %(report)s", report=loaded.report),
    ]
    heading = words.gettext("Loaded the example hub (fictional organizations; every one says so):")
    return [heading, *(f"  {line}" for line in lines)]
