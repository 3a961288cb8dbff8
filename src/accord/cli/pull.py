"""``accord sharing pull``, ``sync`` and ``remotes``: federation pulls from the command line.

Commands of ``accord sharing`` (``sharing.py`` adds them to its group). A remote's token comes
from ``ACCORD_REMOTE_TOKEN``; a scheduled remote's is kept in a 0600 file
(``sharing/remotes.py``) and never printed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import outbound
from accord.cli import words
from accord.cli.context import database, settings_from_env
from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, AccordError, InvalidInput, Message
from accord.identity.policy import SYSTEM
from accord.sharing import federation, remotes
from accord.sharing.models import Remote

app = typer.Typer()
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")]
PrivateOpt = Annotated[
    bool,
    typer.Option(
        "--allow-private-network",
        help="Allow a remote at a loopback or private address (the hub's own network).",
    ),
]
TOKEN_ENV = "ACCORD_REMOTE_TOKEN"  # noqa: S105 (the variable's name, not a secret)


@app.command("pull")
def pull(
    url: Annotated[str, typer.Argument(help="The remote's TAXII 2.1 API root URL.")],
    collection: Annotated[str, typer.Argument(help="The remote collection's id.")],
    into: Annotated[str, typer.Option(help="The local collection (id or alias).")],
    org: Annotated[str, typer.Option(help="Local organization vouching for the remote.")],
    name: Annotated[str | None, typer.Option(help="A name for this remote.")] = None,
    user: Annotated[str | None, typer.Option(help="Username for HTTP Basic.")] = None,
    every: Annotated[int | None, typer.Option(min=1, help="Pull every N minutes (sync).")] = None,
    peer: Annotated[str | None, typer.Option(help="Local account the remote reads with.")] = None,
    allow_private_network: PrivateOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Pull what a remote collection added since the last pull (token in ACCORD_REMOTE_TOKEN)."""
    settings = outbound.allowing_private(settings_from_env(config), allow_private_network)
    _check_address(url, settings)
    token = os.environ.get(TOKEN_ENV) or None
    spec = federation.RemoteSpec(
        name=name or _name_for(url, collection),
        api_root=url,
        remote_collection=collection,
        local_collection=into,
        organization=org,
        username=user,
        every_minutes=every,
        peer_username=peer,
    )
    with database(settings, writes=False) as db:
        remote = federation.configure_remote(db, spec=spec, actor=SYSTEM)
        if every is not None and token:
            remotes.keep_token_on_commit(db, settings, remote.name, token)
        remote_id = remote.id
    # The pull is a transaction of its own: the remote stays configured when it fails, and
    # keeps why, as a pull run by the hub's jobs does.
    _pull_kept(settings, remote_id, token)


@app.command("sync")
def sync(allow_private_network: PrivateOpt = False, config: ConfigOpt = None) -> None:
    """Pull every scheduled remote whose interval has passed (run it from cron or a timer)."""
    settings = outbound.allowing_private(settings_from_env(config), allow_private_network)
    with database(settings, writes=False) as db:
        due = [(r.id, r.name) for r in federation.due_remotes(db, now=utcnow())]
    if not due:
        out.print(words.gettext("no remote is due"))
        return
    # Each remote in its own transaction: one that fails keeps its error and the others
    # are still pulled; the command then fails, naming each one that did.
    failed = 0
    for remote_id, name in due:
        try:
            _pull_kept(settings, remote_id, remotes.stored_token(settings, name))
        except AccordError as exc:
            failed += 1
            err.print(words.failure(f"{name}: {words.problem(exc.message)}"), markup=False)
    if failed:
        raise typer.Exit(1)


def _pull_kept(settings: Settings, remote_id: int, token: str | None) -> None:
    """Pull one remote in a transaction of its own; a failure is kept on the remote (in
    another transaction, the pull's being rolled back) before it is raised."""
    try:
        with database(settings) as db:
            remote = db.get(Remote, remote_id)
            assert remote is not None
            _pull_one(db, remote, token, settings)
    except AccordError as exc:
        with database(settings, writes=False) as db:
            remote = db.get(Remote, remote_id)
            if remote is not None:
                remotes.keep_error(remote, exc.message)  # as the pull job keeps it
        raise


def _pull_one(db: Session, remote: Remote, token: str | None, settings: Settings) -> None:
    # Every connection goes through the outbound rules (checked and pinned at connection).
    transport = outbound.transport(settings)
    try:
        with federation.client_for(
            remote, token=token, timeout=settings.outbound_timeout_seconds, transport=transport
        ) as client:
            result = federation.pull(db, remote=remote, client=client, actor=SYSTEM, now=utcnow())
    except outbound.Refused as exc:
        raise AccordError(_refused(remote.api_root, exc)) from None
    pages = words.ngettext("%(count)s page", "%(count)s pages", result.pages)
    out.print(
        f"{remote.name}: {result.received} received in {pages}, "
        f"{result.stored} new, {result.failed} invalid; checkpoint {result.checkpoint}"
    )


def _check_address(url: str, settings: Settings) -> None:
    """Refuse a remote at a non-public address before anything is stored about it."""
    try:
        outbound.check_url(url, settings=settings, schemes=("https", "http"))
    except outbound.Refused as exc:
        if exc.code == "bad_url":
            raise InvalidInput(
                Message(N_("%(url)s: %(reason)s"), url=url, reason=exc.message), field="url"
            ) from None
        raise AccordError(_refused(url, exc)) from None


def _refused(url: str, exc: outbound.Refused) -> Message:
    return Message(
        N_(
            "%(url)s: refused: %(message)s (allow the hub's own network with "
            "--allow-private-network)"
        ),
        url=url,
        message=exc.message,
    )


def _name_for(url: str, collection: str) -> str:
    host = re.sub(r"[^a-z0-9.-]+", "-", url.lower().split("://", 1)[-1]).strip("-")
    return f"{host[:40]}-{collection[:8]}".strip("-.")


@app.command("remotes")
def list_remotes(config: ConfigOpt = None) -> None:
    """List the remotes this hub pulls from, with their checkpoints."""
    with database(settings_from_env(config), writes=False) as db:
        for remote in db.scalars(select(Remote).order_by(Remote.name)):
            problem = words.problem(remote.last_error_message) if remote.last_error else None
            out.print(
                f"{remote.name}\t{remote.api_root}\t{remote.checkpoint or '-'}\t"
                f"{words.schedule(remote.every_minutes)}\t{words.outcome(problem)}",
                highlight=False,
                markup=False,
            )
