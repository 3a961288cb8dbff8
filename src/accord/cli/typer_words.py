"""Typer's own words in the terminal's language: the usage line, the help's panel titles,
"Show this message and exit.", ``[default: ...]``, ``[required]`` and the usage errors.

Typer carries its own copy of click (``typer._click``), whose words are English f-strings
rather than gettext calls, and ``typer.rich_utils`` reads its panel titles through the
standard library's gettext once, when imported. Neither can be bound to a catalog, so the
command line says them itself, each by a message id that is Typer's English wording (so an
English terminal reads exactly what Typer writes):

- the help's titles and markers are ``rich_utils``' module constants, set from the catalog
  before a help or an error is drawn (:func:`speak`);
- "Usage:" and the help option's sentence come from the context of each command
  (:class:`Context`, which ``cli.main`` gives every command it builds);
- a usage error is recognized by its English sentence (:data:`ERRORS`, whose ids are the
  patterns) and raised again in the reader's words (:func:`said`); why a value was refused
  is pydantic's error said by its type (``accord.reasons``) where Typer's conversion gave one.

A message id no pattern matches (a newer Typer's new wording) stays English; the tests
run each error our commands can show and fail on an English phrase.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from functools import cache
from typing import Any

from typer import Context as _TyperContext
from typer._click.exceptions import UsageError
from typer._click.formatting import HelpFormatter

from accord.errors import N_

USAGE = N_("Usage:")
HELP_OPTION = N_("Show this message and exit.")

# typer.rich_utils' constants: Typer's own message ids (its gettext calls), kept exactly.
RICH: dict[str, str] = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}

# The usage errors our commands can raise, as Typer words them; the more particular first.
ERRORS: tuple[str, ...] = (
    N_("Missing argument %(name)s. Choose from:\n\t%(choices)s"),
    N_("Missing option %(name)s. Choose from:\n\t%(choices)s"),
    N_("Missing argument %(name)s."),
    N_("Missing option %(name)s."),
    N_("Missing parameter %(name)s."),
    N_("No such option: %(name)s (Possible options: %(options)s)"),
    N_("No such option: %(name)s"),
    N_("No such command %(name)s. Did you mean %(commands)s?"),
    N_("No such command %(name)s."),
    N_("Missing command."),
    N_("Got unexpected extra argument(s) (%(arguments)s)"),
    N_("Option %(name)s requires an argument."),
    N_("Option %(name)s does not take a value."),
    N_("Invalid value for %(name)s: %(reason)s"),
    N_("Invalid value: %(reason)s"),
)

# Why a value was refused, where no pydantic error type says it (Typer's own checks).
REASONS: tuple[str, ...] = (
    N_("Value error, %(value)s is not one of %(choices)s."),
    N_("file %(path)s does not exist."),
    N_("directory %(path)s does not exist."),
    N_("path %(path)s does not exist."),
    N_("file %(path)s is a directory."),
    N_("file %(path)s is not readable."),
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@cache
def _pattern(message: str) -> re.Pattern[str]:
    """The English sentences a message id stands for: its words, any text for each value."""
    parts = _PLACEHOLDER.split(message)
    # split: text, name, text, name, ..., text
    regex = "".join(
        f"(?P<{part}>.+?)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return re.compile(regex, re.DOTALL)


def _match(text: str, messages: tuple[str, ...]) -> tuple[str, dict[str, str]] | None:
    for message in messages:
        found = _pattern(message).fullmatch(text)
        if found is not None:
            return message, found.groupdict()
    return None


def recognized(text: str) -> tuple[str, dict[str, str]] | None:
    """The message id of a usage error Typer wrote in English, and its values."""
    return _match(text, ERRORS)


def _gettext() -> Callable[[str], str]:
    """The terminal's catalog's gettext (English: the words as written)."""
    from accord.cli import words
    from accord.i18n import translations

    return translations(words.reader().language).gettext


def _reason(text: str, cause: BaseException | None, gettext: Callable[[str], str]) -> str:
    """Why Typer refused a value, in the catalog's language."""
    errors = getattr(cause, "errors", None)
    if callable(errors) and (found := errors()):
        from accord.reasons import problem_of

        problem = problem_of(found[0])
        if problem is not None:  # "Input should be a valid integer": by its type
            return problem.translated(gettext)
    matched = _match(text, REASONS)
    if matched is not None:
        message, values = matched
        return gettext(message) % values
    from accord.errors import say

    return say(text, gettext, labels=False)  # a refusal of ours, marked with N_


def said(exc: UsageError, gettext: Callable[[str], str]) -> str | None:
    """A usage error's sentence in the catalog's language; None where Typer's words are not
    recognized (or the catalog is English's, which they already are)."""
    matched = recognized(exc.format_message())
    if matched is None:
        return None
    message, values = matched
    if "reason" in values:
        values["reason"] = _reason(values["reason"], exc.__cause__, gettext)
    return gettext(message) % values


def translated(exc: UsageError) -> UsageError | None:
    """``exc`` said in the terminal's language, to raise in its place (None: as it is)."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # the help itself, said by the context
        return None
    speak()  # the panel that shows it
    from accord.cli import words
    from accord.i18n import SOURCE_LANGUAGE

    if words.reader().language == SOURCE_LANGUAGE:  # English: Typer's own words
        return None
    gettext = _gettext()
    sentence = said(exc, gettext)
    if sentence is None:
        return None
    again = UsageError(sentence, exc.ctx)
    again.exit_code = exc.exit_code
    return again


def speak() -> None:
    """Set ``rich_utils``' titles and markers in the terminal's language (English: Typer's)."""
    rich_utils = sys.modules.get("typer.rich_utils")
    if rich_utils is None:
        import typer.rich_utils as rich_utils  # as Typer imports it to draw a help or error
    gettext = _gettext()
    for name, message in RICH.items():
        setattr(rich_utils, name, gettext(message))


def unsay() -> None:
    """Put Typer's English back in ``rich_utils`` once a run is over (a test's process runs
    commands in several languages, and other Typer apps may share it)."""
    rich_utils = sys.modules.get("typer.rich_utils")
    if rich_utils is not None:
        for name, message in RICH.items():
            setattr(rich_utils, name, message)


class _Formatter(HelpFormatter):
    """Click's formatter with the usage line's "Usage:" in the terminal's language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = f"{_gettext()(USAGE)} "
        super().write_usage(prog, args, prefix)


class Context(_TyperContext):
    """A command's context that says Typer's words in the terminal's language: its usage
    line, its help option's sentence and, before a help is drawn, the panels' titles."""

    formatter_class = _Formatter

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        option = self.command.get_help_option(self)
        if option is not None:
            option.help = _gettext()(HELP_OPTION)

    def get_help(self) -> str:
        speak()
        return super().get_help()


def install(command: Any) -> None:
    """Give ``command`` and every command under it (a group's) the :class:`Context`."""
    command.context_class = Context
    for sub in getattr(command, "commands", {}).values():
        install(sub)
