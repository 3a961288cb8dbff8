"""Indicator look-up over the observable index, and sighting counts per indicator.

A value asked for is found by index seeks: its own key; for an address, the key of the range
holding it at each prefix length stored (``lookup.network_keys``); for a URL, its host name or
address too (and the ranges holding that address). Each hit carries its decay score
(``sharing.decay``) and results are ordered by it; indicators past their ``valid_until`` are
left out unless asked for; each value is checked against the warninglists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from urllib.parse import quote, urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.errors import InvalidInput
from accord.identity.policy import Action, authorize
from accord.sharing import decay, lookup, warninglists
from accord.sharing.models import Collection, Observable, ObservablePrefix, StixObject
from accord.sharing.readers import Reader, readable_collection_ids
from accord.sharing.schemas import IndicatorHit, LookupResult
from accord.sharing.visibility import visible_clause

_PLAIN_ID = re.compile(r"[a-z0-9-]+--[0-9a-fA-F-]+")
# Keys a statement: SQLite allows 32,766 bound values, and PostgreSQL plans a long IN list
# no worse in pieces.
_CHUNK = 5_000


@dataclass(frozen=True)
class _Asked:
    value: str
    kind: str
    normal: str


def object_url(collection: str, stix_id: str) -> str:
    """Where a person reads one shared object (the collection's page for objects)."""
    # STIX ids are checked at ingest (<type>--<UUID>, the type [a-z0-9-]): nothing to quote,
    # and quoting thousands of them cost more than finding them.
    if _PLAIN_ID.fullmatch(stix_id) is None:
        stix_id = quote(stix_id)
    return f"/sharing/collections/{collection}/objects/{stix_id}"


def look_up(
    db: Session,
    *,
    reader: Reader,
    values: Iterable[str],
    include_expired: bool = False,
    now: datetime | None = None,
) -> list[LookupResult]:
    """For each value, the current indicators the reader may see whose patterns test it."""
    authorize(reader.actor, Action.SHARING_READ)
    now = now or utcnow()
    wanted = [_Asked(value, *lookup.classify(value)) for value in values]
    asked = {(a.kind, a.normal) for a in wanted}
    # Each indexed (kind, value) to find, and the values asked it answers (with how).
    targets: dict[tuple[str, str], list[tuple[tuple[str, str], str | None]]] = {}
    lengths = _prefix_lengths(db) if any(k in lookup.NETWORK_KINDS for k, _ in asked) else {}
    for kind, normal in asked:
        for found, via in _related(kind, normal, lengths):
            targets.setdefault(found, []).append(((kind, normal), via))
    hits = _hits(db, reader, targets)
    sightings = _sightings(db, reader=reader, indicators={r.stix_id: r for r, _ in hits.values()})
    answers: dict[tuple[str, str], dict[int, IndicatorHit]] = {}
    for (found, row_id), (row, collection) in hits.items():
        body = json.loads(row.body)
        life = decay.lifetime_of(body)
        if life.expired(now) and not include_expired:
            continue
        count, last = sightings.get(row.stix_id, (0, None))
        for key, via in targets[found]:
            # Built without validation (model_construct): the values are the hub's own, and
            # validating thousands of hits cost more than finding them.
            answers.setdefault(key, {})[row_id] = IndicatorHit.model_construct(
                id=row.stix_id,
                collection=collection,
                name=body.get("name"),
                pattern=body.get("pattern", ""),
                tlp=row.tlp,
                revoked=row.revoked,
                sightings=count,
                via=via,
                valid_until=body.get("valid_until"),
                expired=life.expired(now),
                score=decay.score(life, now=now, last_sighting=last),
                url=object_url(collection, row.stix_id),
            )
    flagged = warninglists.flags(db, asked)
    return [
        LookupResult.model_construct(
            value=a.value,
            kind=a.kind,
            normalised=a.normal,
            indicators=sorted(
                answers.get((a.kind, a.normal), {}).values(), key=lambda h: (-h.score, h.id)
            ),
            warninglists=flagged.get((a.kind, a.normal), []),
        )
        for a in wanted
    ]


def _prefix_lengths(db: Session) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for kind, length in db.execute(select(ObservablePrefix.kind, ObservablePrefix.length)):
        found.setdefault(kind, []).append(length)
    return found


def _related(
    kind: str, normal: str, lengths: dict[str, list[int]]
) -> list[tuple[tuple[str, str], str | None]]:
    """The indexed values that answer a value asked: itself, ranges, a URL's host."""
    related: list[tuple[tuple[str, str], str | None]] = [((kind, normal), None)]
    if kind in lookup.NETWORK_KINDS:
        net_kind = lookup.NETWORK_KINDS[kind]
        for _, text in lookup.network_keys(kind, normal, lengths.get(net_kind, ())).items():
            related.append(((net_kind, text), text))
    elif kind == "url":
        host = urlsplit(normal).hostname
        if host:
            try:
                host_kind, host_normal = lookup.classify(host.strip("[]"))
            except InvalidInput:  # a host that is no domain or address: nothing more
                return related
            if host_kind in ("domain", "ipv4", "ipv6"):
                for found, via in _related(host_kind, host_normal, lengths):
                    related.append((found, via or host_normal))
    return related


class _Hit(NamedTuple):
    """The columns of a found indicator that a hit shows (not the ORM entity: loading
    thousands of those cost more than the query)."""

    id: int
    stix_id: str
    tlp: str
    revoked: bool
    producer_org_id: int | None
    body: str


_HIT_COLUMNS = (
    StixObject.id,
    StixObject.stix_id,
    StixObject.tlp,
    StixObject.revoked,
    StixObject.producer_org_id,
    StixObject.body,
)


def _hits(
    db: Session,
    reader: Reader,
    targets: dict[tuple[str, str], list[tuple[tuple[str, str], str | None]]],
) -> dict[tuple[tuple[str, str], int], tuple[_Hit, str]]:
    readable = readable_collection_ids(db, reader.actor)
    found: dict[tuple[tuple[str, str], int], tuple[_Hit, str]] = {}
    if not readable or not targets:
        return found
    keys = sorted({lookup.key(kind, value) for kind, value in targets})
    for start in range(0, len(keys), _CHUNK):
        query = (
            select(Observable.kind, Observable.value, *_HIT_COLUMNS, Collection.uuid)
            .join(StixObject, StixObject.id == Observable.object_id)
            .join(Collection, Collection.id == StixObject.collection_id)
            .where(
                Observable.key.in_(keys[start : start + _CHUNK]),
                StixObject.collection_id.in_(readable),
                StixObject.is_latest.is_(True),
                visible_clause(reader),
            )
        )
        for kind, value, row_id, stix_id, tlp, revoked, producer, body, collection in db.execute(
            query
        ):
            # A key shared by another value (64 bits can collide, see lookup.key) finds rows
            # that answer no value asked for.
            if (kind, value) in targets:
                row = _Hit(row_id, stix_id, tlp, revoked, producer, body)
                found[((kind, value), row.id)] = (row, collection)
    return found


def _sightings(
    db: Session, *, reader: Reader, indicators: Mapping[str, _Hit | StixObject]
) -> dict[str, tuple[int, datetime | None]]:
    """Sightings per indicator and when the last was added (see :func:`sighting_counts`)."""
    if not indicators:
        return {}
    total = func.sum(func.coalesce(StixObject.sighting_count, 1))
    found: dict[str, tuple[int, datetime | None]] = {}
    ids = list(indicators)
    own = [i for i, row in indicators.items() if row.producer_org_id in reader.org_ids]
    readable = readable_collection_ids(db, reader.actor)
    for start in range(0, len(ids), _CHUNK):
        base = (
            select(StixObject.sighting_of, total, func.max(StixObject.date_added))
            .where(
                StixObject.sighting_of.in_(ids[start : start + _CHUNK]),
                StixObject.is_latest.is_(True),
            )
            .group_by(StixObject.sighting_of)
        )
        query = base.where(StixObject.collection_id.in_(readable), visible_clause(reader))
        for ref, n, last in db.execute(query):
            found[str(ref)] = (int(n), last)
    for start in range(0, len(own), _CHUNK):
        base = (
            select(StixObject.sighting_of, total, func.max(StixObject.date_added))
            .where(
                StixObject.sighting_of.in_(own[start : start + _CHUNK]),
                StixObject.is_latest.is_(True),
            )
            .group_by(StixObject.sighting_of)
        )
        for ref, n, last in db.execute(base):
            found[str(ref)] = (int(n), last)
    return found


def sighting_counts(
    db: Session, *, reader: Reader, indicators: dict[str, StixObject]
) -> dict[str, int]:
    """Sightings per indicator: all of them for its producer, else those the reader may see."""
    return {k: n for k, (n, _) in _sightings(db, reader=reader, indicators=indicators).items()}


def stored_flags(db: Session, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """The warninglists holding each of ``pairs`` (for pages listing objects)."""
    return warninglists.flags(db, pairs)
