"""CVSS 3.x and 4.0 base scores, computed by the ``cvss`` library from the vector strings.

An invalid vector is refused with the library's reason and the field it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

from accord.advisories.errors import BadRecord
from accord.errors import N_, Message

# Qualitative ratings, lowest first (CVSS 3.1 section 5; the same names in CVSS 4.0).
SEVERITIES = ("NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL")


@dataclass(frozen=True)
class Score:
    """A computed base score."""

    version: str
    vector: str
    score: float
    severity: str


def cvss_v3(vector: str, *, field: str) -> Score:
    """Score a CVSS 3.0 or 3.1 vector (``CVSS:3.1/AV:N/...``)."""
    try:
        parsed = CVSS3(vector.strip())
    except CVSSError as exc:
        raise BadRecord(
            Message(N_("%(field)s: invalid CVSS 3 vector: %(detail)s"), field=field, detail=exc),
            field=field,
        ) from None
    version = "3.1" if parsed.clean_vector().startswith("CVSS:3.1/") else "3.0"
    return Score(
        version=version,
        vector=parsed.clean_vector(),
        score=float(parsed.base_score),
        severity=str(parsed.severities()[0]).upper(),
    )


def cvss_v4(vector: str, *, field: str) -> Score:
    """Score a CVSS 4.0 vector (``CVSS:4.0/AV:N/...``)."""
    try:
        parsed = CVSS4(vector.strip())
    except CVSSError as exc:
        raise BadRecord(
            Message(N_("%(field)s: invalid CVSS 4.0 vector: %(detail)s"), field=field, detail=exc),
            field=field,
        ) from None
    return Score(
        version="4.0",
        vector=parsed.clean_vector(),
        score=float(parsed.base_score),
        severity=str(parsed.severity).upper(),
    )


def from_record(record: Mapping[str, Any]) -> tuple[Score | None, Score | None]:
    """The first CVSS 3 and CVSS 4 scores of a record (top-level or per-package severity)."""
    v3: Score | None = None
    v4: Score | None = None
    for field, entry in _severities(record):
        if entry.get("type") == "CVSS_V3" and v3 is None:
            v3 = cvss_v3(entry["score"], field=field)
        elif entry.get("type") == "CVSS_V4" and v4 is None:
            v4 = cvss_v4(entry["score"], field=field)
    return v3, v4


def _severities(record: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    for index, entry in enumerate(record.get("severity") or []):
        yield f"severity[{index}].score", entry
    for a, affected in enumerate(record.get("affected") or []):
        for index, entry in enumerate(affected.get("severity") or []):
            yield f"affected[{a}].severity[{index}].score", entry


def highest(*scores: Score | None) -> str | None:
    """The most severe qualitative rating among the scores given."""
    found = [s.severity for s in scores if s is not None and s.severity in SEVERITIES]
    return max(found, key=SEVERITIES.index) if found else None


# How every output writes a rating (pages translate these words, see web/labels.py): the
# stored and wire forms stay CVSS's upper-case names.
SEVERITY_LABELS = {
    "CRITICAL": "Critical",
    "HIGH": "High",
    "MEDIUM": "Medium",
    "LOW": "Low",
    "NONE": "None",
    "UNKNOWN": "Unknown",
}
# Most severe first; a rating not known ranks below LOW (it may be anything) and above NONE.
_RANKS = {"CRITICAL": 5, "HIGH": 4, "MEDIUM": 3, "LOW": 2, "UNKNOWN": 1, "NONE": 0}


def severity_label(rating: str | None) -> str:
    """A rating as people read it: ``HIGH`` is "High", a missing or odd one "Unknown"."""
    return SEVERITY_LABELS.get((rating or "UNKNOWN").upper(), SEVERITY_LABELS["UNKNOWN"])


def severity_rank(rating: str | None) -> int:
    """How severe a rating is, for sorting (higher is worse)."""
    return _RANKS.get((rating or "UNKNOWN").upper(), _RANKS["UNKNOWN"])
