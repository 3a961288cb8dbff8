"""``accord check``: am I affected? Exit status 0 nothing found, 1 found, 2 error.

``accord check [INPUT...]`` checks environments, lock files and SBOMs against a hub
(``--hub``) or an offline snapshot (``--offline``); ``accord check ioc VALUE...`` looks up
indicators of compromise. Both write a table for people or JSON for tools.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from accord.check import inputs, services
from accord.check.findings import RATINGS, Filters
from accord.check.interface import Reading, Source
from accord.check.outputs import OutputFormat, writer
from accord.check.sources.hub import HubSource
from accord.cli import words
from accord.errors import AccordError

if TYPE_CHECKING:
    from accord.sharing.schemas import LookupResult

# The hub's domains (database, identity, sharing) are imported by `check ioc` alone, when it
# runs: a check of packages needs none of them (a test holds this).

NOTHING_FOUND, FOUND, ERROR = 0, 1, 2
HUB_ENV = "ACCORD_HUB"
TOKEN_ENV = "ACCORD_TOKEN"  # noqa: S105 (the variable's name, not a secret)
PROGRESS_FROM = 200  # dependencies: below this a check is too quick for a progress bar

err = Console(stderr=True, highlight=False, soft_wrap=True)


class _DependenciesByDefault(TyperGroup):
    """``accord check FILE...`` means ``accord check deps FILE...``: ``ioc`` is the other."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own click Context
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["deps", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_DependenciesByDefault,
    help="Am I affected? Check packages (the default) or indicators (ioc). "
    "Exit status: 0 nothing found, 1 found, 2 error.",
)


@contextmanager
def _errors_exit_2() -> Iterator[None]:
    try:
        yield
    except AccordError as exc:
        err.print(words.failure(words.problem(exc.message)), markup=False)
        raise typer.Exit(ERROR) from None
    except OSError as exc:
        err.print(words.failure(exc), markup=False)
        raise typer.Exit(ERROR) from None


