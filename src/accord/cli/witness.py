"""Witnessing on the command line: the logs this hub witnesses (``accord witness``) and the
witnesses that cosign this hub's log (``accord log witnesses``). See docs/transparency.md."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from accord.cli import words

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")]

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from accord.config import Settings
    from accord.identity.policy import Actor

out = Console(highlight=False)

witness_app = typer.Typer(
    no_args_is_help=True, help="Witness other logs (C2SP tlog-witness): the logs and the key."
)
log_witnesses_app = typer.Typer(
    no_args_is_help=True, help="The witnesses that cosign this hub's checkpoints."
)


def settings_from_env(config: Path | None) -> Settings:
    """The hub's settings (imported here: ``accord log verify`` must not load the hub)."""
    from accord.cli.context import settings_from_env as load

    return load(config)


@contextmanager
def database(settings: Settings, *, writes: bool = True) -> Iterator[Session]:
    """The hub's database, as every command opens it."""
    from accord.cli.context import database as open_database

    with open_database(settings, writes=writes) as db:
        yield db


def _system() -> Actor:
    from accord.identity.policy import SYSTEM

    return SYSTEM


def _say(message: str) -> None:
    out.print(message, markup=False, soft_wrap=True)


@witness_app.command("add")
def witness_add(
    verifier_key: Annotated[str, typer.Argument(help="The log's key, name+keyid+base64.")],
    origin: Annotated[
        str | None, typer.Option("--origin", help="The log's origin, if not the key's name.")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Witness a log: answer its add-checkpoint requests with this hub's cosignature."""
    from accord.transparency import witness

    settings = settings_from_env(config)
    with database(settings) as db:
        log = witness.add_log(db, actor=_system(), verifier_key=verifier_key, origin=origin)
    _say(
        words.gettext(
            "witnessing %(origin)s; it sends checkpoints to %(url)s",
            origin=log.origin, url=f"{settings.public_url}/witness",
        )
    )  # fmt: skip


@witness_app.command("remove")
def witness_remove(
    origin: Annotated[str, typer.Argument(help="The log's origin.")], config: ConfigOpt = None
) -> None:
    """Stop witnessing a log."""
    from accord.transparency import witness

    with database(settings_from_env(config)) as db:
        witness.remove_log(db, actor=_system(), origin=origin)
    _say(words.gettext("no longer witnessing %(origin)s", origin=origin))


@witness_app.command("list")
def witness_list(config: ConfigOpt = None) -> None:
    """The logs this hub witnesses and the size it last cosigned for each."""
    from accord.transparency import witness

    with database(settings_from_env(config), writes=False) as db:
        for log in witness.witnessed_logs(db):
            _say(f"{log.origin}\t{log.size}\t{log.verifier_key}")


@witness_app.command("key")
def witness_key(config: ConfigOpt = None) -> None:
    """This hub's witness key (name+keyid+base64), for the logs that ask it to cosign."""
    from accord.cli.context import prepare_data_dir
    from accord.transparency import keys

    settings = settings_from_env(config)
    prepare_data_dir(settings)
    _say(keys.load_cosigner(settings).verifier.encode())


@log_witnesses_app.command("add")
def log_witness_add(
    url: Annotated[str, typer.Argument(help="The witness's submission prefix (http(s)://...).")],
    verifier_key: Annotated[str, typer.Argument(help="The witness's key, name+keyid+base64.")],
    allow_private_network: Annotated[
        bool,
        typer.Option(
            "--allow-private-network", help="The witness is on a loopback or private address."
        ),
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Ask a witness to cosign every new checkpoint (policy: ACCORD_LOG_WITNESS_QUORUM)."""
    from accord.transparency import witnessing

    settings = settings_from_env(config)
    with database(settings) as db:
        added = witnessing.add_witness(
            db,
            actor=_system(),
            url=url,
            verifier_key=verifier_key,
            allow_private=allow_private_network,
        )
        witnessing.request_cosignatures(db, settings=settings)
    _say(
        words.gettext(
            "%(name)s will be asked to cosign each checkpoint at %(url)s",
            name=added.name, url=f"{added.url}/add-checkpoint",
        )
    )  # fmt: skip


@log_witnesses_app.command("remove")
def log_witness_remove(
    name: Annotated[str, typer.Argument(help="The witness's name.")], config: ConfigOpt = None
) -> None:
    """Stop asking a witness."""
    from accord.transparency import witnessing

    with database(settings_from_env(config)) as db:
        witnessing.remove_witness(db, actor=_system(), name=name)
    _say(words.gettext("%(name)s is no longer asked", name=name))


@log_witnesses_app.command("list")
def log_witness_list(config: ConfigOpt = None) -> None:
    """The witnesses, the size each last cosigned, and the last error if any."""
    from accord.transparency import witnessing

    settings = settings_from_env(config)
    with database(settings, writes=False) as db:
        for found in witnessing.witnesses(db):
            problem = f"\t{words.failure(found.last_error)}" if found.last_error else ""
            _say(f"{found.name}\t{found.url}\t{found.size}{problem}")
    _say(words.gettext("quorum: %(count)s", count=settings.log_witness_quorum))
