"""MISP events into a collection: stored whole or not at all.

:mod:`accord.sharing.misp_convert` maps an event to STIX 2.1 objects and checks every item
(the mapping is described there); this module checks the event's sharing group against the
collection and stores the objects in one transaction: an event with any bad item is refused
whole, each problem named. Writing MISP events is ``misp_export.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import N_, Message
from accord.identity.policy import Action, Actor, authorize
from accord.sharing import ingest, services
from accord.sharing.misp_convert import MAX_ERRORS_SHOWN, MispInvalid, convert
from accord.sharing.models import Collection, CollectionGrant, SharingGroup

# What callers read from here besides the storing functions.
__all__ = [
    "MAX_ERRORS_SHOWN",
    "Imported",
    "MispInvalid",
    "import_event",
    "store_all",
    "store_event",
]


@dataclass(frozen=True)
class Imported:
    """What an import stored."""

    event_id: str
    objects: int
    attributes: int
    misp_objects: int
    sightings: int
    tags: int
    notices: tuple[str, ...] = ()  # tags of unknown taxonomies, each kept as a free label


def import_event(
    db: Session, *, actor: Actor, collection_id: str, document: Any, now: datetime
) -> Imported:
    """Store a MISP event in a collection the actor may write, whole or not at all."""
    authorize(actor, Action.SHARING_WRITE)
    collection, _ = services.collection_for(db, actor, collection_id, write=True)
    producer = services.producer_org(db, actor, collection)
    return store_event(
        db, collection=collection, producer_org_id=producer, document=document, now=now
    )


def store_event(
    db: Session, *, collection: Collection, producer_org_id: int, document: Any, now: datetime
) -> Imported:
    """Store a MISP event as ``producer_org_id`` shares it (the caller checked the right to)."""
    converted = convert(document, now=now)
    if converted.group_uuid is not None:
        _check_group(db, collection, converted.group_uuid)
    store_all(
        db,
        collection=collection,
        producer_org_id=producer_org_id,
        objects=converted.objects,
        now=now,
    )
    return Imported(
        event_id=converted.event_id,
        objects=len(converted.objects),
        attributes=converted.attributes,
        misp_objects=converted.misp_objects,
        sightings=converted.sightings,
        tags=converted.tags,
        notices=tuple(converted.notices),
    )


def store_all(
    db: Session,
    *,
    collection: Collection,
    producer_org_id: int,
    objects: list[Any],
    now: datetime,
) -> ingest.Report:
    """Store every object or none: any invalid one refuses all, each problem named (a file
    imported by hand is fixed and imported again, not half kept)."""
    outcomes = ingest.check_objects(objects)
    failures = [o for o in outcomes if isinstance(o, dict)]
    if failures:
        raise MispInvalid([_object_problem(f["id"], f["message"]) for f in failures])
    source = ingest.Source(producer_org_id=producer_org_id)
    report = ingest.store_checked(
        db, collection=collection, outcomes=outcomes, source=source, now=now
    )
    if report.failures:
        # Raised inside the unit of work: nothing of the file is kept.
        raise MispInvalid([_object_problem(f["id"], f["message"]) for f in report.failures])
    return report


def _object_problem(stix_id: str, problem: str) -> Message:
    """ "<id>: <problem>", the problem (a :class:`Message` from checking) in the reader's
    language."""
    named = stix_id or Message(N_("an object"))
    return Message(N_("%(item)s: %(problem)s"), item=named, problem=problem)


def _check_group(db: Session, collection: Collection, group_uuid: str) -> None:
    group = db.scalar(select(SharingGroup).where(SharingGroup.uuid == group_uuid))
    if group is None:
        raise MispInvalid(
            [
                f"the event is shared with sharing group {group_uuid}, which this hub does not "
                "know: import the group first (accord sharing group-import)"
            ]
        )
    granted = db.scalar(
        select(CollectionGrant.id).where(
            CollectionGrant.collection_id == collection.id,
            CollectionGrant.group_id == group.id,
            CollectionGrant.can_read.is_(True),
        )
    )
    if granted is None:
        raise MispInvalid(
            [
                f"the event is shared with sharing group {group.name!r}, which may not read this "
                "collection: grant it read first, or import into a collection it reads"
            ]
        )
