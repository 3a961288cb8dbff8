"""What flows between inputs, sources and outputs: frozen value objects and the interfaces.

Inputs turn files into :class:`Dependency` values (and :class:`Problem` values for what they
could not read); a :class:`Source` answers which advisories affect each dependency; the
findings are written by an output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NewType, Protocol

from accord.advisories import ecosystems

AdvisoryId = NewType("AdvisoryId", str)


@dataclass(frozen=True)
class Location:
    """Where something was read: a file, and a line or a path inside it when known."""

    file: str
    line: int | None = None
    path: str | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}"
        if self.path:
            return f"{self.file} at {self.path}"
        return self.file


@lru_cache(maxsize=100_000)
def normalized(ecosystem: str, name: str) -> str:
    """``ecosystems.normalize_name``, once per name and run (records and inputs name the same
    packages again and again)."""
    return ecosystems.normalize_name(ecosystem, name)


@dataclass(frozen=True)
class Dependency:
    """A package at a version, as an input names it, in OSV's terms (ecosystem and name)."""

    ecosystem: str
    name: str
    version: str
    location: Location
    purl: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """What a query asks: the same package at the same version is asked once."""
        return (self.ecosystem, normalized(self.ecosystem, self.name), self.version)


@dataclass(frozen=True)
class Problem:
    """Something an input could not read (an error) or chose not to check (a notice)."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass
class Reading:
    """What one input gave: its dependencies, its errors, and notices (e.g. unpinned lines)."""

    kind: str
    file: str
    dependencies: list[Dependency] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)


class Malformed(ValueError):
    """An input is not what it claims to be; raised by readers, reported as a Problem."""

    def __init__(self, message: str, *, line: int | None = None, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.path = path


@dataclass(frozen=True)
class Severity:
    """A record's severity: a qualitative rating (CVSS's names) and the score when known."""

    rating: str  # NONE, LOW, MEDIUM, HIGH, CRITICAL, or UNKNOWN
    score: float | None = None
    vector: str | None = None


@dataclass(frozen=True)
class Advisory:
    """What a finding shows of an OSV record."""

    id: AdvisoryId
    aliases: tuple[str, ...]
    summary: str
    details: str
    severity: Severity
    modified: str
    references: tuple[str, ...] = ()
    plain_summary: str = ""
    record: dict[str, Any] | None = field(default=None, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class Finding:
    """An advisory affecting a dependency, with the versions that fix it."""

    dependency: Dependency
    advisory: Advisory
    fixed_in: tuple[str, ...]

    @property
    def advice(self) -> str:
        """What to do, in plain words."""
        if self.fixed_in:
            return f"upgrade {self.dependency.name} to {self.fixed_in[0]} or later"
        return "no fixed version yet: remove or replace it, or read the advisory"


class Source(Protocol):
    """Where advisories come from: answers, for each dependency, the records affecting it."""

    description: str

    def affecting(
        self, dependencies: Sequence[Dependency], *, progress: Progress | None = None
    ) -> list[list[dict[str, Any]]]:
        """For each dependency, in order, the full OSV records that affect its version."""
        ...

    def plain_summaries(self, ids: Sequence[str]) -> dict[str, str]:
        """Plain-language summaries of the records that have one, by id."""
        ...


class Progress(Protocol):
    """Something that shows how far long work has come."""

    def advance(self, amount: int) -> None:
        """``amount`` more units are done."""
        ...
