"""Storing an envelope of STIX objects: validate each, store the valid ones, report every one.

One transaction per envelope. Validation is pure and happens before anything is written, so
an invalid object never reaches the database; the only write that could fail per object is a
duplicate (id, version), and that is found by reading the stored versions first, under a
per-collection lock on PostgreSQL (SQLite has one writer anyway). So there is nothing to
isolate with a savepoint per object, whose round trips would cost more than the whole insert;
and if the database itself fails, the request fails whole and nothing is half-stored.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from accord.accountability import events
from accord.errors import N_
from accord.sharing import bulk, lookup, refs, write_rules
from accord.sharing.models import (
    Audience,
    AudienceMember,
    Collection,
    CollectionGrant,
    Observable,
    ObservablePrefix,
    StixObject,
    TaxiiStatus,
)
from accord.sharing.stix_validation import (
    CheckedObject,
    StixInvalid,
    check_object,
    format_timestamp,
)
from accord.sharing.tlp import Tlp, level_of

_CHUNK = 500


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
            observables = tuple(lookup.observables_of(checked.comparisons))
            outcomes.append((checked, _serialize(obj), observables))
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
) -> Report:
    """Store the valid objects among checked ones; the caller has checked write access."""
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
    if report.stored:
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
    _lock(db, collection.id)
    existing = _existing_versions(db, collection.id, {k[0] for k in valid})
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
    audience_id = _audience(db, collection)
    rows = _rows(collection, fresh, source, audience_id, now)
    _set_flags(db, rows, chains)
    _insert(db, rows, fresh)
    for (result, _, _), row in zip(fresh, rows, strict=True):
        text = result.version_text or format_timestamp(row["version"])
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
    """
    status = TaxiiStatus(
        uuid=status_uuid or str(uuid.uuid4()),
        user_id=user_id,
        collection_id=collection_id,
        total_count=total,
        success_count=len(report.successes),
        failure_count=len(report.failures),
        details={"successes": report.successes, "failures": report.failures},
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


def _lock(db: Session, collection_id: int) -> None:
    # Concurrent envelopes into one collection would race on the latest/first flags and on
    # duplicates; a transaction-scoped advisory lock serialises them on PostgreSQL.
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(7160, :c)"), {"c": collection_id})


# A stored version: its row id, latest and first flags, and producing organization.
Stored = tuple[int, bool, bool, int | None]


def _existing_versions(
    db: Session, collection_id: int, ids: Iterable[str]
) -> dict[str, dict[datetime, Stored]]:
    found: dict[str, dict[datetime, Stored]] = {}
    pending = sorted(ids)
    for start in range(0, len(pending), _CHUNK):
        query = select(
            StixObject.stix_id,
            StixObject.version,
            StixObject.id,
            StixObject.is_latest,
            StixObject.is_first,
            StixObject.producer_org_id,
        ).where(
            StixObject.collection_id == collection_id,
            StixObject.stix_id.in_(pending[start : start + _CHUNK]),
        )
        for stix_id, version, row_id, latest, first, producer in db.execute(query):
            found.setdefault(stix_id, {})[version] = (row_id, latest, first, producer)
    return found


def _audience(db: Session, collection: Collection) -> int:
    """The audience row naming the collection's owner and its readers by grant, as of now."""
    named = db.execute(
        select(CollectionGrant.organization_id, CollectionGrant.group_id).where(
            CollectionGrant.collection_id == collection.id, CollectionGrant.can_read.is_(True)
        )
    ).all()
    orgs = sorted({collection.owner_org_id} | {o for o, _ in named if o is not None})
    groups = sorted({g for _, g in named if g is not None})
    digest = hashlib.sha256(json.dumps([orgs, groups]).encode()).hexdigest()
    found = db.scalar(select(Audience.id).where(Audience.digest == digest))
    if found is not None:
        return found
    audience = Audience(digest=digest)
    db.add(audience)
    db.flush()
    db.add_all(AudienceMember(audience_id=audience.id, organization_id=o) for o in orgs)
    db.add_all(AudienceMember(audience_id=audience.id, group_id=g) for g in groups)
    db.flush()
    return audience.id


def _rows(
    collection: Collection,
    fresh: list[Valid],
    source: Source,
    audience_id: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    default = Tlp(collection.default_tlp)
    levels: dict[tuple[str, ...], str] = {}  # a feed marks most of its objects alike
    rows = []
    for index, (result, body, _) in enumerate(fresh):
        tlp = levels.get(result.marking_refs)
        if tlp is None:
            tlp = level_of(result.marking_refs, default=default).value
            levels[result.marking_refs] = tlp
        # One microsecond apart: date_added orders objects, and each has its own.
        added = now + timedelta(microseconds=index)
        rows.append(
            {
                "collection_id": collection.id,
                "stix_id": result.stix_id,
                "stix_type": result.stix_type,
                "spec_version": result.spec_version,
                "version": result.version or added,
                "date_added": added,
                "is_latest": True,
                "is_first": True,
                "revoked": result.revoked,
                "tlp": tlp,
                "producer_org_id": source.producer_org_id,
                "audience_id": audience_id,
                "origin_remote_id": source.origin_remote_id,
                "sighting_of": result.sighting_of,
                "sighting_count": result.sighting_count,
                "body": body,
            }
        )
    return rows


def _set_flags(
    db: Session,
    rows: list[dict[str, Any]],
    existing: dict[str, dict[datetime, Stored]],
) -> None:
    """Mark each id's newest and oldest version, among new ones and the stored ones they
    join (spec 3.4)."""
    by_id: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_id.setdefault(row["stix_id"], []).append(row)
    unset_latest: list[int] = []
    unset_first: list[int] = []
    for stix_id, new_rows in by_id.items():
        stored = existing.get(stix_id, {})
        versions = [r["version"] for r in new_rows] + list(stored)
        newest, oldest = max(versions), min(versions)
        for row in new_rows:
            row["is_latest"] = row["version"] == newest
            row["is_first"] = row["version"] == oldest
        for version, (row_id, latest, first, _) in stored.items():
            if latest and version != newest:
                unset_latest.append(row_id)
            if first and version != oldest:
                unset_first.append(row_id)
    if unset_latest:
        db.execute(
            update(StixObject).where(StixObject.id.in_(unset_latest)).values(is_latest=False)
        )
    if unset_first:
        db.execute(update(StixObject).where(StixObject.id.in_(unset_first)).values(is_first=False))


def note_prefixes(db: Session, observables: list[dict[str, Any]]) -> None:
    """Record the prefix lengths of the address ranges among ``observables`` (see
    ``lookup.network_keys``): one insert of the few new ones."""
    lengths = {
        (o["kind"], lookup.prefix_length(o["value"]))
        for o in observables
        if o["kind"] in lookup.NETWORK_KINDS.values()
    }
    if not lengths:
        return
    known = {(k, n) for k, n in db.execute(select(ObservablePrefix.kind, ObservablePrefix.length))}
    fresh = lengths - known
    if fresh:
        insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
        db.execute(
            insert(ObservablePrefix)
            .values([{"kind": k, "length": n} for k, n in sorted(fresh)])
            .on_conflict_do_nothing()
        )


def _insert(db: Session, rows: list[dict[str, Any]], fresh: list[Valid]) -> None:
    if not rows:
        return
    # Row ids are reserved first and the rows go in as one executemany of the driver (no ORM
    # bookkeeping, no per-row parameter building: see bulk.py), the look-up index with them.
    row_ids = bulk.reserve_ids(db, len(rows))
    for row, row_id in zip(rows, row_ids, strict=True):
        row["id"] = row_id
    connection = db.connection()
    bulk.insert_rows(connection, StixObject, rows)
    refs.insert(connection, rows)
    observables = [
        {"object_id": row_id, "key": lookup.key(kind, value), "kind": kind, "value": value}
        for row_id, (_, _, pairs) in zip(row_ids, fresh, strict=True)
        for kind, value in pairs
    ]
    bulk.insert_rows(connection, Observable, observables)
    note_prefixes(db, observables)
    if db.get_bind().dialect.name == "postgresql":
        bulk.keep_statistics(db, row_ids[-1])
