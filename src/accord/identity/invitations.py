"""Organizations that run themselves: invitations by a one-time link, roles, leaving.

An organization's admin invites a colleague by email address with a role. The invitation is
a 256-bit secret kept only as its SHA-256: good once, for ``INVITATION_LIFETIME``, unless an
admin revokes it first, and only for the address it was sent to (the invitee creates an
account with that address, or signs in to the account that has it). With mail configured the
link goes by email (``notifications.notify``); without, the admin's page shows it once to
copy. A new invitation to the same address voids the earlier ones still open.

Every change is authorized by ``identity/policy/`` and leaves an audit row. An organization
never loses its last admin: not by a change of role, a removal, or its admin leaving.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import Conflict, Forbidden, Message, NotFound
from accord.identity import audit
from accord.identity.credentials import digest, new_secret
from accord.identity.models import Invitation, MemberRole, Membership, Organization, User
from accord.identity.policy import Action, Actor, authorize
from accord.identity.schemas import UserCreate
from accord.identity.services import insert_user
from accord.texts import Value, text
from accord.web.i18n import N_
from accord.web.labels import LABELS

SECRET_PREFIX = "inv_"  # noqa: S105 (a prefix, not a secret)
ACCEPT_PATH = "/invitations/accept"
INVITATION_LIFETIME = timedelta(days=7)


class LinkState(enum.Enum):
    """What a link is worth, as the person holding it is told."""

    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


# Plain words for each state but the valid one (shown on the page that opens the link).
STATE_MESSAGES = {
    LinkState.UNKNOWN: N_("This invitation link is not one this hub gave out. Check the link."),
    LinkState.EXPIRED: N_(
        "This invitation has expired. Ask the organization's admin for a new one."
    ),
    LinkState.USED: N_("This invitation has already been used. Sign in to your account."),
    LinkState.REVOKED: N_(
        "This invitation was withdrawn by the organization. Ask its admin for a new one."
    ),
}


@dataclass(frozen=True)
class Issued:
    """A new invitation and its link; the link exists nowhere else once this is dropped."""

    invitation: Invitation
    secret: str
    emailed: bool

    def path(self) -> str:
        """The link's path on the hub."""
        return f"{ACCEPT_PATH}?token={self.secret}"


def state_of(row: Invitation | None, *, now: datetime | None = None) -> LinkState:
    """The state of an invitation (None: no such link)."""
    if row is None:
        return LinkState.UNKNOWN
    if row.revoked_at is not None:
        return LinkState.REVOKED
    if row.used_at is not None:
        return LinkState.USED
    if row.expires_at <= (now or utcnow()):
        return LinkState.EXPIRED
    return LinkState.VALID


