"""Rules of threat sharing: collections and their grants, adding, reading and deleting objects.

Keyword-only functions taking the session and the acting :class:`Actor`; none commits. Who may
read or write a collection, and which objects a reader may see, are the policy's answers
(``collection_rights``, ``may_see_object``, applied in SQL by ``visibility``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from accord import collector, prepared
from accord.config import Settings
from accord.errors import N_, Conflict, Forbidden, Message, NotFound, Unauthenticated
from accord.identity import audit
from accord.identity.models import MemberRole, Organization
from accord.identity.policy import Action, Actor, CollectionRights, authorize
from accord.identity.services import get_org
from accord.sharing import envelopes, ingest, ingest_locks, queries, queue
from accord.sharing.models import (
    Collection,
    CollectionGrant,
    QueuedEnvelope,
    SharingGroup,
    StixObject,
    TaxiiStatus,
)
from accord.sharing.readers import Reader, all_rights, grants_of, rights, rights_by_key
from accord.sharing.schemas import CollectionCreate, GrantSet

# Built once: every TAXII request looks its collection up.
_BY_ID_OR_ALIAS = select(Collection).where(
    (Collection.uuid == bindparam("key")) | (Collection.alias == bindparam("key"))
)


def get_collection(db: Session, collection_id: str) -> Collection:
    """The collection with this TAXII id (or alias)."""
    found = db.scalar(_BY_ID_OR_ALIAS, {"key": collection_id})
    if found is None:
        raise NotFound(
            Message(N_("no collection %(collection_id)r"), collection_id=collection_id),
            field="collection_id",
        )
    return found


def collection_for(
    db: Session, actor: Actor, collection_id: str, *, write: bool = False
) -> tuple[Collection, CollectionRights]:
    """A collection the actor may read (or write); what it may not see does not exist for it.

    Anonymous callers get 401 for anything not public, found or not, so that the answer tells
    nothing about which collections exist.
    """
    collection = db.scalar(_BY_ID_OR_ALIAS, {"key": collection_id})
    granted = None if collection is None else rights(db, actor, collection)
    _admit(actor, granted, collection_id, write=write)
    assert collection is not None
    assert granted is not None
    return collection, granted


def readable_collection_id(db: prepared.Reads, actor: Actor, collection_id: str) -> int:
    """The row id of a collection the actor may read, decided as :func:`collection_for`
    decides, without loading the collection (the TAXII read path)."""
    found = rights_by_key(db, actor, collection_id)
    _admit(actor, None if found is None else found[1], collection_id, write=False)
    assert found is not None
    return found[0]


def _admit(
    actor: Actor, granted: CollectionRights | None, collection_id: str, *, write: bool
) -> None:
    """Raise unless ``granted`` (None: no such collection) lets the actor read (or write)."""
    if granted is not None and (granted.can_write if write else granted.can_read):
        return
    if not actor.is_authenticated:
        raise Unauthenticated(N_("sign in with an API token to reach this collection"))
    if granted is not None and (granted.can_read or granted.can_write):
        raise Forbidden(
            N_("you may not write to this collection")
            if write
            else N_("you may not read this collection")
        )
    if granted is not None and actor.is_operator:
        # Operators know every collection exists (they run the hub): say why, not "no such".
        raise Forbidden(
            N_(
                "operators run the hub but read a collection only through its grants: ask its "
                "owner to grant your organization access"
            )
        )
    raise NotFound(
        Message(N_("no collection %(collection_id)r"), collection_id=collection_id),
        field="collection_id",
    )


def list_collections(db: Session, actor: Actor) -> list[tuple[Collection, CollectionRights]]:
    """Every collection the actor may read or write, by title."""
    collections = db.scalars(select(Collection).order_by(Collection.title)).all()
    granted = all_rights(db, actor, collections)
    return [
        (c, granted[c.id]) for c in collections if granted[c.id].can_read or granted[c.id].can_write
    ]


def create_collection(
    db: Session, *, org: Organization, data: CollectionCreate, actor: Actor
) -> Collection:
    """A new collection owned by ``org`` (its admins)."""
    authorize(actor, Action.ORG_EDIT, org_id=org.id)
    if data.alias and db.scalar(select(Collection.id).where(Collection.alias == data.alias)):
        raise Conflict(
            Message(N_("the alias %(alias)s is taken"), alias=repr(data.alias)), field="alias"
        )
    collection = Collection(
        uuid=str(uuid.uuid4()),
        alias=data.alias,
        title=data.title,
        description=data.description,
        owner_org_id=org.id,
        default_tlp=data.default_tlp.value,
        public_read=data.public_read,
        community_read=data.community_read,
    )
    db.add(collection)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="sharing.collection.create",
        target=collection.uuid,
        organization_id=org.id,
        details={"title": data.title, "default_tlp": data.default_tlp.value},
    )
    return collection


def set_grant(db: Session, *, collection: Collection, data: GrantSet, actor: Actor) -> None:
    """Grant (or change) an organization's or a sharing group's access to a collection."""
    authorize(actor, Action.ORG_EDIT, org_id=collection.owner_org_id)
    if (data.organization is None) == (data.group is None):
        raise Conflict(N_("name either an organization or a sharing group"), field="organization")
    org_id = get_org(db, data.organization).id if data.organization else None
    group_id = None
    if data.group:
        group_id = db.scalar(select(SharingGroup.id).where(SharingGroup.uuid == data.group))
        if group_id is None:
            raise NotFound(
                Message(N_("no sharing group %(group)s"), group=data.group), field="group"
            )
    grant = db.scalar(
        select(CollectionGrant).where(
            CollectionGrant.collection_id == collection.id,
            CollectionGrant.organization_id.is_not_distinct_from(org_id),
            CollectionGrant.group_id.is_not_distinct_from(group_id),
        )
    )
    if grant is None:
        grant = CollectionGrant(
            collection_id=collection.id, organization_id=org_id, group_id=group_id
        )
        db.add(grant)
    grant.can_read, grant.can_write = data.can_read, data.can_write
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="sharing.collection.grant",
        target=collection.uuid,
        organization_id=collection.owner_org_id,
        details={
            "organization": data.organization,
            "group": data.group,
            "read": data.can_read,
            "write": data.can_write,
        },
    )


def producer_org(db: Session, actor: Actor, collection: Collection) -> int:
    """The organization an actor shares as: the owner if it belongs to it, else a writer org."""
    if collection.owner_org_id in actor.roles:
        return collection.owner_org_id
    writers = grants_of(db, collection).writer_org_ids
    mine = sorted(set(actor.roles) & writers)
    if not mine:
        raise Forbidden(N_("you may not write to this collection"))
    return mine[0]


def writable_collection(db: Session, *, actor: Actor, collection_id: str) -> tuple[Collection, int]:
    """The collection the actor may add objects to, and the organization it shares as; raise
    unless it may (asked before an envelope is checked)."""
    authorize(actor, Action.SHARING_WRITE)
    collection, _ = collection_for(db, actor, collection_id, write=True)
    return collection, producer_org(db, actor, collection)


def queues(envelope: Sequence[ingest.Outcome], settings: Settings) -> bool:
    """Whether a checked envelope is large enough to be queued rather than stored at once."""
    return len(envelope) >= settings.taxii_queue_from_objects


def queue_entry(
    *,
    actor: Actor,
    collection: Collection,
    producer_org_id: int,
    envelope: Sequence[ingest.Outcome],
    now: datetime,
) -> QueuedEnvelope:
    """The queue entry of a checked envelope (its valid objects encoded, its failures and
    pendings), not yet committed: see :func:`enqueue`."""
    authorize(actor, Action.SHARING_WRITE)
    return queue.entry_for(
        collection_id=collection.id,
        user_id=actor.user_id,
        producer_org_id=producer_org_id,
        outcomes=envelope,
        now=now,
        status_uuid=str(uuid.uuid4()),
    )


def enqueue(waiting: queue.Queue, entry: QueuedEnvelope, *, settings: Settings) -> None:
    """Acknowledge a checked envelope: its entry is committed to the queue, whose drainer
    stores the objects (TAXII 2.1 status "pending"; see ``sharing.queue``), once the queue
    has room."""
    waiting.wait_for_room(
        limit=settings.taxii_queue_max_objects, seconds=settings.taxii_queue_wait_seconds
    )
    waiting.put(entry)


def check_envelope(body: bytes) -> list[ingest.Outcome]:
    """Parse an envelope and check its objects; no database, so no write lock while it runs.

    The collector is paused meanwhile: a thousand objects make some ten thousand dicts, lists
    and tuples, none in a cycle, and every few hundred of them started a collection for
    nothing (``accord.collector``)."""
    with collector.PAUSED:
        return ingest.check_objects(envelopes.parse_envelope(body))


def add_objects(
    db: Session,
    *,
    actor: Actor,
    collection_id: str,
    envelope: Sequence[ingest.Outcome],
    now: datetime,
) -> TaxiiStatus:
    """Store a checked envelope's valid objects and report on each (TAXII 2.1, section 5.5)."""
    authorize(actor, Action.SHARING_WRITE)
    # Asked again inside the writing transaction: a grant may have been withdrawn meanwhile.
    collection, _ = collection_for(db, actor, collection_id, write=True)
    source = ingest.Source(producer_org_id=producer_org(db, actor, collection))
    report = ingest.store_checked(
        db, collection=collection, outcomes=envelope, source=source, now=now
    )
    return ingest.record_status(
        db, collection_id=collection.id, user_id=actor.user_id, total=len(envelope), report=report
    )


