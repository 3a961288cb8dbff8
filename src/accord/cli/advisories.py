"""``accord advisories``: import OSV records from files, folders, zip archives and URLs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord import outbound
from accord.cli import words
from accord.cli.context import open_engine, say_written, settings_from_env
from accord.db import make_sessionmaker, unit_of_work
from accord.identity import services
from accord.identity.policy import SYSTEM

if TYPE_CHECKING:
    from accord.advisories.importer import Outcome, Rejection, Report

app = typer.Typer(no_args_is_help=True, help="Security advisories (OSV, CSAF).")
out = Console()

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")]


@app.command("import")
def import_(
    location: Annotated[str, typer.Argument(help="A file, folder, zip archive or http(s) URL.")],
    org: Annotated[
        str | None, typer.Option(help="Slug of the organization to show as publisher.")
    ] = None,
    allow_private_network: Annotated[
        bool,
        typer.Option(
            "--allow-private-network",
            help="Allow a URL (or a redirect) to a loopback or private address.",
        ),
    ] = False,
    create: Annotated[
        bool, typer.Option("--create", help="Make a new hub if there is none at the settings'.")
    ] = False,
    source_name: Annotated[
        str | None,
        typer.Option(
            "--source-name",
            help='How pages name the source ("PyPA advisory database"); default: the '
            "URL's database or host, or for local files the database of the records' ids.",
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Import OSV records (JSON or YAML) and CSAF 2.0 documents; each is validated (CSAF: the
    schema and mandatory tests), and imported whole or not at all.

    A range that breaks the OSV schema is dropped, and said so, when the rest of its record
    is valid.
    """
    # Imported here: the importer brings the advisories domain, which every other command
    # would otherwise pay for at start-up.
    from accord.advisories import importer
    from accord.transparency import origin as log_origin

    settings = outbound.allowing_private(settings_from_env(config), allow_private_network)
    engine = open_engine(settings, create=create, offers_create=True)
    try:
        factory = make_sessionmaker(engine)
        organization_id = None
        with unit_of_work(factory) as db:
            # Refuse at once, not at the first record, to log under another address.
            log_origin.check(db, settings=settings)
            if org is not None:
                organization_id = services.get_org(db, org).id
        with _progress() as progress:
            task = progress.add_task(words.gettext("importing"), total=importer.count(location))

            def advance(result: Outcome | Rejection) -> None:
                progress.advance(task)

            report = importer.run(
                factory,
                location,
                actor=SYSTEM,
                settings=settings,
                organization_id=organization_id,
                on_record=advance,
                source_name=source_name,
            )
    finally:
        engine.dispose()
    _summary(report)
    say_written(settings)


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=False,
    )


def _outcome(outcome: Outcome) -> str:
    """A row of the summary in the reader's words (the outcome's value is the machine's)."""
    said = {
        "imported": words.pgettext("records", "imported"),
        "updated": words.pgettext("records", "updated"),
        "unchanged": words.pgettext("records", "unchanged"),
        "rejected": words.pgettext("records", "rejected"),
    }
    return said.get(outcome.value, outcome.value)


def _summary(report: Report) -> None:
    from accord.advisories.importer import Outcome

    read = words.ngettext("%(count)s record read", "%(count)s records read", report.total)
    # A line of its own: a title is wrapped at the table's width, narrow in any language.
    out.print(read, highlight=False)
    table = Table(words.gettext("outcome"), words.gettext("records"))
    for outcome in Outcome:
        table.add_row(_outcome(outcome), str(report.counts[outcome]))
    out.print(table)
    for rejection in report.rejections:
        out.print(
            words.gettext(
                "rejected %(record)s (%(where)s): %(reason)s",
                record=rejection.record_id or words.gettext("(no id)"),
                where=rejection.where,
                reason=words.problem(rejection.reason),
            ),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    for drop in report.dropped:
        out.print(
            words.gettext(
                "dropped %(record)s %(path)s (%(where)s): %(reason)s",
                record=drop.record_id,
                path=drop.path,
                where=drop.where,
                reason=words.problem(drop.reason),
            ),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
