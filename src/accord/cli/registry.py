"""``accord registry``: registry tasks from the server's shell."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine

from accord.cli import words
from accord.cli.context import open_engine, refused, say_written, settings_from_env
from accord.config import Settings
from accord.db import make_sessionmaker, unit_of_work
from accord.errors import N_
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org, list_orgs
from accord.registry import checks
from accord.registry.models import SecurityTxtCheck
from accord.web.labels import FINDINGS, LABELS

registry_app = typer.Typer(no_args_is_help=True, help="The registry: signatories and checks.")

out = Console(highlight=False, soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")]


@registry_app.command("check-securitytxt")
def check_securitytxt(
    slug: Annotated[str | None, typer.Argument(help="The organization to check.")] = None,
    all_orgs: Annotated[bool, typer.Option("--all", help="Check every organization.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Fetch and check security.txt files (RFC 9116) and store the results.

    Exits 1 if any file has an error (missing, expired, malformed, not over HTTPS...).
    """
    if (slug is None) == (not all_orgs):
        raise typer.BadParameter(N_("give one organization's SLUG or --all"))  # said by typer_words
    settings = settings_from_env(config)
    engine = open_engine(settings)
    try:
        factory = make_sessionmaker(engine)
        with unit_of_work(factory) as db:
            slugs = [slug] if slug else [org.slug for org in list_orgs(db)]
        failed = 0
        # One transaction per organization: a slow server delays only its own result.
        for each in slugs:
            with unit_of_work(factory) as db:
                row = checks.run(db, org=get_org(db, each), actor=SYSTEM, settings=settings)
                _report(each, row)
                failed += not row.ok
    finally:
        engine.dispose()
    say_written(settings)
    if failed:
        raise typer.Exit(1)


def _report(slug: str, row: SecurityTxtCheck) -> None:
    errors = sum(f["severity"] == "error" for f in row.findings)
    warnings = len(row.findings) - errors
    verdict = words.gettext("ok") if row.ok else words.gettext("problems")
    counted = ", ".join(
        [
            words.ngettext("%(count)s error", "%(count)s errors", errors),
            words.ngettext("%(count)s warning", "%(count)s warnings", warnings),
        ]
    )
    out.print(f"{slug}: {verdict} ({counted}) {row.url}", markup=False)
    for finding in row.findings:
        line = words.gettext(" line %(line)s", line=finding["line"]) if finding.get("line") else ""
        # The stored record is English (with its values); another language says the
        # finding's sentence by its code, the record after it, as the profile page does.
        known = FINDINGS.get(str(finding.get("code")))
        said = finding["message"]
        if known is not None and words.reader().language != "en":
            said = f"{words.gettext(known)} ({said})"
        severity = words.gettext(LABELS.get(finding["severity"], finding["severity"]))
        out.print(f"  {severity}: {said}{line}", markup=False)


@registry_app.command("schedule-checks")
def schedule_checks(
    every: Annotated[
        int | None,
        typer.Option("--every", min=1, max=31 * 24 * 60, help="Repeat every N minutes."),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Queue the registry checks of every signatory (security.txt, disclosure policy, CSAF
    provider metadata) as a job; with --every, the job queues its own next run."""
    from accord.registry import handlers

    settings = settings_from_env(config)
    engine = open_engine(settings)
    try:
        with unit_of_work(make_sessionmaker(engine)) as db:
            job = handlers.schedule(db, every_minutes=every, settings=settings)
            job_id, run_at, repeats = job.id, job.run_at, job.payload.get("every_minutes")
    finally:
        engine.dispose()
    say_written(settings)
    # An already queued repeating run is kept, with its own interval.
    when = words.when(run_at)
    if repeats:
        out.print(
            words.ngettext(
                "queued job %(id)s (%(kind)s) at %(when)s, then every %(count)s minute",
                "queued job %(id)s (%(kind)s) at %(when)s, then every %(count)s minutes",
                int(repeats),
                id=str(job_id),
                kind=handlers.KIND,
                when=when,
            )
        )
    else:
        out.print(
            words.gettext(
                "queued job %(id)s (%(kind)s) at %(when)s",
                id=str(job_id),
                kind=handlers.KIND,
                when=when,
            )
        )


@registry_app.command("depart")
def depart(
    slug: Annotated[str, typer.Argument(help="The signatory that leaves or is removed.")],
    confirm: Annotated[
        str,
        typer.Option("--confirm", help="The same slug again: a departure is public and logged."),
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Why (public; required for a removal).")
    ] = "",
    left: Annotated[
        bool,
        typer.Option("--left", help="The signatory asked to leave (else operators remove it)."),
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Record a signatory's departure: it left (--left), or operators removed it with a
    reason. Logged in the transparency log; the public lists show it with its date."""
    with refused():
        settings = settings_from_env(config)
        engine = open_engine(settings)
        try:
            kind, on = _depart(engine, settings, slug, confirm=confirm, reason=reason, left=left)
        finally:
            engine.dispose()
    say_written(settings)
    # One sentence per kind of departure: the word's place differs between languages.
    line = (
        N_("%(slug)s: left on %(when)s") if kind == "left" else N_("%(slug)s: removed on %(when)s")
    )
    out.print(words.gettext(line, slug=slug, when=on), markup=False)


def _depart(
    engine: Engine, settings: Settings, slug: str, *, confirm: str, reason: str, left: bool
) -> tuple[str, datetime]:
    from accord.errors import InvalidInput
    from accord.registry import departures

    with unit_of_work(make_sessionmaker(engine)) as db:
        org = get_org(db, slug)
        if left:
            found = departures.leave(
                db, org=org, confirm=confirm, reason=reason, actor=SYSTEM, settings=settings
            )
        elif confirm.strip() != org.slug:
            message = f"confirm: give --confirm {org.slug} to remove {org.name}"
            raise InvalidInput(message, field="confirm")
        else:
            found = departures.remove(db, org=org, reason=reason, actor=SYSTEM, settings=settings)
        return found.kind.value, found.departed_at