def delete_object(
    db: Session,
    *,
    actor: Actor,
    reader: Reader,
    collection_id: str,
    stix_id: str,
    versions: queries.VersionMatch,
    spec_versions: Sequence[str] = (),
) -> int:
    """Delete the versions of an object that match the filters: its producer, or an admin of
    the collection's owner."""
    authorize(actor, Action.SHARING_WRITE)
    collection, _ = collection_for(db, actor, collection_id, write=True)
    # The object's lock, as an envelope writing it takes (PostgreSQL): the versions are read
    # and marked again after any envelope under way, and none reads them while they change
    # (it would mark its version's neighbours as before the deletion: two latest versions).
    ingest_locks.lock(db, collection.id, [stix_id])
    rows = queries.visible_versions(
        db,
        collection_id=collection.id,
        reader=reader,
        stix_id=stix_id,
        versions=versions,
        spec_versions=spec_versions,
    )
    if not rows:
        raise NotFound(
            Message(N_("no object %(stix_id)r in this collection"), stix_id=stix_id),
            field="object_id",
        )
    owner_admin = actor.roles.get(collection.owner_org_id) is MemberRole.ADMIN
    if not owner_admin and any(r.producer_org_id not in actor.roles for r in rows):
        raise Forbidden(N_("only its producer or the collection owner's admins may delete it"))
    for row in rows:
        db.delete(row)
    db.flush()
    _reflag(db, collection.id, stix_id)
    audit.record(
        db,
        actor=actor,
        action="sharing.object.delete",
        target=stix_id,
        organization_id=collection.owner_org_id,
        details={"collection": collection.uuid, "versions": len(rows)},
    )
    return len(rows)


def _reflag(db: Session, collection_id: int, stix_id: str) -> None:
    """Mark the newest and oldest remaining version of each producer's copy of an object (an
    observable is kept once per producer; any other object has one producer, its creator)."""
    remaining: Sequence[tuple[int, datetime, int | None]] = db.execute(
        select(StixObject.id, StixObject.version, StixObject.producer_org_id).where(
            StixObject.collection_id == collection_id, StixObject.stix_id == stix_id
        )
    ).all()
    if not remaining:
        return
    chains: dict[int | None, list[tuple[int, datetime, int | None]]] = {}
    for row in remaining:
        chains.setdefault(row[2], []).append(row)
    newest = [max(c, key=lambda r: r[1])[0] for c in chains.values()]
    oldest = [min(c, key=lambda r: r[1])[0] for c in chains.values()]
    db.execute(
        update(StixObject)
        .where(StixObject.id.in_([r[0] for r in remaining]))
        .values(is_latest=StixObject.id.in_(newest), is_first=StixObject.id.in_(oldest))
    )
