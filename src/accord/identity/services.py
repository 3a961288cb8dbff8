"""Rules for accounts, organizations and memberships.

Every function takes the session it works in and the acting :class:`Actor`; none commits. The
caller's unit of work commits the change together with its audit row.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from accord.errors import N_, Conflict, InvalidInput, Message, NotFound
from accord.identity import audit
from accord.identity.credentials import hash_password
from accord.identity.models import MemberRole, Membership, Organization, TokenScope, User
from accord.identity.policy import Action, Actor, authorize
from accord.identity.schemas import OrgCreate, OrgUpdate, UserCreate


def actor_for(
    db: Session,
    user: User,
    *,
    ip_address: str | None = None,
    token_scope: TokenScope | None = None,
) -> Actor:
    """The policy's view of ``user``: operator flag and role in each organization."""
    roles = dict(
        db.execute(
            select(Membership.organization_id, Membership.role).where(Membership.user_id == user.id)
        ).all()
    )
    return Actor(
        user_id=user.id,
        username=user.username,
        is_operator=user.is_operator,
        roles=roles,
        token_scope=token_scope,
        ip_address=ip_address,
    )


# -- users ---------------------------------------------------------------------------------


def create_user(db: Session, *, data: UserCreate, actor: Actor, operator: bool = False) -> User:
    """Create an account. Only operators create accounts (or the bootstrap link, once)."""
    authorize(actor, Action.HUB_OPERATE)
    return insert_user(db, data=data, actor=actor, operator=operator, action="user.create")


def insert_user(
    db: Session, *, data: UserCreate, actor: Actor, operator: bool, action: str
) -> User:
    """Store a new account (the caller has authorized it) and audit it as ``action``."""
    ensure_free_user(db, data.username, data.email)
    user = User(
        username=data.username,
        email=data.email,
        display_name=data.display_name,
        password_hash=hash_password(data.password),
        is_operator=operator,
    )
    db.add(user)
    db.flush()
    audit.record(
        db, actor=actor, action=action, target=user.username, details={"operator": operator}
    )
    return user


def ensure_free_user(db: Session, username: str, email: str) -> None:
    """Raise :class:`Conflict` naming the field if the username or email is taken."""
    if db.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise Conflict(
            Message(N_("username %(name)s is taken"), name=repr(username)), field="username"
        )
    if db.scalar(select(User.id).where(User.email == email)):
        raise Conflict(N_("an account with this email exists"), field="email")


def get_user(db: Session, username: str) -> User:
    """The account named ``username``."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(Message(N_("no user %(username)r"), username=username), field="username")
    return user


def list_users(db: Session, *, actor: Actor) -> Sequence[User]:
    """Every account, for operators."""
    authorize(actor, Action.HUB_READ)
    return db.scalars(select(User).order_by(User.username)).all()


def set_operator(db: Session, *, username: str, operator: bool, actor: Actor) -> User:
    """Grant or withdraw the operator role."""
    authorize(actor, Action.HUB_OPERATE)
    user = get_user(db, username)
    if user.is_operator and not operator and _operator_count(db) <= 1:
        raise Conflict(N_("the hub must keep at least one operator"), field="username")
    user.is_operator = operator
    audit.record(
        db, actor=actor, action="user.role", target=username, details={"operator": operator}
    )
    return user


def set_active(db: Session, *, username: str, active: bool, actor: Actor) -> User:
    """Disable or re-enable an account; a disabled account cannot sign in or use tokens."""
    authorize(actor, Action.HUB_OPERATE)
    user = get_user(db, username)
    if user.is_operator and not active and _operator_count(db) <= 1:
        raise Conflict(N_("the hub must keep at least one operator"), field="username")
    user.is_active = active
    audit.record(db, actor=actor, action="user.active", target=username, details={"active": active})
    return user


def _operator_count(db: Session) -> int:
    return (
        db.scalar(
            select(func.count(User.id)).where(User.is_operator.is_(True), User.is_active.is_(True))
        )
        or 0
    )


def operators_exist(db: Session) -> bool:
    """Whether the hub has an active operator (if not, it offers a bootstrap link)."""
    return _operator_count(db) > 0


# -- organizations -------------------------------------------------------------------------


def slugify(name: str) -> str:
    """A URL-safe identifier derived from an organization's name."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64].strip("-")
    return slug or "org"


def create_org(db: Session, *, data: OrgCreate, actor: Actor) -> Organization:
    """Create an organization. Operators only; applications create them through the registry."""
    authorize(actor, Action.HUB_OPERATE)
    return insert_org(db, data=data, actor=actor)


