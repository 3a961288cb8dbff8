"""The ``accord`` command line: serve the hub and administer it; check packages.

Every failure is one line on standard error and a non-zero exit (1 for a refused action,
2 for bad usage or input the command could not handle); no traceback reaches the user
unless ``ACCORD_DEBUG=1`` asks for it.

Each command's module is imported only when that command runs: ``accord check`` and
``accord snapshot`` import the check and the log's verification, not the hub (its database,
web application and domains), which cost seconds of start-up. ``accord --help`` lists every
command from the one-line summaries below without importing them (a test keeps the
summaries equal to the commands' own).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import typer
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from accord.cli import help_texts, typer_words

# name: (module, attribute: a Typer app or a command function, the one-line summary)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "version": ("accord.cli.admin", "version", "Print the version."),
    "serve": (
        "accord.cli.admin",
        "serve",
        "Migrate the database and run the hub; print a one-time link while it has no operator.",
    ),
    "demo": (
        "accord.cli.demo",
        "demo",
        "Load example data (fictional organizations, cases, real advisories) into an empty hub.",
    ),
    "db": ("accord.cli.admin", "db_app", "Database schema."),
    "org": ("accord.cli.admin", "org_app", "Organizations."),
    "user": ("accord.cli.admin", "user_app", "User accounts."),
    "token": ("accord.cli.admin", "token_app", "API tokens."),
    "registry": ("accord.cli.registry", "registry_app", "The registry: signatories and checks."),
    "advisories": ("accord.cli.advisories", "app", "Security advisories (OSV, CSAF)."),
    "aggregation": (
        "accord.cli.aggregation",
        "aggregation_app",
        "The CSAF aggregator: read other providers' feeds.",
    ),
    "pledges": (
        "accord.cli.campaigns",
        "pledges_app",
        "Pledges: texts organizations endorse beside the accord.",
    ),
    "campaigns": (
        "accord.cli.campaigns",
        "campaigns_app",
        "Campaigns: a measurable goal across the signatories.",
    ),
    "log": ("accord.cli.log", "log_app", "The hub's transparency log."),
    "witness": (
        "accord.cli.witness",
        "witness_app",
        "Witness other logs (C2SP tlog-witness): the logs and the key.",
    ),
    "sharing": (
        "accord.cli.sharing",
        "app",
        "Threat sharing: collections, federation, groups.",
    ),
    "check": (
        "accord.cli.check",
        "app",
        "Am I affected? Check packages (the default) or indicators (ioc). "
        "Exit status: 0 nothing found, 1 found, 2 error.",
    ),
    "jobs": ("accord.cli.jobs", "app", "Background jobs."),
    "accountability": ("accord.cli.accountability", "app", "Accountability figures and reports."),
    "worker": (
        "accord.cli.jobs",
        "worker",
        "Run background jobs (notifications, retries) until stopped by SIGTERM or Ctrl-C.",
    ),
    "snapshot": ("accord.cli.snapshot", "snapshot_app", "Offline snapshots of a hub's advisories."),
}


def load(name: str) -> Any:
    """The click command of ``name``, built as ``add_typer`` / ``command`` would build it."""
    module, attribute, _ = COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    parent = typer.Typer(add_completion=False)
    parent.callback()(_nothing)  # a group, even around a single command
    if isinstance(target, typer.Typer):
        parent.add_typer(target, name=name)
    else:
        parent.command(name)(target)
    command = typer.main.get_group(parent).commands[name]
    # Built afresh for this run: its help can be the terminal's language's.
    help_texts.translate(command, _gettext())
    typer_words.install(command)  # Typer's own words too: "Usage:", the help option's
    return command


def _gettext() -> Any:
    """The terminal's catalog's gettext (English: the help as written)."""
    from accord.cli import words
    from accord.i18n import translations

    return translations(words.reader().language).gettext


def _nothing() -> None:
    """(The root group of a command loaded on its own.)"""


class _LazyCommands(TyperGroup):
    """Commands imported on first use; their summaries are known without importing them."""

    _listing = False
    context_class = typer_words.Context

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        finally:
            typer_words.unsay()  # Typer's titles in English again after the run

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except UsageError as exc:  # the root's own options
            _say_again(exc)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:  # a command's, however deep: parsed within this call
            _say_again(exc)
            raise

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if self._listing and cmd_name not in self.commands:
            # Only the summary is shown: a stand-in instead of importing the command.
            summary = help_texts.said(COMMANDS[cmd_name][2], _gettext())
            return typer.core.TyperCommand(cmd_name, help=summary)
        if cmd_name not in self.commands:
            self.commands[cmd_name] = load(cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        help_texts.translate(self, _gettext())  # the root's own words; built for this run
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def _say_again(exc: UsageError) -> None:
    """Raise ``exc`` again in the terminal's language, if it is not English."""
    again = typer_words.translated(exc)
    if again is not None:
        raise again from exc.__cause__


app = typer.Typer(
    cls=_LazyCommands, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
)


@app.callback()
def _root() -> None:
    """Accord: the Cybersecurity Tech Accord as a self-hostable hub."""


def _one_line(exc: Exception) -> str | None:
    """The one line a known failure is shown as (None: not one of ours)."""
    from accord.cli import words  # a person reads it: in their language, moments in their zone

    # Their modules are imported only by the commands that can raise them.
    errors = sys.modules.get("accord.errors")
    if errors is not None and isinstance(exc, errors.AccordError):
        return words.failure(words.problem(exc.message))
    database = sys.modules.get("sqlalchemy.exc")
    if database is not None and isinstance(exc, database.SQLAlchemyError):
        # One line, without the SQL or parameters (they may carry user data).
        cause = getattr(exc, "orig", None) or exc
        lines = str(cause).strip().splitlines()
        first = lines[0] if lines else type(cause).__name__
        return words.failure(f"database: {type(exc).__name__}: {first}")
    if isinstance(exc, OSError):
        return words.failure(exc)
    return None


def run() -> None:
    """Entry point: run the command, turning every known failure into one line."""
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        line = _one_line(exc)
        if line is not None:
            typer.echo(line, err=True)
            # 1 for a refused action; an error may say it is a usage error (2) instead.
            sys.exit(getattr(exc, "exit_code", 1))
        if os.environ.get("ACCORD_DEBUG") == "1":
            raise
        # Not one of ours: most often input that a parser below us could not take. A CI job
        # reads exit 2 as "the tool could not do its work", never as a finding (exit 1).
        from accord.cli import words

        typer.echo(words.failure(_not_completed(exc)), err=True)
        sys.exit(2)


def _not_completed(exc: Exception) -> str:
    """The line of a failure that is none of ours, in the terminal's language: the
    exception's kind and first line (in the words of the code that raised it)."""
    from accord.cli import words

    first = str(exc).strip().splitlines()[:1]
    if first:
        return words.gettext(
            "could not complete (%(kind)s: %(detail)s); ACCORD_DEBUG=1 shows the traceback",
            kind=type(exc).__name__,
            detail=first[0][:200],
        )
    return words.gettext(
        "could not complete (%(kind)s); ACCORD_DEBUG=1 shows the traceback",
        kind=type(exc).__name__,
    )
