"""``accord check``: tools for users. ``accord check ioc VALUE...``: is this known bad?"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import httpx
import typer

from accord.cli.context import database, settings_from_env
from accord.errors import AccordError
from accord.identity.policy import ANONYMOUS, Actor
from accord.identity.services import actor_for, get_user
from accord.sharing import indicators
from accord.sharing.readers import reader_for
from accord.sharing.schemas import LookupResult

app = typer.Typer(no_args_is_help=True, help="Check values, environments and files.")

FOUND_EXIT = 3  # like grep's 0/1, but 1 is already "error" for every accord command
TOKEN_ENV = "ACCORD_TOKEN"  # noqa: S105 (the variable's name, not a secret)


@app.command("ioc")
def ioc(
    values: Annotated[list[str], typer.Argument(help="Hashes, IP addresses, domains, URLs.")],
    hub: Annotated[
        str | None, typer.Option(help="Ask this hub's API (token: ACCORD_TOKEN).")
    ] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Look up as this local user.")] = None,
    config: Annotated[Path | None, typer.Option("--config")] = None,
) -> None:
    """Print the indicators that match each value; exit 3 if any value matched one."""
    results = _remote(hub, values) if hub else _local(values, as_user, config)
    matched = False
    for result in results:
        if not result.indicators:
            typer.echo(f"{result.value}\t{result.kind}\tnot known")
        for hit in result.indicators:
            matched = True
            # Tab-separated, one line a match: for scripts as much as for people.
            typer.echo(
                f"{result.value}\t{result.kind}\t{hit.id}\tTLP:{hit.tlp.upper()}\t"
                f"{hit.sightings} sighting(s)\t{hit.name or hit.pattern}"
            )
    if matched:
        raise typer.Exit(FOUND_EXIT)


def _local(values: list[str], username: str | None, config: Path | None) -> list[LookupResult]:
    with database(settings_from_env(config)) as db:
        actor: Actor = ANONYMOUS
        if username:
            actor = actor_for(db, get_user(db, username))
        return indicators.look_up(db, reader=reader_for(db, actor), values=values)


def _remote(hub: str, values: list[str]) -> list[LookupResult]:
    token = os.environ.get(TOKEN_ENV)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = hub.rstrip("/") + "/api/v1/sharing/lookup"
    try:
        response = httpx.post(url, json={"values": values}, headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        raise AccordError(f"cannot reach {url}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise AccordError(f"{url} answered {response.status_code}: {response.text[:200]}")
    return [LookupResult.model_validate(r) for r in response.json()]
