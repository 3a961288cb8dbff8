"""Indicator look-up over the observable index, and sighting counts per indicator."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.identity.policy import Action, authorize
from accord.sharing import lookup
from accord.sharing.models import Collection, Observable, StixObject
from accord.sharing.readers import Reader, readable_collection_ids
from accord.sharing.schemas import IndicatorHit, LookupResult
from accord.sharing.visibility import visible_clause


def look_up(db: Session, *, reader: Reader, values: Iterable[str]) -> list[LookupResult]:
    """For each value, the current indicators the reader may see whose patterns test it."""
    authorize(reader.actor, Action.SHARING_READ)
    wanted = [(value, *lookup.classify(value)) for value in values]
    asked = {(kind, normal) for _, kind, normal in wanted}
    keys = {lookup.key(kind, normal) for kind, normal in asked}
    readable = readable_collection_ids(db, reader.actor)
    hits: dict[tuple[str, str], list[tuple[StixObject, str]]] = {}
    if readable:
        query = (
            select(Observable.kind, Observable.value, StixObject, Collection.uuid)
            .join(StixObject, StixObject.id == Observable.object_id)
            .join(Collection, Collection.id == StixObject.collection_id)
            .where(
                Observable.key.in_(keys),
                StixObject.collection_id.in_(readable),
                StixObject.is_latest.is_(True),
                visible_clause(reader),
            )
            .order_by(StixObject.date_added)
        )
        for kind, normal, row, collection in db.execute(query):
            # A key shared by another value (64 bits can collide, see lookup.key) finds rows
            # that answer no value asked for.
            if (kind, normal) in asked:
                hits.setdefault((kind, normal), []).append((row, collection))
    counts = sighting_counts(
        db, reader=reader, indicators={r.stix_id: r for v in hits.values() for r, _ in v}
    )
    return [
        LookupResult(
            value=value,
            kind=kind,
            normalised=normal,
            indicators=[
                _hit(row, collection, counts.get(row.stix_id, 0))
                for row, collection in hits.get((kind, normal), [])
            ],
        )
        for value, kind, normal in wanted
    ]


def sighting_counts(
    db: Session, *, reader: Reader, indicators: dict[str, StixObject]
) -> dict[str, int]:
    """Sightings per indicator: all of them for its producer, else those the reader may see."""
    if not indicators:
        return {}
    total = func.sum(func.coalesce(StixObject.sighting_count, 1))
    base = (
        select(StixObject.sighting_of, total)
        .where(StixObject.sighting_of.in_(list(indicators)), StixObject.is_latest.is_(True))
        .group_by(StixObject.sighting_of)
    )
    counts: dict[str, int] = {
        str(ref): int(n)
        for ref, n in db.execute(
            base.where(
                StixObject.collection_id.in_(readable_collection_ids(db, reader.actor)),
                visible_clause(reader),
            )
        )
    }
    own = [i for i, row in indicators.items() if row.producer_org_id in reader.org_ids]
    if own:
        for ref, n in db.execute(base.where(StixObject.sighting_of.in_(own))):
            counts[str(ref)] = int(n)
    return counts


def _hit(row: StixObject, collection: str, sightings: int) -> IndicatorHit:
    body = json.loads(row.body)
    return IndicatorHit(
        id=row.stix_id,
        collection=collection,
        name=body.get("name"),
        pattern=body.get("pattern", ""),
        tlp=row.tlp,
        revoked=row.revoked,
        sightings=sightings,
    )
