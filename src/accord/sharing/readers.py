"""What the policy needs to know about a reader and a collection, loaded once per request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from accord.identity.policy import Actor, CollectionGrants, CollectionRights, collection_rights
from accord.sharing.models import (
    AudienceMember,
    Collection,
    CollectionGrant,
    Remote,
    SharingGroupMember,
)


@dataclass(frozen=True)
class Reader:
    """An actor with the facts the TLP rule reads: organizations, groups, audiences."""

    actor: Actor
    org_ids: frozenset[int]
    group_ids: frozenset[int]
    # Audiences naming one of the reader's organizations, or one of its sharing groups.
    org_audiences: frozenset[int]
    group_audiences: frozenset[int]
    # Remotes whose hub reads with this account: what came from them is not sent back.
    peer_remote_ids: frozenset[int]

    @property
    def community(self) -> bool:
        """Whether the reader belongs to a member organization of the hub."""
        return bool(self.org_ids)


def reader_for(db: Session, actor: Actor) -> Reader:
    """The reader behind ``actor`` (anonymous readers cost no query)."""
    org_ids = frozenset(actor.roles)
    group_ids: frozenset[int] = frozenset()
    org_audiences: frozenset[int] = frozenset()
    group_audiences: frozenset[int] = frozenset()
    if org_ids:
        group_ids = frozenset(
            db.scalars(
                select(SharingGroupMember.group_id).where(
                    SharingGroupMember.organization_id.in_(org_ids)
                )
            )
        )
        named = or_(
            AudienceMember.organization_id.in_(org_ids),
            AudienceMember.group_id.in_(group_ids) if group_ids else false(),
        )
        for audience_id, org_id in db.execute(
            select(AudienceMember.audience_id, AudienceMember.organization_id).where(named)
        ):
            if org_id is not None:
                org_audiences |= {audience_id}
            else:
                group_audiences |= {audience_id}
    peers: frozenset[int] = frozenset()
    if actor.user_id is not None:
        peers = frozenset(db.scalars(select(Remote.id).where(Remote.peer_user_id == actor.user_id)))
    return Reader(
        actor=actor,
        org_ids=org_ids,
        group_ids=group_ids,
        org_audiences=org_audiences,
        group_audiences=group_audiences,
        peer_remote_ids=peers,
    )


def grants_of(db: Session, collection: Collection) -> CollectionGrants:
    """The collection's grants, with sharing groups resolved to their organizations."""
    return _grants(collection, _grant_rows(db, [collection.id]).get(collection.id, []))


def rights(db: Session, actor: Actor, collection: Collection) -> CollectionRights:
    """What ``actor`` may do with ``collection``, as the policy says."""
    return collection_rights(actor, grants_of(db, collection))


def all_rights(
    db: Session, actor: Actor, collections: Sequence[Collection]
) -> dict[int, CollectionRights]:
    """Rights on many collections with one query for the grants."""
    rows = _grant_rows(db, [c.id for c in collections])
    return {c.id: collection_rights(actor, _grants(c, rows.get(c.id, []))) for c in collections}


def readable_collection_ids(db: Session, actor: Actor) -> list[int]:
    """Every collection ``actor`` may read (collections are few; grants are one query)."""
    collections = db.scalars(select(Collection)).all()
    return [cid for cid, r in all_rights(db, actor, collections).items() if r.can_read]


def _grant_rows(db: Session, collection_ids: list[int]) -> dict[int, list[tuple[int, bool, bool]]]:
    """Per collection: (organization id, read, write), groups expanded to their members."""
    if not collection_ids:
        return {}
    direct = select(
        CollectionGrant.collection_id,
        CollectionGrant.organization_id,
        CollectionGrant.can_read,
        CollectionGrant.can_write,
    ).where(
        CollectionGrant.collection_id.in_(collection_ids),
        CollectionGrant.organization_id.is_not(None),
    )
    via_group = (
        select(
            CollectionGrant.collection_id,
            SharingGroupMember.organization_id,
            CollectionGrant.can_read,
            CollectionGrant.can_write,
        )
        .join(SharingGroupMember, SharingGroupMember.group_id == CollectionGrant.group_id)
        .where(CollectionGrant.collection_id.in_(collection_ids))
    )
    found: dict[int, list[tuple[int, bool, bool]]] = {}
    for cid, org_id, read, write in db.execute(direct.union_all(via_group)):
        if org_id is not None:
            found.setdefault(cid, []).append((org_id, read, write))
    return found


def _grants(collection: Collection, rows: list[tuple[int, bool, bool]]) -> CollectionGrants:
    return CollectionGrants(
        owner_org_id=collection.owner_org_id,
        public_read=collection.public_read,
        community_read=collection.community_read,
        reader_org_ids=frozenset(org for org, read, _ in rows if read),
        writer_org_ids=frozenset(org for org, _, write in rows if write),
    )
