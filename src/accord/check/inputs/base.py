"""What every input reader shares: the text it reads and the collector it fills."""

from __future__ import annotations

import bisect
import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from accord import limits
from accord.check.interface import Dependency, Location, Malformed, Problem, Reading


@dataclass(frozen=True)
class Text:
    """One input file: the name it is reported under, and its text."""

    name: str
    text: str


class _PurlLines:
    """The line each purl is written on, for readers that know only a path inside a document
    (SBOMs): code-scanning tools place a result by its line.

    Components are met in document order, so each search starts where the last one ended
    (one pass over the text in all); a purl met out of order is searched from the start.
    A purl the text spells differently (JSON escapes) gets no line, only its path.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.cursor = 0
        self.starts: list[int] | None = None
        self.taken: set[int] = set()

    def line_of(self, purl: str) -> int | None:
        at = self._find(purl, self.cursor)
        if at < 0:
            at = self._find(purl, 0)
        if at < 0:
            return None
        self.taken.add(at)
        self.cursor = at + len(purl)
        if self.starts is None:
            self.starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
        return bisect.bisect_right(self.starts, at)

    def _find(self, purl: str, start: int) -> int:
        at = self.text.find(purl, start)
        while at >= 0 and at in self.taken:  # the same purl twice: the next occurrence
            at = self.text.find(purl, at + 1)
        return at


class Collector:
    """Gathers what a reader finds in one file (its text, when given, places purls by line)."""

    def __init__(self, kind: str, file: str, *, text: str | None = None) -> None:
        self.reading = Reading(kind=kind, file=file)
        self.file = file
        self._purl_lines = _PurlLines(text) if text is not None else None

    def add(
        self,
        ecosystem: str,
        name: str,
        version: str,
        *,
        line: int | None = None,
        path: str | None = None,
        purl: str | None = None,
    ) -> None:
        """A dependency the file names at a version."""
        if line is None and purl and self._purl_lines is not None:
            line = self._purl_lines.line_of(purl)
        where = Location(self.file, line, path)
        self.reading.dependencies.append(Dependency(ecosystem, name, version, where, purl))

    def notice(self, message: str, *, line: int | None = None, path: str | None = None) -> None:
        """Something read but not checked, and why (not pinned, not from a registry...)."""
        self.reading.notices.append(Problem(Location(self.file, line, path), message))

    def error(self, message: str, *, line: int | None = None, path: str | None = None) -> None:
        """A part of the file that could not be read; the rest is still read."""
        self.reading.errors.append(Problem(Location(self.file, line, path), message))


Reader = Callable[[Text, Collector], None]


@dataclass(frozen=True)
class Format:
    """A kind of input: how to recognize it by file name or content, and how to read it.

    ``sniff`` gets the whole text and should look only where its format shows itself.
    """

    kind: str
    names: tuple[str, ...]
    sniff: Callable[[str], bool]
    read: Reader


def load_json(text: Text) -> Any:
    """Parsed JSON, or :class:`Malformed` with the line of the syntax error (past a bound of
    :mod:`accord.limits`, :class:`~accord.limits.LimitExceeded`, as for TOML and YAML)."""
    try:
        return limits.load_json(text.text, what=text.name)
    except json.JSONDecodeError as exc:
        raise Malformed(f"not valid JSON: {exc.msg}", line=exc.lineno) from None


def load_toml(text: Text) -> dict[str, Any]:
    """Parsed TOML, or :class:`Malformed` with tomllib's reason (it names line and column)."""
    try:
        return limits.load_toml(text.text, what=text.name)
    except tomllib.TOMLDecodeError as exc:
        raise Malformed(f"not valid TOML: {exc}") from None


def load_yaml(text: Text) -> Any:
    """Parsed YAML (safe loader), or :class:`Malformed` with the line of the error."""
    try:
        return limits.load_yaml(text.text, what=text.name, loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise Malformed(f"not valid YAML: {exc.problem or exc.context}", line=line) from None
    except yaml.YAMLError as exc:
        raise Malformed(f"not valid YAML: {exc}") from None


def expect_dict(value: Any, path: str) -> dict[str, Any]:
    """``value`` if it is a mapping, else :class:`Malformed` naming ``path``."""
    if not isinstance(value, dict):
        raise Malformed(f"expected an object, found {type(value).__name__}", path=path)
    return value


def text_field(entry: dict[str, Any], key: str, path: str) -> str | None:
    """A string field (absent: None); anything else is :class:`Malformed` at ``path.key``."""
    value = entry.get(key)
    if value is None or isinstance(value, str):
        return value
    raise Malformed(f"{key} must be a string, not {type(value).__name__}", path=f"{path}.{key}")
