"""Managing threat sharing from pages: the organizations one may create collections and
groups for, a collection's grants by name, and adding an organization to a sharing group."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import N_, Conflict, Message
from accord.identity import audit
from accord.identity.models import MemberRole, Organization
from accord.identity.policy import Action, Actor, allowed, authorize
from accord.identity.services import get_org
from accord.sharing import groups
from accord.sharing.models import Collection, CollectionGrant, SharingGroup, SharingGroupMember


def admin_orgs(db: Session, actor: Actor) -> list[Organization]:
    """The organizations the actor administers (it may create collections and groups for)."""
    ids = [org for org, role in actor.roles.items() if role is MemberRole.ADMIN]
    if not ids:
        return []
    return list(
        db.scalars(select(Organization).where(Organization.id.in_(ids)).order_by(Organization.name))
    )


def may_manage(actor: Actor, collection: Collection) -> bool:
    """Whether the actor may change the collection's grants (its owner's admins)."""
    return allowed(actor, Action.ORG_EDIT, org_id=collection.owner_org_id)


@dataclass(frozen=True)
class GrantRow:
    """A grant as the access page lists it."""

    who: str
    kind: str  # "organization" or "group"
    key: str  # slug or group id
    can_read: bool
    can_write: bool


def grants(db: Session, *, collection: Collection, actor: Actor) -> list[GrantRow]:
    """The collection's grants by name (its owner's admins see them)."""
    authorize(actor, Action.ORG_EDIT, org_id=collection.owner_org_id)
    found = []
    rows = db.execute(
        select(CollectionGrant, Organization.name, Organization.slug)
        .join(Organization, Organization.id == CollectionGrant.organization_id)
        .where(CollectionGrant.collection_id == collection.id)
        .order_by(Organization.name)
    ).all()
    for grant, name, slug in rows:
        found.append(GrantRow(name, "organization", slug, grant.can_read, grant.can_write))
    rows_g = db.execute(
        select(CollectionGrant, SharingGroup.name, SharingGroup.uuid)
        .join(SharingGroup, SharingGroup.id == CollectionGrant.group_id)
        .where(CollectionGrant.collection_id == collection.id)
        .order_by(SharingGroup.name)
    ).all()
    for grant, name, key in rows_g:
        found.append(GrantRow(name, "group", key, grant.can_read, grant.can_write))
    return found


def all_orgs(db: Session) -> list[tuple[str, str]]:
    """Every organization (slug, name), for choosing whom to grant access or add to a group."""
    return [
        (s, n)
        for s, n in db.execute(
            select(Organization.slug, Organization.name).order_by(Organization.name)
        )
    ]


@dataclass(frozen=True)
class GroupRow:
    """A sharing group as the groups page lists it."""

    group: SharingGroup
    owner: str
    members: list[tuple[str, str]]
    may_edit: bool


def groups_for(db: Session, actor: Actor) -> list[GroupRow]:
    """The sharing groups the actor's organizations belong to, with their members."""
    org_ids = list(actor.roles)
    if not org_ids:
        return []
    found = db.scalars(
        select(SharingGroup)
        .where(
            SharingGroup.id.in_(
                select(SharingGroupMember.group_id).where(
                    SharingGroupMember.organization_id.in_(org_ids)
                )
            )
        )
        .order_by(SharingGroup.name)
    ).all()
    rows = []
    for group in found:
        owner = db.get(Organization, group.owner_org_id)
        members = [(o.slug, o.name) for o in groups.member_orgs(db, group)]
        rows.append(
            GroupRow(
                group=group,
                owner=owner.name if owner else "",
                members=members,
                may_edit=allowed(actor, Action.ORG_EDIT, org_id=group.owner_org_id),
            )
        )
    return rows


def add_member(db: Session, *, group: SharingGroup, slug: str, actor: Actor) -> Organization:
    """Add an organization to a sharing group (the owner's admins)."""
    authorize(actor, Action.ORG_EDIT, org_id=group.owner_org_id)
    org = get_org(db, slug)
    exists = db.scalar(
        select(SharingGroupMember.id).where(
            SharingGroupMember.group_id == group.id, SharingGroupMember.organization_id == org.id
        )
    )
    if exists is not None:
        raise Conflict(
            Message(N_("%(org)s is already in this group"), org=org.name), field="organization"
        )
    db.add(SharingGroupMember(group_id=group.id, organization_id=org.id))
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="sharing.group.member_add",
        target=group.uuid,
        organization_id=group.owner_org_id,
        details={"organization": org.slug},
    )
    return org
