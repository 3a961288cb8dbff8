"""The first admin of an approved organization, and the one-time link to set its password.

The hub never invents a password anyone could know. The account is created with the hash of
a random secret that is thrown away at once, so nobody can sign in with it; the applicant
chooses a password through a one-time link. The link's secret is 256 bits, stored only as
its SHA-256, shown once to the approving operator, and expires after a week.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, InvalidInput, Message, Unauthenticated
from accord.identity import audit, sessions
from accord.identity.credentials import digest, hash_password, new_secret
from accord.identity.models import MemberRole, Organization, User
from accord.identity.passwords import personal_problem
from accord.identity.policy import Actor
from accord.identity.schemas import UserCreate
from accord.identity.services import create_user, set_member
from accord.registry.models import AccountSetupLink

SETUP_PREFIX = "setup_"
SETUP_PATH = "/join/set-password"
SETUP_LINK_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class FirstAdmin:
    """The admin an approval gave the organization; ``setup_secret`` only if newly created."""

    username: str
    created: bool
    setup_secret: str | None = None
    expires_at: datetime | None = None

    def setup_url(self, settings: Settings) -> str | None:
        """The one-time link to give the applicant, or None for an existing account."""
        if self.setup_secret is None:
            return None
        return f"{settings.public_url}{SETUP_PATH}?token={self.setup_secret}"


def first_admin(
    db: Session,
    *,
    org: Organization,
    email: str,
    display_name: str,
    username: str | None,
    actor: Actor,
    settings: Settings,
) -> FirstAdmin:
    """Make the applicant the organization's admin: its existing account, or a new one."""
    existing = db.scalar(select(User).where(User.email == email))
    if existing is not None:
        set_member(db, org=org, username=existing.username, role=MemberRole.ADMIN, actor=actor)
        return FirstAdmin(username=existing.username, created=False)
    name = username or _free_username(db, email)
    unusable = _unusable_password(name, email)
    user = create_user(
        db,
        data=UserCreate(username=name, email=email, password=unusable, display_name=display_name),
        actor=actor,
    )
    set_member(db, org=org, username=user.username, role=MemberRole.ADMIN, actor=actor)
    secret = new_secret(SETUP_PREFIX)
    expires_at = utcnow() + SETUP_LINK_LIFETIME
    db.add(AccountSetupLink(user_id=user.id, secret_hash=digest(secret), expires_at=expires_at))
    return FirstAdmin(username=name, created=True, setup_secret=secret, expires_at=expires_at)


def _unusable_password(username: str, email: str) -> str:
    """A random password, hashed and forgotten, so that no one signs in before the setup
    link sets one. It passes the rules a chosen password must (``identity/passwords.py``):
    a random one may happen to contain a short username ("ada" in 43 random characters,
    about one approval in a thousand), which the rules refuse; draw again then."""
    taken = {username.lower(), email.lower(), email.split("@")[0].lower()}
    while True:
        candidate = new_secret("unusable_")
        if not any(part and part in candidate.lower() for part in taken):
            return candidate


def _free_username(db: Session, email: str) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]", "", email.split("@")[0])[:56].strip(".-") or "admin"
    base = base if len(base) >= 3 else f"{base}-admin"
    candidate, n = base, 1
    while db.scalar(select(User.id).where(func.lower(User.username) == candidate.lower())):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def setup_link_user(db: Session, secret: str) -> User | None:
    """The account a valid (unused, unexpired) set-up link is for, else None."""
    row = db.scalar(select(AccountSetupLink).where(AccountSetupLink.secret_hash == digest(secret)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row.user


def redeem_setup_link(db: Session, *, secret: str, password: str, ip_address: str | None) -> User:
    """Set the account's password with a valid link, which is then spent."""
    row = db.scalar(
        select(AccountSetupLink)
        .where(AccountSetupLink.secret_hash == digest(secret))
        .with_for_update()
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise Unauthenticated(N_("this set-up link is invalid, used or expired"), field="token")
    user = row.user
    problem = personal_problem(password, username=user.username, email=user.email)
    if problem is not None:
        raise InvalidInput(Message(N_("password: %(problem)s"), problem=problem), field="password")
    row.used_at = utcnow()
    user.password_hash = hash_password(password)
    # A new password ends every browser signed in with the old one.
    sessions.end_others(db, user_id=user.id, keep=None)
    audit.record(
        db,
        actor=Actor(user_id=user.id, username=user.username, ip_address=ip_address),
        action="user.password_set",
        target=user.username,
    )
    return user
