"""What the policy needs to know about a reader and a collection, loaded once per request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import BindParameter, CompoundSelect, bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from accord import prepared
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

    @cached_property
    def filter_values(self) -> tuple[tuple[int, ...], ...]:
        """The TLP filter's sets, each sorted, in ``visibility.parameters``' order: what a
        kept page's key holds of the reader. Made once a reader (a kept one serves many
        requests)."""
        found = (self.org_ids, self.org_audiences, self.group_audiences, self.peer_remote_ids)
        return tuple(tuple(sorted(values)) for values in found)


# Statements built once with bound parameters: building a statement per request (its
# clauses and cache key) cost several times what SQLite takes to answer it.
_ORG_IDS: BindParameter[list[int]] = bindparam("org_ids", expanding=True)
_MY_GROUPS = select(SharingGroupMember.group_id).where(
    SharingGroupMember.organization_id.in_(_ORG_IDS)
)
_READER_FACTS: CompoundSelect[str, int] = union_all(
    select(literal("group"), SharingGroupMember.group_id).where(
        SharingGroupMember.organization_id.in_(_ORG_IDS)
    ),
    select(literal("org_audience"), AudienceMember.audience_id).where(
        AudienceMember.organization_id.in_(_ORG_IDS)
    ),
    select(literal("group_audience"), AudienceMember.audience_id).where(
        AudienceMember.group_id.in_(_MY_GROUPS)
    ),
    select(literal("peer"), Remote.id).where(Remote.peer_user_id == bindparam("user_id")),
)


def reader_for(db: prepared.Reads, actor: Actor) -> Reader:
    """The reader behind ``actor``: one query for its groups, audiences and peer remotes.

    In a reading that keeps access rows, the reader built from them is kept with them for
    the very actor object it was built for (a token's, kept with its own rows:
    ``identity.callers``), so a caller's next request is given the same reader while
    nothing it was read from changed."""
    if actor.user_id is None and not actor.roles:
        return _reader(db, actor)
    # The actor is held by the kept value: its id cannot be reused while it is kept.
    kept = prepared.kept_value(db, ("reader", id(actor)), lambda: (actor, _reader(db, actor)))
    return kept[1] if kept[0] is actor else _reader(db, actor)


def _reader(db: prepared.Reads, actor: Actor) -> Reader:
    org_ids = frozenset(actor.roles)
    found: dict[str, set[int]] = {"group": set(), "org_audience": set(), "group_audience": set(),
                                  "peer": set()}  # fmt: skip
    if org_ids or actor.user_id is not None:
        params = {"org_ids": sorted(org_ids), "user_id": actor.user_id}
        for kind, value in prepared.kept_rows(db, _READER_FACTS, params):
            found[kind].add(int(value))
    return Reader(
        actor=actor,
        org_ids=org_ids,
        group_ids=frozenset(found["group"]),
        org_audiences=frozenset(found["org_audience"]),
        group_audiences=frozenset(found["group_audience"]),
        peer_remote_ids=frozenset(found["peer"]),
    )


def grants_of(db: Session, collection: Collection) -> CollectionGrants:
    """The collection's grants, with sharing groups resolved to their organizations."""
    return _grants(collection, _grant_rows(db, [collection.id]).get(collection.id, []))


def rights(db: Session, actor: Actor, collection: Collection) -> CollectionRights:
    """What ``actor`` may do with ``collection``, as the policy says."""
    return collection_rights(actor, grants_of(db, collection))


# The TAXII read path needs a collection's row id and the actor's rights, not the ORM object.
_COLLECTION_KEY = select(
    Collection.id, Collection.owner_org_id, Collection.public_read, Collection.community_read
).where((Collection.uuid == bindparam("key")) | (Collection.alias == bindparam("key")))


def rights_by_key(
    db: prepared.Reads, actor: Actor, key: str
) -> tuple[int, CollectionRights] | None:
    """The row id of the collection with this TAXII id (or alias) and what ``actor`` may do
    with it, as :func:`rights` says; None if there is no such collection. The policy decides
    on every call; the collection's grants it decides from are kept with their rows."""
    found = prepared.kept_value(db, ("grants", key), lambda: _grants_by_key(db, key))
    if found is None:
        return None
    row_id, grants = found
    return row_id, collection_rights(actor, grants)


def _grants_by_key(db: prepared.Reads, key: str) -> tuple[int, CollectionGrants] | None:
    found = prepared.kept_rows(db, _COLLECTION_KEY, {"key": key})
    if not found:
        return None
    row_id, owner, public, community = found[0]
    grant_rows = _grant_rows(db, [row_id]).get(row_id, [])
    return row_id, _grants_of(owner, public, community, grant_rows)


def all_rights(
    db: Session, actor: Actor, collections: Sequence[Collection]
) -> dict[int, CollectionRights]:
    """Rights on many collections with one query for the grants."""
    rows = _grant_rows(db, [c.id for c in collections])
    return {c.id: collection_rights(actor, _grants(c, rows.get(c.id, []))) for c in collections}


def readable_collection_ids(db: Session, actor: Actor) -> list[int]:
    """Every collection ``actor`` may read (collections are few; grants are one query)."""
    return list(readable_collections(db, actor))


def readable_collections(db: Session, actor: Actor) -> dict[int, str]:
    """:func:`readable_collection_ids` with each collection's UUID as text (the look-up names
    the collections of its hits with them, without a statement of its own)."""
    collections = db.scalars(select(Collection)).all()
    rights = all_rights(db, actor, collections)
    return {c.id: str(c.uuid) for c in collections if rights[c.id].can_read}


_COLLECTION_IDS: BindParameter[list[int]] = bindparam("collection_ids", expanding=True)
_GRANT_ROWS: CompoundSelect[int, int | None, bool, bool] = union_all(
    select(
        CollectionGrant.collection_id,
        CollectionGrant.organization_id,
        CollectionGrant.can_read,
        CollectionGrant.can_write,
    ).where(
        CollectionGrant.collection_id.in_(_COLLECTION_IDS),
        CollectionGrant.organization_id.is_not(None),
    ),
    select(
        CollectionGrant.collection_id,
        SharingGroupMember.organization_id,
        CollectionGrant.can_read,
        CollectionGrant.can_write,
    )
    .join(SharingGroupMember, SharingGroupMember.group_id == CollectionGrant.group_id)
    .where(CollectionGrant.collection_id.in_(_COLLECTION_IDS)),
)


def _grant_rows(
    db: prepared.Reads, collection_ids: list[int]
) -> dict[int, list[tuple[int, bool, bool]]]:
    """Per collection: (organization id, read, write), groups expanded to their members."""
    if not collection_ids:
        return {}
    found: dict[int, list[tuple[int, bool, bool]]] = {}
    rows = prepared.kept_rows(db, _GRANT_ROWS, {"collection_ids": collection_ids})
    for cid, org_id, read, write in rows:
        if org_id is not None:
            found.setdefault(cid, []).append((org_id, bool(read), bool(write)))
    return found


def _grants(collection: Collection, rows: list[tuple[int, bool, bool]]) -> CollectionGrants:
    return _grants_of(collection.owner_org_id, collection.public_read, collection.community_read,
                      rows)  # fmt: skip


def _grants_of(
    owner_org_id: int, public_read: bool, community_read: bool, rows: list[tuple[int, bool, bool]]
) -> CollectionGrants:
    return CollectionGrants(
        owner_org_id=owner_org_id,
        public_read=bool(public_read),
        community_read=bool(community_read),
        reader_org_ids=frozenset(org for org, read, _ in rows if read),
        writer_org_ids=frozenset(org for org, _, write in rows if write),
    )
