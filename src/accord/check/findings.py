"""From records to findings: the advisory as shown, its severity, what fixes it; filters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.advisories import scoring
from accord.advisories.errors import BadRecord
from accord.check.evaluate import fixed_versions
from accord.check.interface import (
    Advisory,
    AdvisoryId,
    Dependency,
    Finding,
    Problem,
    Reading,
    Severity,
)

RATINGS = ("NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL")
# GitHub's advisories name their rating in database_specific; MODERATE is CVSS's MEDIUM.
_DATABASE_RATINGS = {"MODERATE": "MEDIUM"}


def severity_of(record: Mapping[str, Any]) -> Severity:
    """The highest CVSS rating of the record, else the rating its database gives, else
    UNKNOWN."""
    try:
        v3, v4 = scoring.from_record(record)
    except BadRecord:
        v3 = v4 = None
    scores = [s for s in (v4, v3) if s is not None]
    if scores:
        best = max(scores, key=lambda s: (RATINGS.index(s.severity), s.score))
        return Severity(best.severity, best.score, best.vector)
    specific = record.get("database_specific") or {}
    rating = str(specific.get("severity", "")).upper() if isinstance(specific, dict) else ""
    rating = _DATABASE_RATINGS.get(rating, rating)
    return Severity(rating if rating in RATINGS else "UNKNOWN")


def advisory_of(record: dict[str, Any], plain_summary: str = "") -> Advisory:
    """What a finding shows of a record."""
    return Advisory(
        id=AdvisoryId(str(record["id"])),
        aliases=tuple(str(a) for a in record.get("aliases") or []),
        summary=str(record.get("summary") or ""),
        details=str(record.get("details") or ""),
        severity=severity_of(record),
        modified=str(record.get("modified") or ""),
        references=tuple(
            str(r["url"])
            for r in record.get("references") or []
            if isinstance(r, dict) and "url" in r
        ),
        plain_summary=plain_summary,
        record=record,
    )


def findings_of(
    dependencies: Sequence[Dependency],
    records: Sequence[Sequence[dict[str, Any]]],
    summaries: Mapping[str, str],
) -> list[Finding]:
    """One finding per dependency and record affecting it, in input order."""
    advisories: dict[str, Advisory] = {}
    found: list[Finding] = []
    for dependency, affecting in zip(dependencies, records, strict=True):
        for record in affecting:
            osv_id = str(record["id"])
            if osv_id not in advisories:
                advisories[osv_id] = advisory_of(record, summaries.get(osv_id, ""))
            fixed = fixed_versions(record, dependency)
            found.append(Finding(dependency, advisories[osv_id], fixed))
    return found


@dataclass(frozen=True)
class Filters:
    """What the user asked to leave out: advisory ids (or aliases), and ratings below one."""

    ignore: frozenset[str] = frozenset()
    minimum: str | None = None  # a rating of RATINGS; UNKNOWN ones are always kept

    def keeps(self, finding: Finding) -> bool:
        """Whether the finding is reported."""
        advisory = finding.advisory
        if advisory.id in self.ignore or self.ignore.intersection(advisory.aliases):
            return False
        rating = advisory.severity.rating
        if self.minimum is None or rating not in RATINGS:
            return True
        return RATINGS.index(rating) >= RATINGS.index(self.minimum)


@dataclass
class Report:
    """Everything a check found, for the outputs."""

    readings: list[Reading]
    findings: list[Finding]
    source: str
    left_out: list[Finding] = field(default_factory=list)

    @property
    def dependencies(self) -> list[Dependency]:
        """Every dependency read, in input order."""
        return [d for r in self.readings for d in r.dependencies]

    @property
    def errors(self) -> list[Problem]:
        """Every input problem that made the check incomplete."""
        return [p for r in self.readings for p in r.errors]

    @property
    def unreadable(self) -> list[str]:
        """The inputs that could not be read whole, in order (each once)."""
        return list(dict.fromkeys(r.file for r in self.readings if r.errors))

    @property
    def exit_code(self) -> int:
        """1 found (whatever else happened), else 2 an input could not be read (the check is
        incomplete, so "nothing found" cannot be said), else 0."""
        if self.findings:
            return 1
        return 2 if self.errors else 0


def unique(dependencies: Iterable[Dependency]) -> tuple[list[Dependency], list[int]]:
    """The distinct dependencies (by ecosystem, name, version), and for each input one the
    index of its distinct one: the same package at the same version is looked up once."""
    index: dict[tuple[str, str, str], int] = {}
    distinct: list[Dependency] = []
    positions: list[int] = []
    for dependency in dependencies:
        key = dependency.key
        if key not in index:
            index[key] = len(distinct)
            distinct.append(dependency)
        positions.append(index[key])
    return distinct, positions
