"""Importing OSV records and CSAF 2.0 documents: files, folders, zip archives and URLs
(read by ``import_reading.py``).

A file whose content is a CSAF document (``document.csaf_version``) goes to
:mod:`accord.aggregation.intake`: the CSAF schema and mandatory tests, then an advisory made
from it with the document kept whole.

Every record is validated against the official OSV schema; an invalid one is reported with the
reason and never stored, except that a range breaking the schema is dropped and reported
(range by range) when the rest of the record is valid (see ``validation.salvage``). Each
record is imported in its own savepoint, so a record is in entirely or not at all, and
re-importing is idempotent by (id, modified): the same version
changes nothing, a newer one becomes current (the old one stays in the history).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import documents, sources, validation
from accord.advisories.errors import BadRecord

# Reading is in import_reading.py; its names stay importable from here, where callers look.
from accord.advisories.import_reading import SUFFIXES as SUFFIXES
from accord.advisories.import_reading import Source as Source
from accord.advisories.import_reading import _YamlLoader as _YamlLoader
from accord.advisories.import_reading import count as count
from accord.advisories.import_reading import parse as parse
from accord.advisories.import_reading import read as read
from accord.advisories.models import Advisory, AdvisoryStatus, AdvisoryVersion, Tlp
from accord.advisories.publication import publish
from accord.aggregation.checks import is_csaf
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import N_, Message
from accord.errors import AccordError as AccordError  # what reading refuses with
from accord.identity import audit
from accord.identity.policy import Action, Actor, authorize
from accord.transparency import services as log

BATCH = 200  # records per transaction; each record still has its own savepoint


class Outcome(enum.StrEnum):
    """What importing one record did."""

    IMPORTED = "imported"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Rejection:
    """A record that was not imported, and why."""

    where: str
    record_id: str | None
    reason: str


@dataclass(frozen=True)
class Dropped:
    """A range left out of an imported record: the rest of the record was valid."""

    where: str
    record_id: str
    path: str
    reason: str


@dataclass
class Report:
    """The summary of an import."""

    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    rejections: list[Rejection] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Records seen."""
        return sum(self.counts.values())


def import_record(
    db: Session,
    source: Source,
    *,
    actor: Actor,
    settings: Settings,
    origin: str,
    organization_id: int | None,
    dropped: list[Dropped] | None = None,
) -> Outcome | Rejection:
    """Import one record in its own savepoint: all of it, or nothing and the reason.

    The ranges :func:`validation.salvage` drops are appended to ``dropped`` when the record
    is stored (or found unchanged).
    """
    record = source.content
    if source.error is None and is_csaf(record):
        from accord.aggregation import intake  # the CSAF reader, loaded when a file is CSAF

        return intake.import_source(
            db, source.where, record, actor=actor, settings=settings, origin=origin,
            organization_id=organization_id,
        )  # fmt: skip
    record_id = record.get("id") if isinstance(record, dict) else None
    record_id = record_id if isinstance(record_id, str) else None
    if source.error is not None:
        return Rejection(source.where, record_id, source.error)
    if record_id is None or not isinstance(record.get("modified"), str):
        return Rejection(source.where, record_id, validation.problem(record) or "not a record")
    record, drops = validation.salvage(record)
    try:
        with db.begin_nested():
            outcome = store_record(
                db,
                record,
                actor=actor,
                settings=settings,
                origin=origin,
                organization_id=organization_id,
            )
    except BadRecord as exc:
        return Rejection(source.where, record_id, exc.message)
    if dropped is not None:
        dropped += [Dropped(source.where, record_id, d.path, d.reason) for d in drops]
    return outcome


def store_record(
    db: Session,
    record: dict[str, Any],
    *,
    actor: Actor,
    settings: Settings,
    origin: str,
    organization_id: int | None,
) -> Outcome:
    """Store one valid OSV record as a new advisory, a new version of one, or nothing
    (the same or an older version); :class:`BadRecord` for one this hub publishes itself.
    The caller holds the savepoint."""
    existing = db.scalar(select(Advisory).where(Advisory.osv_id == record["id"]))
    if existing is None:
        advisory = Advisory(
            osv_id=record["id"],
            organization_id=organization_id,
            status=AdvisoryStatus.PUBLISHED,
            tlp=Tlp.CLEAR,
            source=sources.stored_origin(origin, record["id"]),
        )
        db.add(advisory)
        db.flush()
        publish(db, advisory=advisory, record=record, actor=actor, settings=settings, sign=False)
        return Outcome.IMPORTED
    if existing.source == "hub":
        raise BadRecord(
            Message(
                N_("%(record)s is published on this hub; an import cannot replace it"),
                record=record["id"],
            )
        )
    modified = documents.parse_timestamp(record["modified"], field="modified")
    if existing.modified_at is not None and modified <= existing.modified_at:
        # The same version, or an older one than the current: still checked, never stored.
        problem = validation.problem(record)
        if problem is not None:
            raise BadRecord(problem)
        return Outcome.UNCHANGED
    publish(db, advisory=existing, record=record, actor=actor, settings=settings, sign=False)
    return Outcome.UPDATED


def run(
    factory: sessionmaker[Session],
    location: str,
    *,
    actor: Actor,
    settings: Settings,
    organization_id: int | None = None,
    on_record: Callable[[Outcome | Rejection], None] | None = None,
    source_name: str | None = None,
) -> Report:
    """Import every record at ``location``, committing every :data:`BATCH` records. The
    records are shown as coming from ``source_name``, else from what ``location`` says
    (:mod:`accord.advisories.sources`)."""
    authorize(actor, Action.HUB_OPERATE)
    report = Report()
    sources = read(location, settings=settings)
    while True:
        batch = [s for _, s in zip(range(BATCH), sources, strict=False)]
        if not batch:
            break
        with unit_of_work(factory) as db:
            for source in batch:
                result = import_record(
                    db,
                    source,
                    actor=actor,
                    settings=settings,
                    origin=source_name or location,
                    organization_id=organization_id,
                    dropped=report.dropped,
                )
                _tally(report, result)
                if on_record is not None:
                    on_record(result)
            # The batch's entries wait for the log's cadence, like every publication (one
            # checkpoint per batch when the hub signs one per transaction).
            log.sign_without_cadence(db, settings=settings)
    # No cadence runs in the command that imports: one checkpoint covers the whole import.
    log.sign_pending(factory, settings=settings)
    with unit_of_work(factory) as db:
        audit.record(
            db,
            actor=actor,
            action="advisory.import",
            target=location[:200],
            details={
                **{o.value: n for o, n in report.counts.items()},
                "dropped_ranges": len(report.dropped),
            },
        )
    return report


def _tally(report: Report, result: Outcome | Rejection) -> None:
    if isinstance(result, Rejection):
        report.counts[Outcome.REJECTED] += 1
        report.rejections.append(result)
    else:
        report.counts[result] += 1


def history(db: Session, advisory: Advisory) -> list[AdvisoryVersion]:
    """Every published version of an advisory, oldest first."""
    return list(
        db.scalars(
            select(AdvisoryVersion)
            .where(AdvisoryVersion.advisory_id == advisory.id)
            .order_by(AdvisoryVersion.number)
        )
    )
