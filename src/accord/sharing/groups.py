"""Sharing groups: sets of organizations that share together, exported and imported whole.

A group travels between hubs as JSON (``accord-sharing-group/1``): its id, name, owner and
members by slug and name. Importing it on another hub keeps the id, so that both hubs speak of
the same group, and reports the organizations the importing hub does not know.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.errors import N_, Message, NotFound
from accord.identity import audit
from accord.identity.models import Organization
from accord.identity.policy import Action, Actor, authorize
from accord.identity.services import get_org
from accord.sharing.models import SharingGroup, SharingGroupMember
from accord.sharing.schemas import GroupCreate, GroupExport, GroupImported


def create_group(
    db: Session, *, org: Organization, data: GroupCreate, actor: Actor
) -> SharingGroup:
    """A new sharing group owned by ``org``, with ``org`` and the named members in it."""
    authorize(actor, Action.ORG_EDIT, org_id=org.id)
    group = SharingGroup(
        uuid=str(uuid.uuid4()), name=data.name, description=data.description, owner_org_id=org.id
    )
    db.add(group)
    db.flush()
    members = {org.id} | {get_org(db, slug).id for slug in data.members}
    db.add_all(SharingGroupMember(group_id=group.id, organization_id=m) for m in sorted(members))
    audit.record(
        db,
        actor=actor,
        action="sharing.group.create",
        target=group.uuid,
        organization_id=org.id,
        details={"name": data.name, "members": sorted(data.members)},
    )
    return group


def get_group(db: Session, group_id: str) -> SharingGroup:
    """The sharing group with this id."""
    group = db.scalar(select(SharingGroup).where(SharingGroup.uuid == group_id))
    if group is None:
        raise NotFound(
            Message(N_("no sharing group %(group_id)r"), group_id=group_id), field="group_id"
        )
    return group


def member_orgs(db: Session, group: SharingGroup) -> list[Organization]:
    """The group's organizations, by slug."""
    return list(
        db.scalars(
            select(Organization)
            .join(SharingGroupMember, SharingGroupMember.organization_id == Organization.id)
            .where(SharingGroupMember.group_id == group.id)
            .order_by(Organization.slug)
        )
    )


def groups_of(db: Session, *, org: Organization, actor: Actor) -> list[SharingGroup]:
    """The groups ``org`` belongs to (its members may see them)."""
    authorize(actor, Action.ORG_PRIVATE_READ, org_id=org.id)
    return list(
        db.scalars(
            select(SharingGroup)
            .join(SharingGroupMember, SharingGroupMember.group_id == SharingGroup.id)
            .where(SharingGroupMember.organization_id == org.id)
            .order_by(SharingGroup.name)
        )
    )


def export_group(db: Session, *, group: SharingGroup, actor: Actor, now: datetime) -> GroupExport:
    """The group as portable JSON; the owner's members may export it."""
    authorize(actor, Action.ORG_PRIVATE_READ, org_id=group.owner_org_id)
    return describe(db, group, now=now)


def describe(db: Session, group: SharingGroup, *, now: datetime) -> GroupExport:
    """The group, its owner and its members as the export format writes them."""
    owner = db.get(Organization, group.owner_org_id)
    assert owner is not None
    return GroupExport(
        id=group.uuid,
        name=group.name,
        description=group.description,
        owner=owner.slug,
        members=[{"slug": o.slug, "name": o.name} for o in member_orgs(db, group)],
        exported_at=now,
    )


def import_group(
    db: Session, *, org: Organization, data: GroupExport, actor: Actor
) -> GroupImported:
    """Create or update a group from another hub's export; ``org`` owns it here.

    Members are matched by slug; those this hub does not know are reported, not invented.
    """
    authorize(actor, Action.ORG_EDIT, org_id=org.id)
    group = db.scalar(select(SharingGroup).where(SharingGroup.uuid == data.id))
    if group is None:
        group = SharingGroup(uuid=data.id, name=data.name, owner_org_id=org.id)
        db.add(group)
    else:
        authorize(actor, Action.ORG_EDIT, org_id=group.owner_org_id)
    group.name, group.description = data.name, data.description
    db.flush()
    slugs = [m.get("slug", "") for m in data.members]
    known = dict(
        db.execute(
            select(Organization.slug, Organization.id).where(Organization.slug.in_(slugs))
        ).all()
    )
    db.execute(delete(SharingGroupMember).where(SharingGroupMember.group_id == group.id))
    members = sorted({org.id, *known.values()})
    db.add_all(SharingGroupMember(group_id=group.id, organization_id=m) for m in members)
    audit.record(
        db,
        actor=actor,
        action="sharing.group.import",
        target=group.uuid,
        organization_id=org.id,
        details={"name": data.name, "members": sorted(known)},
    )
    return GroupImported(
        id=group.uuid,
        name=group.name,
        members=sorted(known),
        unknown=sorted(s for s in slugs if s not in known),
    )
