"""Access that ends when the provider no longer vouches for a person.

Three ways in which the hub learns it: the provider's answer at a sign-in (a verified ID
token whose address is no longer allowed or verified), the scheduled check (a refresh
grant the provider refuses: it no longer knows the person), and the organization admin's
"revoke". Each removes the membership the provider's organization gave, ends the person's
browser sessions and, where the account has no other standing, its API tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import N_, AccordError, Message, NotFound
from accord.identity import audit, sealing
from accord.identity.models import ApiToken, Membership, Organization, User, WebSession
from accord.identity.oidc import protocol
from accord.identity.oidc.models import OidcLink, OidcProvider
from accord.identity.policy import SYSTEM, Action, Actor, authorize


def withdraw(db: Session, *, provider: OidcProvider, subject: str, reason: str) -> bool:
    """End the access of the person ``subject`` at ``provider``, if the hub knows them."""
    link = db.scalar(
        select(OidcLink).where(OidcLink.provider_id == provider.id, OidcLink.subject == subject)
    )
    if link is None:
        return False
    end_access(db, link=link, actor=SYSTEM, reason=reason)
    return True


def end_access(db: Session, *, link: OidcLink, actor: Actor, reason: str) -> None:
    """Remove the membership ``link``'s provider stands for; end sessions and tokens."""
    provider, user = link.provider, link.user
    org_id = provider.organization_id
    if org_id is not None:
        db.execute(
            delete(Membership).where(
                Membership.user_id == user.id, Membership.organization_id == org_id
            )
        )
    link.refresh_token_sealed = None
    others = db.scalar(select(Membership.id).where(Membership.user_id == user.id).limit(1))
    # An account with another organization or the operator role keeps its tokens (its other
    # standing is not this provider's to end); its sessions end, so the next request asks.
    db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    if others is None and not user.is_operator:
        db.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    audit.record(
        db,
        actor=actor,
        action="oidc.member.removed",
        target=user.username,
        organization_id=org_id,
        details={"issuer": provider.issuer, "reason": reason},
    )


def revoke(db: Session, *, org: Organization, username: str, actor: Actor) -> None:
    """An organization admin ends a signed-in-through-the-provider member's access now."""
    authorize(actor, Action.ORG_SSO_MANAGE, org_id=org.id)
    link = db.scalar(
        select(OidcLink)
        .join(OidcProvider, OidcProvider.id == OidcLink.provider_id)
        .join(User, User.id == OidcLink.user_id)
        .where(OidcProvider.organization_id == org.id, User.username == username)
    )
    if link is None:
        raise NotFound(
            Message(N_("no single sign-on member %(username)r"), username=username),
            field="username",
        )
    end_access(db, link=link, actor=actor, reason="revoked")


def linked_members(db: Session, *, org: Organization) -> list[OidcLink]:
    """The people the organization's provider signed in, by user name."""
    rows = db.scalars(
        select(OidcLink)
        .join(OidcProvider, OidcProvider.id == OidcLink.provider_id)
        .join(User, User.id == OidcLink.user_id)
        .where(OidcProvider.organization_id == org.id)
        .order_by(User.username)
    ).all()
    return list(rows)


@dataclass(frozen=True)
class _Asked:
    """What the check sends a provider about one person, read before it asks."""

    link_id: int
    issuer: str
    client_id: str
    client_secret_sealed: str
    refresh_token_sealed: str


def check_links(
    sessions: sessionmaker[Session], *, readers: sessionmaker[Session], settings: Settings
) -> int:
    """Ask each provider, with each person's refresh token, whether it still knows them;
    end the access of those it refuses. Returns how many lost access.

    No transaction is open while a provider answers (on SQLite one would hold the hub's one
    writer that long): the links are read first, and each answer is written in a short
    transaction of its own, on the link as it is then (:func:`_answered`).
    """
    with readers() as db:
        asked = [
            _Asked(
                link.id,
                provider.issuer,
                provider.client_id,
                provider.client_secret_sealed,
                link.refresh_token_sealed,
            )
            for link, provider in db.execute(
                select(OidcLink, OidcProvider)
                .join(OidcProvider, OidcProvider.id == OidcLink.provider_id)
                .where(OidcLink.refresh_token_sealed.is_not(None))
                .order_by(OidcLink.id)
            )
            if link.refresh_token_sealed is not None
        ]
    ended = 0
    for each in asked:
        try:
            metadata = protocol.discover(settings, each.issuer)
            answer = protocol.refresh(
                settings,
                metadata,
                client_id=each.client_id,
                client_secret=sealing.unseal(settings, each.client_secret_sealed),
                refresh_token=sealing.unseal(settings, each.refresh_token_sealed),
            )
        except AccordError:
            continue  # unreachable this time: asked again at the next check
        with unit_of_work(sessions) as db:
            ended += _answered(db, each, answer, settings=settings)
    return ended


def _answered(
    db: Session, asked: _Asked, answer: dict[str, Any] | None, *, settings: Settings
) -> int:
    """Apply the provider's answer about ``asked`` (1 when the person lost access).

    The answer is about the refresh token that was sent: a link removed, revoked or signed in
    again (a new token kept) while the provider answered is left as it is now."""
    link = db.get(OidcLink, asked.link_id, with_for_update=True)
    if link is None or link.refresh_token_sealed != asked.refresh_token_sealed:
        return 0
    if answer is None:
        end_access(db, link=link, actor=SYSTEM, reason="unknown_at_provider")
        return 1
    if isinstance(answer.get("refresh_token"), str):
        link.refresh_token_sealed = sealing.seal(settings, answer["refresh_token"])
    return 0
