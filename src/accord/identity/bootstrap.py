"""The bootstrap link: a one-time secret that lets the first operator create an account."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import Conflict, Unauthenticated
from accord.identity.credentials import digest, new_secret
from accord.identity.models import BootstrapToken, User
from accord.identity.policy import Actor
from accord.identity.schemas import UserCreate
from accord.identity.services import insert_user, operators_exist
from accord.web.i18n import N_

BOOTSTRAP_PREFIX = "boot_"


def issue_bootstrap(db: Session, *, settings: Settings) -> str:
    """A one-time secret that lets the first operator create an account.

    Issued only while the hub has no operator; any earlier unused link stops working.
    """
    if operators_exist(db):
        raise Conflict(N_("the hub already has an operator"))
    now = utcnow()
    db.execute(update(BootstrapToken).where(BootstrapToken.used_at.is_(None)).values(used_at=now))
    secret = new_secret(BOOTSTRAP_PREFIX)
    db.add(
        BootstrapToken(
            secret_hash=digest(secret),
            expires_at=now + timedelta(minutes=settings.bootstrap_minutes),
        )
    )
    return secret


def bootstrap_valid(db: Session, secret: str) -> bool:
    """Whether ``secret`` is an unused, unexpired bootstrap link."""
    row = db.scalar(select(BootstrapToken).where(BootstrapToken.secret_hash == digest(secret)))
    return row is not None and row.used_at is None and row.expires_at > utcnow()


def redeem_bootstrap(db: Session, *, secret: str, data: UserCreate, ip_address: str | None) -> User:
    """Create the first operator with a valid bootstrap link, which is then spent."""
    row = db.scalar(
        select(BootstrapToken).where(BootstrapToken.secret_hash == digest(secret)).with_for_update()
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise Unauthenticated(N_("this bootstrap link is invalid, used or expired"))
    row.used_at = utcnow()
    return insert_user(
        db,
        data=data,
        actor=Actor(username="bootstrap", ip_address=ip_address),
        operator=True,
        action="user.bootstrap",
    )
