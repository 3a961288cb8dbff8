"""Threat sharing: who reads and writes a TAXII collection, and who sees an object of each
TLP level."""

from __future__ import annotations

from dataclasses import dataclass

from accord.identity.policy.actions import SCOPE_RANK, Actor
from accord.sharing import tlp


@dataclass(frozen=True)
class CollectionGrants:
    """Who a TAXII collection admits; groups already resolved to their organizations."""

    owner_org_id: int
    public_read: bool
    community_read: bool
    reader_org_ids: frozenset[int]
    writer_org_ids: frozenset[int]


@dataclass(frozen=True)
class CollectionRights:
    """What an actor may do with one collection."""

    can_read: bool
    can_write: bool


def collection_rights(actor: Actor, grants: CollectionGrants) -> CollectionRights:
    """Read: anyone on a public collection, any member organization on a community one, else
    the owner and the organizations granted (directly or through a sharing group). Write: the
    owner and the organizations granted write, with a token of write scope. Operators run the
    hub but get no reading rights from it: TLP is the producer's promise to its recipients.
    """
    orgs = frozenset(actor.roles)
    member = grants.owner_org_id in orgs
    can_read = (
        grants.public_read
        or (grants.community_read and bool(orgs))
        or member
        or not orgs.isdisjoint(grants.reader_org_ids)
    )
    scope_ok = actor.token_scope is None or SCOPE_RANK[actor.token_scope] >= 2
    can_write = (
        actor.is_authenticated
        and scope_ok
        and (member or not orgs.isdisjoint(grants.writer_org_ids))
    )
    return CollectionRights(can_read=can_read, can_write=can_write)


def object_relations(
    actor: Actor,
    *,
    producer_org_id: int | None,
    recipient_org_ids: frozenset[int],
    recipient_group_ids: frozenset[int],
    actor_group_ids: frozenset[int],
) -> frozenset[tlp.Relation]:
    """How ``actor`` stands to one object: producer, named recipient, community, anyone."""
    orgs = frozenset(actor.roles)
    found = {tlp.Relation.ANYONE}
    if orgs:
        found.add(tlp.Relation.COMMUNITY)
    if producer_org_id is not None and producer_org_id in orgs:
        found.add(tlp.Relation.PRODUCER)
    if not orgs.isdisjoint(recipient_org_ids):
        found.add(tlp.Relation.RECIPIENT_ORG)
    if not actor_group_ids.isdisjoint(recipient_group_ids):
        found.add(tlp.Relation.RECIPIENT_GROUP)
    return frozenset(found)


def may_see_object(level: tlp.Tlp, relations: frozenset[tlp.Relation]) -> bool:
    """Whether a reader in ``relations`` may see an object of TLP ``level`` (tlp.AUDIENCE).

    ``accord.sharing.visibility`` is the same rule as a SQL filter; a test checks they agree.
    """
    return tlp.visible(level, relations)
