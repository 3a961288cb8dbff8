"""What every command needs: settings, a migrated database, and a unit of work.

Commands open the hub they are pointed at and never make a new one by mistake: a data
directory or database that holds no hub yet is refused (:class:`NoHub`, exit 2) unless the
command creates hubs (``accord serve``, ``accord db upgrade``, ``accord demo``) or was given
``--create``. Every command that writes says which database it wrote to, password hidden.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from sqlalchemy import Engine, inspect, make_url
from sqlalchemy.orm import Session

from accord.cli import words
from accord.config import Settings, load_settings
from accord.db import make_engine, make_sessionmaker, unit_of_work, upgrade
from accord.errors import AccordError, reason_of

CONFIG_ENV = "ACCORD_CONFIG_FILE"


class NoHub(AccordError):
    """The settings name a database that holds no hub, and the command would not create one."""

    exit_code = 2  # the command was pointed at the wrong place: a usage error


def settings_from_env(config: Path | None = None) -> Settings:
    """Settings from the environment and the config file named by ``--config`` or its variable."""
    path = config or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    return load_settings(path)


def shown_url(settings: Settings) -> str:
    """The database URL in force, as it may be shown: any password hidden."""
    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def prepare_data_dir(settings: Settings) -> None:
    """Create the data directory, readable by the hub's user alone (it holds keys)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)


def hub_exists(settings: Settings) -> bool:
    """Whether the database holds a hub (its schema was made), looked at without creating it.

    Connecting to an SQLite file that does not exist would create it: its path is looked at
    first.
    """
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            return True  # nothing to mistake: an in-memory database lives for one command
        if not Path(url.database).is_file():
            return False
    engine = make_engine(settings)
    try:
        with engine.connect() as conn:
            return inspect(conn).has_table("alembic_version")
    finally:
        engine.dispose()


def open_engine(
    settings: Settings, *, create: bool = False, migrate: bool = True, offers_create: bool = False
) -> Engine:
    """The hub's engine, its schema brought up to date; :class:`NoHub` if there is no hub
    there and ``create`` is false (``offers_create``: the command has ``--create``)."""
    if not create and not hub_exists(settings):
        how = "--create or `accord db upgrade`" if offers_create else "`accord db upgrade`"
        raise NoHub(
            f"no Accord hub at {shown_url(settings)}: point ACCORD_DATA_DIR or "
            f"ACCORD_DATABASE_URL (or --config) at your hub, or make a new one with {how}"
        )
    prepare_data_dir(settings)
    engine = make_engine(settings)
    if migrate:
        try:
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
    return engine


def say_written(settings: Settings) -> None:
    """Tell the user which database a command wrote to (on standard error)."""
    typer.echo(words.gettext("wrote to %(url)s", url=shown_url(settings)), err=True)


def check_keys(settings: Settings) -> None:
    """Load (or make) the hub's signing keys now, so a bad key file stops the start-up.

    Otherwise the first request that signs would find it, and that request is a caller's,
    who can do nothing about a key file's permissions.
    """
    from accord.advisories import openpgp
    from accord.transparency import keys

    keys.load_signer(settings, keys.origin_for(settings))
    keys.load_cosigner(settings)
    openpgp.public_key(settings)


@contextmanager
def database(
    settings: Settings, *, migrate: bool = True, create: bool = False, writes: bool = True
) -> Iterator[Session]:
    """A committed-on-success session on the hub's database, brought up to date first; a
    command that ``writes`` then says where it wrote."""
    engine = open_engine(settings, create=create, migrate=migrate)
    try:
        with unit_of_work(make_sessionmaker(engine)) as db:
            yield db
    finally:
        engine.dispose()
    if writes:
        say_written(settings)


@contextmanager
def refused() -> Iterator[None]:
    """A refusal (the hub's, or a value the wire models reject) as one line and exit 1."""
    from pydantic import ValidationError

    try:
        yield
    except AccordError as exc:
        typer.echo(words.failure(words.problem(exc.message)), err=True)
        raise typer.Exit(getattr(exc, "exit_code", 1)) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "input"
        # pydantic's words in English, the catalog's sentence of its type in another language
        typer.echo(words.failure(f"{where}: {words.problem(reason_of(first))}"), err=True)
        raise typer.Exit(1) from None


def ask_secret(question: str, *, repeat: str | None = None, empty: bool = False) -> str:
    """A secret typed at the terminal, not echoed, asked in the terminal's language; with
    ``repeat``, asked twice until both agree (Typer's own confirmation speaks English)."""
    while True:
        value: str = typer.prompt(
            question, default="" if empty else None, hide_input=True, show_default=False
        )
        if repeat is None or typer.prompt(repeat, hide_input=True, default="" if empty else None,
                                          show_default=False) == value:  # fmt: skip
            return value
        typer.echo(words.gettext("The two entries differ; type it again."), err=True)
