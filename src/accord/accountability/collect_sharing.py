"""Reading the threat-sharing records figures need, for one period.

Shared objects and sightings, which a hub may hold by the million, are counted by the database
(per signatory and TLP) rather than loaded: their records are groups (``rows.SharedCount``,
``rows.SightingCount``). Objects pulled by others are read per producer, reader and day.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from accord.accountability.bounds import PRIVATE, orgs, within
from accord.accountability.periods import Period
from accord.accountability.rows import DeliveryRow, SharedCount, SightingCount, counted
from accord.sharing.models import ObjectDelivery, StixObject

SIGHTING = "sighting"


def objects(db: Session, period: Period, wanted: frozenset[int]) -> list[SharedCount]:
    """How many objects each signatory shared in the period, per TLP: one row per group, read
    by the database's COUNT, so a million objects cost the hub no more Python than ten."""
    query = (
        select(
            StixObject.producer_org_id,
            StixObject.tlp,
            func.count(),
            func.min(StixObject.date_added),
            func.max(StixObject.date_added),
        )
        .where(
            StixObject.is_first.is_(True),
            StixObject.origin_remote_id.is_(None),
            StixObject.stix_type != SIGHTING,
            within(StixObject.date_added, period),
            orgs(StixObject.producer_org_id, wanted),
        )
        .group_by(StixObject.producer_org_id, StixObject.tlp)
        .order_by(StixObject.producer_org_id, StixObject.tlp)
    )
    return [
        SharedCount(
            ref=counted(f"objects:{tlp}" if tlp == "CLEAR" else f"{PRIVATE}objects:{tlp}", n),
            org_id=org_id,
            tlp=tlp,
            count=n,
            first_added=first,
            last_added=last,
        )
        for org_id, tlp, n, first, last in db.execute(query)
        if org_id in wanted
    ]


def sightings(db: Session, period: Period, wanted: frozenset[int]) -> list[SightingCount]:
    """How many sightings of each signatory's objects others added in the period.

    A sighted object kept in several collections joins once per copy, and a sighting in
    several collections is one row per copy: the DISTINCT counts each (sighting, signatory,
    moment added) once, as figures always have, before the database counts them."""
    sighted = aliased(StixObject)
    found = (
        select(
            StixObject.stix_id,
            sighted.producer_org_id.label("org_id"),
            StixObject.date_added.label("added"),
        )
        .join(sighted, sighted.stix_id == StixObject.sighting_of)
        .where(
            StixObject.stix_type == SIGHTING,
            StixObject.sighting_of.is_not(None),  # reads the partial index of sightings
            StixObject.is_first.is_(True),
            within(StixObject.date_added, period),
            sighted.is_first.is_(True),
            or_(
                StixObject.producer_org_id.is_(None),
                StixObject.producer_org_id != sighted.producer_org_id,
            ),
            orgs(sighted.producer_org_id, wanted),
        )
        .distinct()
        .subquery()
    )
    query = (
        select(found.c.org_id, func.count(), func.min(found.c.added), func.max(found.c.added))
        .group_by(found.c.org_id)
        .order_by(found.c.org_id)
    )
    return [
        SightingCount(
            ref=counted(f"{PRIVATE}sightings", n),
            org_id=org_id,
            count=n,
            first_added=first,
            last_added=last,
        )
        for org_id, n, first, last in db.execute(query)
        if org_id in wanted
    ]


def deliveries(db: Session, period: Period, wanted: frozenset[int]) -> list[DeliveryRow]:
    """Objects pulled by others on the days of the period (who reads whose objects is not
    public: the rows are counted, never named)."""
    query = select(
        ObjectDelivery.id,
        ObjectDelivery.producer_org_id,
        ObjectDelivery.reader_org_id,
        ObjectDelivery.day,
        ObjectDelivery.objects,
    ).where(
        ObjectDelivery.day >= period.start.date(),
        ObjectDelivery.day < period.end.date(),
        orgs(ObjectDelivery.producer_org_id, wanted),
    )
    return [
        DeliveryRow(
            ref=f"{PRIVATE}pulls:{row_id}",
            org_id=producer,
            reader_org_id=reader,
            day=day,
            objects=objects,
        )
        for row_id, producer, reader, day, objects in db.execute(query)
        if producer in wanted
    ]
