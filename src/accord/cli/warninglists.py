"""``accord sharing warninglists``: load, list, remove, turn on and off the warninglists of
known-benign values (MISP's format; see ``sharing/warninglists.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from accord.cli import words
from accord.cli.context import database, settings_from_env
from accord.errors import NotFound
from accord.identity.policy import SYSTEM

if TYPE_CHECKING:
    from accord.sharing.warninglists import ListInfo

app = typer.Typer(no_args_is_help=True, help="Warninglists of known-benign values (MISP's format).")
out = Console(soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")]


@app.command("load")
def warninglists_load(
    files: Annotated[
        list[Path], typer.Argument(help="Lists in MISP's JSON format (.json or .json.gz).")
    ],
    config: ConfigOpt = None,
) -> None:
    """Load lists, each replacing the list of its name (a default one included). All are
    checked first: one with a mistake stores none."""
    from accord.sharing import warninglists

    parsed = []
    for file in files:
        if not file.is_file():
            raise NotFound(f"no file {file}", field="file")
        parsed.append(warninglists.read_file(file.read_bytes(), source=str(file)))
    with database(settings_from_env(config)) as db:
        for one in parsed:
            warninglists.load(db, actor=SYSTEM, parsed=one)
    for one in parsed:
        entries = words.ngettext("%(count)s entry", "%(count)s entries", len(one.entries))
        out.print(f"{one.name}: {entries} ({one.list_type})", markup=False)


@app.command("list")
def warninglists_list(config: ConfigOpt = None) -> None:
    """Every list: name, type, entries, on or off, default or loaded."""
    from accord.sharing import warninglists

    with database(settings_from_env(config), writes=False) as db:
        for info in warninglists.listing(db):
            typer.echo("\t".join((info.name, info.list_type, str(info.entries), *_said(info))))


def _said(info: ListInfo) -> tuple[str, str]:
    """A list's state and origin in the terminal's words (its name, type and count are data)."""
    state = (
        words.pgettext("warninglist", "on")
        if info.enabled
        else words.pgettext("warninglist", "off")
    )
    if not info.default:
        return state, words.pgettext("warninglist", "loaded")
    if info.replaced:
        return state, words.pgettext("warninglist", "default, replaced")
    return state, words.pgettext("warninglist", "default")


@app.command("remove")
def warninglists_remove(name: str, config: ConfigOpt = None) -> None:
    """Remove a loaded list (a default it replaced comes back), or turn a default off."""
    from accord.sharing import warninglists

    with database(settings_from_env(config)) as db:
        warninglists.remove(db, actor=SYSTEM, name=name)
    out.print(words.gettext("%(name)s: removed", name=name), markup=False)


@app.command("enable")
def warninglists_enable(name: str, config: ConfigOpt = None) -> None:
    """Turn a list back on."""
    from accord.sharing import warninglists

    with database(settings_from_env(config)) as db:
        warninglists.set_enabled(db, actor=SYSTEM, name=name, enabled=True)
    out.print(words.gettext("%(name)s: on", name=name), markup=False)


@app.command("disable")
def warninglists_disable(name: str, config: ConfigOpt = None) -> None:
    """Turn a list off, keeping it."""
    from accord.sharing import warninglists

    with database(settings_from_env(config)) as db:
        warninglists.set_enabled(db, actor=SYSTEM, name=name, enabled=False)
    out.print(words.gettext("%(name)s: off", name=name), markup=False)