def insert_org(db: Session, *, data: OrgCreate, actor: Actor) -> Organization:
    """Store a new organization (the caller has authorized it) and audit it."""
    slug = data.slug or slugify(data.name)
    if db.scalar(select(Organization.id).where(Organization.slug == slug)):
        raise Conflict(
            Message(N_("an organization with the slug %(slug)r exists"), slug=slug), field="slug"
        )
    if db.scalar(select(Organization.id).where(func.lower(Organization.name) == data.name.lower())):
        raise Conflict(
            Message(N_("an organization named %(name)r exists"), name=data.name), field="name"
        )
    org = Organization(
        slug=slug,
        name=data.name,
        kind=data.kind,
        org_type=data.org_type,
        country=data.country,
        website=str(data.website),
        security_contact=data.security_contact,
        disclosure_policy_url=_opt(data.disclosure_policy_url),
        security_txt_url=_opt(data.security_txt_url),
        description=data.description,
    )
    db.add(org)
    db.flush()
    audit.record(db, actor=actor, action="org.create", target=slug, organization_id=org.id)
    return org


def _opt(value: object | None) -> str | None:
    return None if value is None else str(value)


def get_org(db: Session, slug: str) -> Organization:
    """The organization with ``slug``."""
    org = db.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(Message(N_("no organization %(slug)r"), slug=slug), field="slug")
    return org


def list_orgs(db: Session) -> Sequence[Organization]:
    """Every organization, by name."""
    return db.scalars(select(Organization).order_by(Organization.name)).all()


def update_org(db: Session, *, org: Organization, data: OrgUpdate, actor: Actor) -> Organization:
    """Change an organization's public details."""
    authorize(actor, Action.ORG_EDIT, org_id=org.id)
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        setattr(org, key, _opt(value) if key.endswith("url") or key == "website" else value)
    audit.record(
        db,
        actor=actor,
        action="org.update",
        target=org.slug,
        organization_id=org.id,
        details={"fields": sorted(changes)},
    )
    return org


def members(db: Session, *, org: Organization, actor: Actor) -> list[tuple[User, MemberRole]]:
    """The organization's members and their roles."""
    authorize(actor, Action.ORG_PRIVATE_READ, org_id=org.id)
    rows = db.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == org.id)
        .order_by(User.username)
    ).all()
    return list(rows)


def set_member(
    db: Session, *, org: Organization, username: str, role: MemberRole, actor: Actor
) -> Membership:
    """Add ``username`` to the organization with ``role``, or change the role it has."""
    authorize(actor, Action.ORG_MEMBERS_MANAGE, org_id=org.id)
    user = get_user(db, username)
    membership = _membership(db, org=org, user=user)
    if membership is None:
        membership = Membership(user_id=user.id, organization_id=org.id, role=role)
        db.add(membership)
        action = "member.add"
    else:
        if membership.role is MemberRole.ADMIN and role is not MemberRole.ADMIN:
            _keep_an_admin(db, org)
        membership.role = role
        action = "member.role"
    db.flush()
    audit.record(
        db,
        actor=actor,
        action=action,
        target=username,
        organization_id=org.id,
        details={"role": role.value},
    )
    return membership


def remove_member(db: Session, *, org: Organization, username: str, actor: Actor) -> None:
    """Take ``username`` out of the organization."""
    authorize(actor, Action.ORG_MEMBERS_MANAGE, org_id=org.id)
    user = get_user(db, username)
    membership = _membership(db, org=org, user=user)
    if membership is None:
        raise NotFound(
            Message(
                N_("%(username)r is not a member of %(slug)r"), username=username, slug=org.slug
            ),
            field="username",
        )
    if membership.role is MemberRole.ADMIN:
        _keep_an_admin(db, org)
    db.delete(membership)
    audit.record(db, actor=actor, action="member.remove", target=username, organization_id=org.id)


def set_second_factor_rule(db: Session, *, org: Organization, require: bool, actor: Actor) -> None:
    """Require (or stop requiring) a second factor of the organization's members: from their
    next request, a member without one may do nothing but enrol (``policy.enrolment_needed``)."""
    authorize(actor, Action.ORG_MEMBERS_MANAGE, org_id=org.id)
    if org.require_second_factor == require:
        return
    org.require_second_factor = require
    audit.record(
        db,
        actor=actor,
        action="org.second_factor_rule",
        target=org.slug,
        organization_id=org.id,
        details={"require": require},
    )


def _membership(db: Session, *, org: Organization, user: User) -> Membership | None:
    return db.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.organization_id == org.id
        )
    )


def _keep_an_admin(db: Session, org: Organization) -> None:
    admins = db.scalar(
        select(func.count(Membership.id)).where(
            Membership.organization_id == org.id, Membership.role == MemberRole.ADMIN
        )
    )
    if (admins or 0) <= 1:
        raise Conflict(N_("an organization must keep at least one admin"), field="role")


def user_with_orgs(db: Session, user_id: int) -> User:
    """A user with its memberships and their organizations loaded."""
    user = db.scalar(
        select(User)
        .where(User.id == user_id)
        .options(selectinload(User.memberships).selectinload(Membership.organization))
    )
    if user is None:
        raise NotFound(N_("no such user"))
    return user


def validation_error(field: str, reason: str) -> InvalidInput:
    """An :class:`InvalidInput` for ``field``; shared by services that check input by hand."""
    return InvalidInput(f"{field}: {reason}", field=field)
