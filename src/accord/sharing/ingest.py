"""Storing an envelope of STIX objects: validate each, store the valid ones, report every one.

One transaction per envelope. Validation is pure and happens before anything is written, so
an invalid object never reaches the database; the only write that could fail per object is a
duplicate (id, version), and that is found by reading the stored versions first, under a
lock per object on PostgreSQL (``ingest_locks.lock``; SQLite has one writer anyway). So there
is nothing to isolate with a savepoint per object, whose round trips would cost more than the
whole insert; and if the database itself fails, the request fails whole and nothing is
half-stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from accord import jsonio
from accord.accountability import events
from accord.errors import N_
from accord.sharing import ingest_locks, ingest_rows, lookup, write_rules
from accord.sharing.ingest_rows import Stored
from accord.sharing.ingest_rows import note_prefixes as note_prefixes  # where callers look
from accord.sharing.models import Collection, TaxiiStatus
from accord.sharing.stix_validation import (
    CheckedObject,
    StixInvalid,
    check_object,
    format_timestamp,
)
from accord.sharing.tlp import Tlp


@dataclass(frozen=True)
class Source:
    """Who an envelope comes from: the producing organization, and the remote it came through."""

    producer_org_id: int | None
    origin_remote_id: int | None = None


@dataclass
class Report:
    """Per-object outcomes of one envelope."""

    successes: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    stored: int = 0


# A valid object: what checking found, its JSON as stored, and the (kind, value) pairs of
# its pattern's equality comparisons (the look-up index's entries).
Valid = tuple[CheckedObject, str, tuple[tuple[str, str], ...]]
# What checking one object gives: the valid object, or the entry reporting why it is invalid.
Outcome = Valid | dict[str, str]


def check_objects(objects: Sequence[Any]) -> list[Outcome]:
    """Check every object; pure (no database), so it may run outside the write transaction."""
    outcomes: list[Outcome] = []
    for obj in objects:
        try:
            checked = check_object(obj)
            observables = tuple(lookup.observables_of(checked.comparisons, valid=True))
            try:  # _serialize without its call, once an object
                text = orjson.dumps(obj).decode()
            except TypeError:
                text = _serialize(obj)  # which raises the refusal
            outcomes.append((checked, text, observables))
        except StixInvalid as exc:
            outcomes.append(_failure(obj, exc))
    return outcomes


def store_objects(
    db: Session,
    *,
    collection: Collection,
    objects: Sequence[Any],
    source: Source,
    now: datetime,
) -> Report:
    """Validate and store ``objects`` in ``collection``; the caller has checked write access."""
    outcomes = check_objects(objects)
    return store_checked(db, collection=collection, outcomes=outcomes, source=source, now=now)


def store_checked(
    db: Session,
    *,
    collection: Collection,
    outcomes: Sequence[Outcome],
    source: Source,
    now: datetime,
    refresh: bool = True,
) -> Report:
    """Store the valid objects among checked ones; the caller has checked write access.

    With ``refresh`` false the caller queues the accountability refresh itself
    (``events.recorded``) for what was stored: the drainer does it once a batch."""
    report = Report()
    valid: dict[tuple[str, datetime | None], Valid] = {}
    default = Tlp(collection.default_tlp)
    for outcome in outcomes:
        if isinstance(outcome, dict):
            report.failures.append(outcome)
            continue
        result = outcome[0]
        hidden = write_rules.stricter_part(result, default)
        if hidden is not None:
            report.failures.append(hidden)
            continue
        key = (result.stix_id, result.version)
        if key in valid:
            report.successes.append(_success(result, "repeated in this envelope"))
            continue
        valid[key] = outcome
    if valid:
        _store_valid(db, collection, valid, source, now, report)
    if report.stored and refresh:
        events.recorded(db)
    return report


def _store_valid(
    db: Session,
    collection: Collection,
    valid: dict[tuple[str, datetime | None], Valid],
    source: Source,
    now: datetime,
    report: Report,
) -> None:
    ingest_locks.lock(db, collection.id, (stix_id for stix_id, _ in valid))
    existing = ingest_rows.existing_versions(db, collection.id, {k[0] for k in valid})
    fresh: list[Valid] = []
    chains: dict[str, dict[datetime, Stored]] = {}  # the stored versions new rows join
    for (stix_id, version), outcome in valid.items():
        stored = existing.get(stix_id, {})
        if version is None:
            # Unversioned (a cyber-observable: its id derives from its value): each producer
            # keeps its own copy, so that one never learns that another stored it first.
            stored = {v: row for v, row in stored.items() if row[3] == source.producer_org_id}
            if stored:
                report.successes.append(_success(outcome[0], "already stored"))
                continue
        elif stored and _creator(stored) != source.producer_org_id:
            # Versions belong to the organization that created the object. The answer is the
            # same whether the writer may see the object or not (docs/sharing.md).
            report.failures.append(write_rules.not_creator(outcome[0]))
            continue
        elif version in stored:
            report.successes.append(_success(outcome[0], "already stored"))
            continue
        chains[stix_id] = stored
        fresh.append(outcome)
    if not fresh:
        return
    audience_id = ingest_rows.audience(db, collection)
    rows = ingest_rows.rows_of(db, collection, fresh, source, audience_id, now)
    ingest_rows.set_flags(db, rows, chains)
    ingest_rows.insert(db, rows, fresh)
    for (result, _, _), version in zip(fresh, rows.versions, strict=True):
        text = result.version_text or format_timestamp(version)
        report.successes.append({"id": result.stix_id, "message": "stored", "version": text})
    report.stored = len(fresh)


def _creator(stored: dict[datetime, Stored]) -> int | None:
    """The organization that created an object: the producer of its oldest stored version."""
    return stored[min(stored)][3]


def record_status(
    db: Session,
    *,
    collection_id: int,
    user_id: int | None,
    total: int,
    report: Report,
    status_uuid: str | None = None,
    requested: datetime | None = None,
) -> TaxiiStatus:
    """Keep the status resource of one POST, for ``GET .../status/{id}/``.

    A queued envelope's status keeps the id and the request time it was acknowledged with.
    Its lists are kept as the JSON its answer writes (``jsonio``, as the answer is written):
    written once here, spliced into every poll's answer.
    """
    status = TaxiiStatus(
        uuid=status_uuid or str(uuid.uuid4()),
        user_id=user_id,
        collection_id=collection_id,
        total_count=total,
        success_count=len(report.successes),
        failure_count=len(report.failures),
        successes=jsonio.dumps(report.successes).decode(),
        failures=jsonio.dumps(report.failures).decode(),
        details={},
    )
    if requested is not None:
        status.request_timestamp = requested
    db.add(status)
    db.flush()
    return status


def _serialize(obj: dict[str, Any]) -> str:
    """The object's JSON as stored: compact, UTF-8 as received (orjson, not ``json.dumps``)."""
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        # Lone surrogates, or integers beyond 64 bits (STIX integers fit in 54 bits).
        raise StixInvalid(
            "object", N_("holds a string that is not Unicode or an integer beyond 64 bits")
        ) from None


def _failure(obj: Any, exc: StixInvalid) -> dict[str, str]:
    found = obj if isinstance(obj, dict) else {}
    stix_id = found.get("id") if isinstance(found.get("id"), str) else ""
    version = found.get("modified", found.get("created", ""))
    return {
        "id": str(stix_id)[:300],
        "version": version if isinstance(version, str) else "",
        # English on the wire and in the stored status; a page says it (``said``) in its
        # viewer's language.
        "message": exc.said if len(exc.said) <= 1000 else str(exc)[:1000],
    }


def _success(result: CheckedObject, message: str) -> dict[str, str]:
    entry = {"id": result.stix_id, "message": message}
    if result.version_text is not None:
        entry["version"] = result.version_text
    return entry