class _Bar:
    """A rich progress bar on standard error (shown only on a terminal)."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.task = progress.add_task(words.gettext("checking"), total=total)

    def advance(self, amount: int) -> None:
        self.progress.advance(self.task, amount)


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[_Bar | None]:
    if not enabled or total < PROGRESS_FROM:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as progress:
        yield _Bar(progress, total)


@app.command("deps")
def deps(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Lock files, requirements files, SBOMs, or environment folders "
            "(none: the running Python environment).",
            show_default=False,
        ),
    ] = None,
    hub: Annotated[
        str | None,
        typer.Option(envvar=HUB_ENV, help="Ask this hub's OSV API (token: ACCORD_TOKEN)."),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Use a snapshot (accord snapshot pull).")
    ] = False,
    snapshot: Annotated[
        Path | None, typer.Option(help="The snapshot file (default: the one pulled).")
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="The hub's log key the snapshot must be signed with.")
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="How to write the findings.")
    ] = OutputFormat.TABLE,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file.")
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="An advisory id (or alias) to leave out.")
    ] = None,
    severity: Annotated[
        str | None,
        typer.Option(
            help="Report only this rating and above: low, medium, high, critical "
            "(advisories without a rating are always reported).",
        ),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on long work.")] = True,
) -> None:
    """Check packages for known vulnerabilities: 0 nothing found, 1 found, 2 error."""
    with _errors_exit_2(), services.collector_paused():
        filters = _filters(ignore, severity)
        source = _source(hub, offline, snapshot, key)
        readings = _read(paths or [])
        total = sum(len(r.dependencies) for r in readings)
        with _progress(total, progress) as bar:
            report = services.check(readings=readings, source=source, filters=filters, progress=bar)
        _close(source)
        text = writer(output_format)(report)
        if output is not None:
            output.write_text(text)
        else:
            sys.stdout.write(text)
        if output_format is not OutputFormat.TABLE or output is not None:
            for problem in report.errors:
                err.print(words.failure(problem), markup=False)
    raise typer.Exit(report.exit_code)


def _filters(ignore: list[str] | None, severity: str | None) -> Filters:
    minimum = None
    if severity is not None:
        minimum = severity.upper()
        if minimum not in RATINGS[1:]:
            raise AccordError(f"--severity: {severity!r} is not low, medium, high or critical")
    return Filters(ignore=frozenset(ignore or []), minimum=minimum)


def _source(hub: str | None, offline: bool, snapshot: Path | None, key: str | None) -> Source:
    if offline or snapshot is not None:
        from accord.cli.snapshot import open_snapshot

        return open_snapshot(snapshot=snapshot, key=key, hub=hub)
    if hub is None:
        raise AccordError(
            "name a hub with --hub URL (or ACCORD_HUB), or check offline with --offline "
            "after `accord snapshot pull --hub URL`"
        )
    return HubSource(hub)


def _close(source: Source) -> None:
    close = getattr(source, "close", None)
    if close is not None:
        close()


def _read(paths: Sequence[Path]) -> list[Reading]:
    if not paths:
        return [inputs.read_environment(None)]
    return inputs.read_all(paths)


@app.command("ioc")
def ioc(
    values: Annotated[list[str], typer.Argument(help="Hashes, IP addresses, domains, URLs.")],
    hub: Annotated[
        str | None, typer.Option(help="Ask this hub's API (token: ACCORD_TOKEN).")
    ] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Look up as this local user.")] = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="table (tab-separated lines) or json."),
    ] = OutputFormat.TABLE,
    config: Annotated[Path | None, typer.Option("--config")] = None,
) -> None:
    """Print the indicators that match each value: 0 nothing matched, 1 matched, 2 error."""
    with _errors_exit_2():
        if output_format not in (OutputFormat.TABLE, OutputFormat.JSON):
            raise AccordError(f"--format: {output_format.value} is for packages; use table or json")
        if hub:
            results, public_only = _remote(hub, values), not os.environ.get(TOKEN_ENV)
        else:
            results, public_only = _local(values, as_user, config), as_user is None
    matched = any(result.indicators for result in results)
    # Anonymous look-ups see only TLP:CLEAR: "not known" must not claim more than that.
    unknown = "not known in public (TLP:CLEAR) data" if public_only else "not known"
    if public_only:
        how = "a token (ACCORD_TOKEN)" if hub else "--as USER"
        err.print(
            f"note: looked up anonymously: only public (TLP:CLEAR) indicators were searched; "
            f"use {how} to search what your organization may read",
            markup=False,
        )
    if output_format is OutputFormat.JSON:
        body: dict[str, Any] = {
            "tool": {"name": "accord check ioc"},
            "searched": "TLP:CLEAR only" if public_only else "what the user may read",
            "results": [r.model_dump(mode="json") for r in results],
        }
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
    else:
        for result in results:
            if not result.indicators:
                typer.echo(f"{result.value}\t{result.kind}\t{unknown}")
            for hit in result.indicators:
                # Tab-separated, one line a match: for scripts as much as for people.
                seen = words.ngettext("%(count)s sighting", "%(count)s sightings", hit.sightings)
                typer.echo(
                    f"{result.value}\t{result.kind}\t{hit.id}\tTLP:{hit.tlp.upper()}\t"
                    f"{seen}\t{hit.name or hit.pattern}"
                )
    raise typer.Exit(FOUND if matched else NOTHING_FOUND)


def _local(values: list[str], username: str | None, config: Path | None) -> list[LookupResult]:
    from accord.cli.context import database, settings_from_env
    from accord.identity.policy import ANONYMOUS, Actor
    from accord.identity.services import actor_for, get_user
    from accord.sharing import indicators
    from accord.sharing.readers import reader_for

    with database(settings_from_env(config), writes=False) as db:
        actor: Actor = ANONYMOUS
        if username:
            actor = actor_for(db, get_user(db, username))
        return indicators.look_up(db, reader=reader_for(db, actor), values=values)


def _remote(hub: str, values: list[str]) -> list[LookupResult]:
    from accord.sharing.schemas import LookupResult

    token = os.environ.get(TOKEN_ENV)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = hub.rstrip("/") + "/api/v1/sharing/lookup"
    try:
        response = httpx.post(url, json={"values": values}, headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        raise AccordError(f"cannot reach {url}: {exc or type(exc).__name__}") from None
    if response.status_code != 200:
        raise AccordError(f"{url} answered {response.status_code}: {response.text[:200]}")
    return [LookupResult.model_validate(r) for r in response.json()]
