"""The advisory list as a person scans it: package, ecosystem, a summary and the source.

Imported records often carry no ``summary`` (the PyPA database's never do): the list then
shows the first sentence of their ``details``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.advisories import documents, sources
from accord.advisories.models import Advisory, AffectedPackage

SUMMARY_CHARS = 200
PACKAGES_SHOWN = 3
_SPACE = re.compile(r"\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s")


@dataclass(frozen=True)
class Row:
    """One advisory as the list shows it."""

    advisory: Advisory
    summary: str
    packages: tuple[tuple[str, str], ...]  # (ecosystem, name), the first few
    more_packages: int
    source: str | None  # an import's source as a person names it


def summary_of(advisory: Advisory) -> str:
    """The plain-language summary, the OSV summary, else the details' first sentence."""
    if advisory.plain_summary or advisory.summary:
        return advisory.plain_summary or advisory.summary
    if not advisory.document:
        return ""
    details = documents.loads(advisory.document).get("details")
    if not isinstance(details, str):
        return ""
    text = _SPACE.sub(" ", details).strip()
    first = _SENTENCE.split(text, maxsplit=1)[0]
    if len(first) > SUMMARY_CHARS:
        first = first[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return first


def rows(db: Session, advisories: Sequence[Advisory]) -> list[Row]:
    """The list's rows for one page of advisories, their packages read in one query."""
    ids = [a.id for a in advisories]
    packages: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    if ids:
        found = db.execute(
            select(AffectedPackage.advisory_id, AffectedPackage.ecosystem, AffectedPackage.name)
            .where(AffectedPackage.advisory_id.in_(ids))
            .order_by(AffectedPackage.id)
        )
        for advisory_id, ecosystem, name in found:
            if (ecosystem, name) not in packages[advisory_id]:
                packages[advisory_id].append((ecosystem, name))
    return [
        Row(
            advisory=a,
            summary=summary_of(a),
            packages=tuple(packages[a.id][:PACKAGES_SHOWN]),
            more_packages=max(0, len(packages[a.id]) - PACKAGES_SHOWN),
            source=None
            if a.organization_id is not None or a.source in sources.NOT_IMPORTED
            else sources.public_name(a.source, a.osv_id),
        )
        for a in advisories
    ]
