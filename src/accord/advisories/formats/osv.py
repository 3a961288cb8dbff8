"""Reading an OSV 1.7 record (a plain dict) into the few shapes every converter shares.

The record is taken as the OSV schema defines it (docs/schema.md of ossf/osv-schema). Events
of a range are paired in the order the record lists them, which is the order OSV producers
write them in: each ``introduced`` opens an interval that the next ``fixed``,
``last_affected`` or ``limit`` closes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

Record = Mapping[str, Any]

CVE_ID = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,}$")
_FRACTION = re.compile(r"(\.\d{6})\d+")
# What RFC 3986 allows unencoded in a URI besides letters, digits and "-._~" (and "%").
_URI_SAFE = "!#$%&'()*+,/:;=?@[]~"


@dataclass(frozen=True)
class Package:
    """An affected package: its OSV ecosystem (with any ``:suffix``), name and purl."""

    ecosystem: str
    name: str
    purl: str | None


@dataclass(frozen=True)
class Interval:
    """One run of affected versions: from ``introduced`` (``None``: the first) up to a bound.

    At most one of ``fixed`` (exclusive), ``last_affected`` (inclusive) and ``limit``
    (exclusive, not a fix) is set; none means "and every later version".
    """

    introduced: str | None
    fixed: str | None = None
    last_affected: str | None = None
    limit: str | None = None


@dataclass(frozen=True)
class Range:
    """An OSV range: its type (``ECOSYSTEM``, ``SEMVER`` or ``GIT``), repo and intervals."""

    kind: str
    repo: str | None
    intervals: tuple[Interval, ...]

    @property
    def is_git(self) -> bool:
        """Whether versions are commits (unordered for anyone without the repository)."""
        return self.kind == "GIT"


@dataclass(frozen=True)
class Affected:
    """One entry of ``affected``: a package (absent for GIT-only entries), ranges, versions."""

    package: Package | None
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]

    @property
    def ordered_ranges(self) -> tuple[Range, ...]:
        """The ranges whose versions have an order (``ECOSYSTEM`` and ``SEMVER``)."""
        return tuple(r for r in self.ranges if not r.is_git)

    @property
    def git_ranges(self) -> tuple[Range, ...]:
        """The ranges over commits of a repository."""
        return tuple(r for r in self.ranges if r.is_git)


def affected(record: Record) -> list[Affected]:
    """The record's ``affected`` entries, typed."""
    return [_affected(entry) for entry in record.get("affected") or ()]


def _affected(entry: Mapping[str, Any]) -> Affected:
    raw = entry.get("package")
    package = None
    if raw:
        package = Package(str(raw["ecosystem"]), str(raw["name"]), raw.get("purl") or None)
    ranges = tuple(
        Range(str(r["type"]), r.get("repo"), intervals(r.get("events") or ()))
        for r in entry.get("ranges") or ()
    )
    versions = tuple(dict.fromkeys(str(v) for v in entry.get("versions") or ()))
    return Affected(package, ranges, versions)


def intervals(events: Sequence[Mapping[str, Any]]) -> tuple[Interval, ...]:
    """Pair a range's events into intervals, in the order they are listed."""
    found: list[Interval] = []
    start: str | None = None
    open_ = False
    for event in events:
        if "introduced" in event:
            if open_:
                continue  # still affected: IsVulnerable changes nothing at a second start
            value = str(event["introduced"])
            start, open_ = (None if value == "0" else value), True
            continue
        bound = {k: str(v) for k, v in event.items() if k in ("fixed", "last_affected", "limit")}
        if open_ and bound:
            found.append(Interval(start, **bound))
            open_ = False
    if open_:
        found.append(Interval(start))
    return tuple(found)


def cve_ids(record: Record) -> list[str]:
    """The CVE ids the record is known by (its own id or its aliases), in order."""
    ids = [record["id"], *(record.get("aliases") or ())]
    return list(dict.fromkeys(i for i in ids if CVE_ID.match(i)))


def other_ids(record: Record) -> list[str]:
    """The record's id and its non-CVE aliases, in order."""
    ids = [record["id"], *(record.get("aliases") or ())]
    return list(dict.fromkeys(i for i in ids if not CVE_ID.match(i)))


def id_system(identifier: str) -> str:
    """The database an OSV-style id comes from: its prefix (``GHSA``, ``PYSEC``, ...)."""
    return identifier.split("-", 1)[0]


def parse_time(value: object) -> datetime:
    """An OSV timestamp (RFC 3339 text, or a datetime as YAML loads it) as an aware datetime."""
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(_FRACTION.sub(r"\1", str(value)))
    if moment.tzinfo is None:  # OSV timestamps are UTC; a naive one lost only its "Z".
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    """An aware datetime in UTC, RFC 3339 with a ``Z`` (fraction kept only when present)."""
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def as_uri(url: str) -> str:
    """``url`` with the characters a URI may not contain (spaces, ``|``, non-ASCII) escaped."""
    return quote(url.strip(), safe=_URI_SAFE)


def description(record: Record) -> str:
    """The longest text the record gives: its details, else its summary, else its id."""
    return str(record.get("details") or record.get("summary") or record["id"]).strip()


def title(record: Record) -> str:
    """A one-line title: the record's summary, else its id and the packages it concerns."""
    if record.get("summary"):
        return str(record["summary"]).strip()
    names = dict.fromkeys(e.package.name for e in affected(record) if e.package is not None)
    if not names:
        return str(record["id"])
    return f"{record['id']}: vulnerability in {', '.join(names)}"


def repo_owner_and_name(url: str) -> tuple[str, str]:
    """A repository URL's owner (or host) and project name, e.g. for a GIT-only entry."""
    parts = [p for p in url.split("://", 1)[-1].split("/") if p]
    name = parts[-1].removesuffix(".git") if len(parts) > 1 else url
    owner = parts[-2] if len(parts) > 1 else url
    return owner, name
