"""What every input reader shares: the text it reads and the collector it fills."""

from __future__ import annotations

import bisect
import html
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


# A purl as the text spells it: up to a quote, a blank or markup; JSON escapes included.
_PURL_TOKEN = re.compile(r'pkg:(?:[^\s"\\<>]|\\.)+')


class _PurlLines:
    """The line each purl is written on, for readers that know only a path inside a document
    (SBOMs): code-scanning tools place a result by its line.

    The text is read once, when the first purl is asked for: every purl it spells (JSON
    escapes such as ``\\/`` decoded) is indexed with its offsets, so that a document of n
    components costs one pass, not n searches of the whole text. The same purl met twice
    takes its occurrences in document order.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.found: dict[str, list[int]] | None = None
        self.starts: list[int] = []

    def line_of(self, purl: str) -> int | None:
        if self.found is None:
            self.found = self._index()
        offsets = self.found.get(purl)
        if not offsets:
            return None
        return bisect.bisect_right(self.starts, offsets.pop())

    def _index(self) -> dict[str, list[int]]:
        self.starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
        found: dict[str, list[int]] = {}
        for match in _PURL_TOKEN.finditer(self.text):
            token = match.group()
            if "\\" in token:
                try:
                    token = json.loads(f'"{token}"')
                except ValueError:
                    continue
            if "&" in token:  # XML: the reader gets the purl with its entities decoded
                token = html.unescape(token)
            found.setdefault(token, []).append(match.start())
        for offsets in found.values():
            offsets.reverse()  # popped from the end: first occurrence first
        return found


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