def find(db: Session, secret: str, *, lock: bool = False) -> Invitation | None:
    """The invitation a link's secret names, or None."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    query = select(Invitation).where(Invitation.secret_hash == digest(secret))
    if lock:
        query = query.with_for_update()
    return db.scalar(query)


def invite(
    db: Session,
    *,
    org: Organization,
    email: str,
    role: MemberRole,
    actor: Actor,
    settings: Settings,
    language: str | None = None,
) -> Issued:
    """Invite ``email`` to ``org`` as ``role``; mail the link if mail is configured, in the
    invitee's language if they have an account, else ``language`` (the inviter's page's).

    ``email`` has been checked (``schemas.InvitationCreate``). An address that is already a
    member's is refused, naming the field.
    """
    authorize(actor, Action.ORG_MEMBERS_MANAGE, org_id=org.id)
    member = db.scalar(
        select(User.username)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == org.id, func.lower(User.email) == email.lower())
    )
    if member is not None:
        raise Conflict(
            Message(
                N_("email: %(email)s is already a member of this organization (%(member)s)"),
                email=email,
                member=member,
            ),
            field="email",
        )
    now = utcnow()
    # One open link per address: a new one voids the ones before it.
    db.execute(
        update(Invitation)
        .where(
            Invitation.organization_id == org.id,
            func.lower(Invitation.email) == email.lower(),
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    secret = new_secret(SECRET_PREFIX)
    row = Invitation(
        organization_id=org.id,
        email=email,
        role=role,
        secret_hash=digest(secret),
        invited_by_id=actor.user_id,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="member.invite",
        target=email,
        organization_id=org.id,
        details={"role": role.value, "invitation": row.id},
    )
    issued = Issued(invitation=row, secret=secret, emailed=False)
    # Imported here: notifications depends on identity, not the other way round.
    from accord.notifications import mail
    from accord.notifications.services import Notice, notify

    if mail.configured(settings):
        inviter: Value = actor.username or text(N_("An admin"))
        notify(
            db,
            settings=settings,
            notice=Notice(
                kind="member.invited",
                subject=text(
                    N_("You are invited to join %(organization)s on the Accord hub"),
                    organization=org.name,
                ),
                text=text(
                    N_(
                        "%(inviter)s invites you to join %(organization)s as %(role)s. "
                        "The link is good once, until %(until)s."
                    ),
                    inviter=inviter,
                    organization=org.name,
                    role=text(LABELS.get(role.value, role.value)),
                    until=row.expires_at,
                ),
                link=issued.path(),
                emails=(email,),
                language=language,
            ),
        )
        issued = Issued(invitation=row, secret=secret, emailed=True)
    return issued


def pending(db: Session, *, org: Organization, actor: Actor) -> Sequence[Invitation]:
    """The organization's invitations still open (neither used, revoked nor expired)."""
    authorize(actor, Action.ORG_MEMBERS_MANAGE, org_id=org.id)
    return db.scalars(
        select(Invitation)
        .where(
            Invitation.organization_id == org.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ).all()


def revoke(db: Session, *, org: Organization, invitation_id: int, actor: Actor) -> Invitation:
    """Withdraw an open invitation: its link stops working."""
    authorize(actor, Action.ORG_MEMBERS_MANAGE, org_id=org.id)
    row = db.get(Invitation, invitation_id)
    if row is None or row.organization_id != org.id:
        raise NotFound(N_("no such invitation"), field="invitation")
    if state_of(row) is not LinkState.VALID:
        raise Conflict(N_("this invitation is no longer open"), field="invitation")
    row.revoked_at = utcnow()
    audit.record(
        db,
        actor=actor,
        action="member.invite_revoke",
        target=row.email,
        organization_id=org.id,
        details={"invitation": row.id},
    )
    return row


def _open(db: Session, secret: str) -> Invitation:
    row = find(db, secret, lock=True)
    state = state_of(row)
    if row is None or state is not LinkState.VALID:
        raise Forbidden(STATE_MESSAGES[state], field="token")
    return row


def _join(db: Session, *, row: Invitation, user: User, actor: Actor) -> Membership:
    existing = db.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.organization_id == row.organization_id
        )
    )
    if existing is not None:
        raise Conflict(N_("you are already a member of this organization"), field="token")
    membership = Membership(user_id=user.id, organization_id=row.organization_id, role=row.role)
    db.add(membership)
    row.used_at = utcnow()
    row.used_by_id = user.id
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="member.join",
        target=user.username,
        organization_id=row.organization_id,
        details={"role": row.role.value, "invitation": row.id},
    )
    return membership


def accept_with_new_account(
    db: Session, *, secret: str, data: UserCreate, ip_address: str | None
) -> User:
    """Spend the link: create the invitee's account (with the invited address) and join."""
    row = _open(db, secret)
    if data.email.lower() != row.email.lower():
        raise Forbidden(
            N_(
                "email: this invitation is for another address; an account made with it must use "
                "that address"
            ),
            field="email",
        )
    actor = Actor(username=data.username, ip_address=ip_address)
    user = insert_user(db, data=data, actor=actor, operator=False, action="user.create")
    actor = Actor(user_id=user.id, username=user.username, ip_address=ip_address)
    _join(db, row=row, user=user, actor=actor)
    return user


def accept_as(db: Session, *, secret: str, actor: Actor) -> Membership:
    """Spend the link for the signed-in person, if the invitation was sent to their address."""
    authorize(actor, Action.INVITATION_ACCEPT)
    if actor.user_id is None:
        raise Forbidden(N_("sign in first"), field="token")
    row = _open(db, secret)
    user = db.get(User, actor.user_id)
    if user is None or user.email.lower() != row.email.lower():
        raise Forbidden(
            N_("this invitation was sent to another address; sign in to the account that has it"),
            field="token",
        )
    return _join(db, row=row, user=user, actor=actor)


def leave(db: Session, *, org: Organization, actor: Actor) -> None:
    """Take the acting member out of ``org``; its last admin may not leave it headless."""
    authorize(actor, Action.ORG_LEAVE, org_id=org.id)
    membership = db.scalar(
        select(Membership).where(
            Membership.user_id == actor.user_id, Membership.organization_id == org.id
        )
    )
    if membership is None:
        raise NotFound(N_("you are not a member of this organization"))
    if membership.role is MemberRole.ADMIN:
        admins = db.scalar(
            select(func.count(Membership.id)).where(
                Membership.organization_id == org.id, Membership.role == MemberRole.ADMIN
            )
        )
        if (admins or 0) <= 1:
            raise Conflict(
                N_("you are this organization's last admin: make someone else admin first"),
                field="leave",
            )
    db.delete(membership)
    audit.record(
        db,
        actor=actor,
        action="member.leave",
        target=actor.label,
        organization_id=org.id,
    )
