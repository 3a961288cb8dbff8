"""``accord sharing push``: push targets from the command line (list, add, push now, remove).

The peer's token comes from ``ACCORD_PUSH_TOKEN`` or a prompt that does not echo it; it is
stored sealed (``sharing/push.py``) and never printed.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from accord import outbound
from accord.cli import words
from accord.cli.context import ask_secret, database, settings_from_env
from accord.clock import utcnow
from accord.config import Settings
from accord.errors import AccordError
from accord.identity.policy import SYSTEM
from accord.sharing import push
from accord.sharing.federation import RemoteError
from accord.sharing.models import PushTarget
from accord.sharing.push_handlers import queue_push

app = typer.Typer(no_args_is_help=True, help="Push a collection's new objects to peers.")
out = Console(soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")]
PrivateOpt = Annotated[
    bool,
    typer.Option(
        "--allow-private-network",
        help="Allow a peer at a loopback or private address (the hub's own network).",
    ),
]
TOKEN_ENV = "ACCORD_PUSH_TOKEN"  # noqa: S105 (the variable's name, not a secret)


@app.command("list")
def list_targets(config: ConfigOpt = None) -> None:
    """List the push targets: peer, collection, ceiling, objects pushed, last error."""
    with database(settings_from_env(config), writes=False) as db:
        for t in db.scalars(select(PushTarget).order_by(PushTarget.name)):
            problem = words.problem(t.last_error_message) if t.last_error else None
            pushed = words.ngettext("%(count)s object pushed", "%(count)s objects pushed", t.pushed)
            out.print(
                f"{t.name}\t{t.api_root}\t{t.remote_collection or '-'}\t{t.max_tlp}\t"
                f"{pushed}\t{words.schedule(t.every_minutes)}\t{words.outcome(problem)}"
            )


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A name for the target (a-z, 0-9, . _ -).")],
    api_root: Annotated[str, typer.Option(help="The peer's TAXII 2.1 API root URL.")],
    collection: Annotated[str, typer.Option(help="The local collection (id or alias).")],
    org: Annotated[str, typer.Option(help="Local organization that stands for the peer.")],
    remote_collection: Annotated[
        str | None, typer.Option(help="The peer's collection to write to (one it lets us).")
    ] = None,
    max_tlp: Annotated[str, typer.Option(help="clear, green or amber.")] = "green",
    user: Annotated[str | None, typer.Option(help="Username for HTTP Basic.")] = None,
    every: Annotated[int | None, typer.Option(min=1, help="Push every N minutes.")] = None,
    allow_private_network: PrivateOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Add or change a push target (token in ACCORD_PUSH_TOKEN, else asked for, not echoed)."""
    settings = outbound.allowing_private(settings_from_env(config), allow_private_network)
    token = os.environ.get(TOKEN_ENV)
    if token is None:
        token = ask_secret(words.gettext("The peer's token (empty for none)"), empty=True)
    spec = push.PushSpec(
        name=name, api_root=api_root, local_collection=collection, organization=org,
        max_tlp=max_tlp, username=user, token=token or None, every_minutes=every,
    )  # fmt: skip
    offered = None
    if remote_collection is not None:
        offered = _writable(settings, spec)
    with database(settings) as db:
        target = push.configure(db, spec=spec, settings=settings, actor=SYSTEM)
        if remote_collection is not None:
            assert offered is not None
            push.choose_remote_collection(
                db, target=target, remote_collection=remote_collection, offered=offered,
                actor=SYSTEM,
            )  # fmt: skip
            if every is not None:
                queue_push(db, target=target, settings=settings, at=utcnow())
        out.print(
            f"{target.name}: {target.api_root} {target.remote_collection or '(no collection yet)'}"
        )


def _writable(settings: Settings, spec: push.PushSpec) -> list[str]:
    """The collections the peer ``spec`` names lets this hub write to, asked with no
    transaction open: a running hub's writes would wait for the peer otherwise (on SQLite the
    hub's one writer). The target is configured in a transaction rolled back at once (what
    is wrong with ``spec`` is said as the saving would say it, before the peer is asked), and
    saved with its collection in one transaction after: a peer that cannot be asked leaves
    nothing stored, as before."""
    with database(settings, writes=False) as db:
        found = push.configure(db, spec=spec, settings=settings, actor=SYSTEM)
        asked = PushTarget(name=found.name, api_root=found.api_root, username=found.username,
                           token_sealed=found.token_sealed)  # fmt: skip
        db.rollback()
    try:
        with push.client_for(asked, settings=settings,
                             transport=outbound.transport(settings)) as client:  # fmt: skip
            return [cid for cid, _ in push.writable_collections(client, asked)]
    except RemoteError as exc:
        raise AccordError(str(exc)) from None


@app.command("now")
def push_now(
    name: str, allow_private_network: PrivateOpt = False, config: ConfigOpt = None
) -> None:
    """Push what a target has pending now, batch by batch."""
    settings = outbound.allowing_private(settings_from_env(config), allow_private_network)
    settle = timedelta(seconds=settings.push_settle_seconds)
    sent = refused = 0
    with database(settings) as db:
        target = push.get_target(db, name)
        transport = outbound.transport(settings)
        with push.client_for(target, settings=settings, transport=transport) as client:
            while True:
                try:
                    result = push.push_batch(
                        db, target=target, client=client, now=utcnow(), settle=settle
                    )
                except RemoteError as exc:
                    # As the scheduled job does: the batch is undone, the peer's answer kept
                    # on the target (the federation page and ``push list`` show it).
                    db.rollback()
                    push.keep_error(target, exc.message)
                    db.commit()
                    raise AccordError(f"{name}: {exc}") from None
                db.commit()  # each accepted batch moves the cursor for good
                sent, refused = sent + result.sent, refused + result.refused
                if result.sent < push.BATCH:
                    break
    out.print(
        words.gettext(
            "%(name)s: %(sent)s sent, %(refused)s refused by the peer",
            name=name,
            sent=sent,
            refused=refused,
        )
    )


@app.command("remove")
def remove(name: str, config: ConfigOpt = None) -> None:
    """Remove a push target; nothing more goes to that peer."""
    with database(settings_from_env(config)) as db:
        push.remove(db, target=push.get_target(db, name), actor=SYSTEM)
    out.print(words.gettext("removed %(name)s", name=name))
