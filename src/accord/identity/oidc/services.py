"""Registering a provider, finding the one for a person, the password rule."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, Conflict, InvalidInput, Message
from accord.identity import audit, sealing
from accord.identity.models import Membership, Organization, User
from accord.identity.oidc import handlers, protocol
from accord.identity.oidc.models import HUB_SCOPE, OidcLink, OidcProvider
from accord.identity.oidc.schemas import ProviderForm
from accord.identity.policy import Action, Actor, authorize, password_sign_in_allowed


def _scope(org: Organization | None) -> str:
    return HUB_SCOPE if org is None else f"org:{org.id}"


def provider_of(db: Session, org: Organization | None) -> OidcProvider | None:
    """The organization's provider (``org`` None: the hub-wide one), if registered."""
    return db.scalar(select(OidcProvider).where(OidcProvider.scope == _scope(org)))


def save_provider(
    db: Session,
    *,
    org: Organization | None,
    data: ProviderForm,
    actor: Actor,
    settings: Settings,
) -> OidcProvider:
    """Register or change ``org``'s provider (None: the hub's), once its discovery document
    answers for the issuer given. The client secret is sealed and never logged.

    Commits ``db``'s transaction (what was read, what the caller did before) before it asks
    the provider, and writes the provider in the next one."""
    if org is None:
        authorize(actor, Action.HUB_OPERATE)
    else:
        authorize(actor, Action.ORG_SSO_MANAGE, org_id=org.id)
    if data.issuer.startswith("http://") and not settings.outbound_allow_private_addresses:
        # Plain HTTP only for a provider inside the hub's own network (tests, closed hubs).
        raise InvalidInput(N_("issuer: an https:// address is needed"), field="issuer")
    org_id = org.id if org else None
    _checked(db, org, data)
    # No transaction open while the provider answers (on SQLite it would hold the hub's one
    # writer that long): what was read is committed, and read again once it answered.
    db.commit()
    protocol.discover(settings, data.issuer)
    db.expire_all()  # what the first transaction saw may have changed since
    existing = _checked(db, org, data)
    if existing is not None:
        # Locked before its links are read: a sign-in coming back holds the row until its
        # link is stored (``signin.finish``), and one still to read it sees the new issuer.
        db.refresh(existing, with_for_update=True)
    provider = existing or OidcProvider(scope=_scope(org), organization_id=org_id)
    unlinked = 0
    if existing is not None and existing.issuer != data.issuer:
        # A subject is unique at its issuer only: the links the old one made name no one at
        # the new one, whose subjects could equal them and sign in their accounts. People sign
        # in again through the new issuer, and are linked as at a first sign-in: a member by
        # the address (policy.may_link_account), so memberships stay for that move; those the
        # new issuer does not know an admin removes from the members page.
        removed = db.execute(delete(OidcLink).where(OidcLink.provider_id == existing.id))
        unlinked = int(getattr(removed, "rowcount", 0) or 0)
    provider.issuer = data.issuer
    provider.client_id = data.client_id
    if data.client_secret:
        provider.client_secret_sealed = sealing.seal(settings, data.client_secret)
    provider.allowed_domains = data.domains
    provider.passwords_allowed = data.passwords_allowed
    provider.updated_at = utcnow()
    if existing is None:
        db.add(provider)
    db.flush()
    # The scheduled check that ends the access of people the provider no longer knows.
    handlers.schedule(db, settings=settings)
    audit.record(
        db,
        actor=actor,
        action="oidc.provider.register" if existing is None else "oidc.provider.change",
        target=org.slug if org else HUB_SCOPE,
        organization_id=org.id if org else None,
        details={
            "issuer": data.issuer,
            "client_id": data.client_id,
            "allowed_domains": data.domains,
            "passwords_allowed": data.passwords_allowed,
            "secret_changed": bool(data.client_secret),
            "links_removed": unlinked,
        },
    )
    return provider


def _checked(db: Session, org: Organization | None, data: ProviderForm) -> OidcProvider | None:
    """The provider registered for ``org`` if any, once ``data`` may replace it."""
    existing = provider_of(db, org)
    if existing is None and not data.client_secret:
        raise InvalidInput(
            N_("client_secret: the provider gave one; enter it"), field="client_secret"
        )
    _ensure_domains_free(db, data.domains, scope=_scope(org))
    return existing


def _ensure_domains_free(db: Session, domains: list[str], *, scope: str) -> None:
    # Two organizations vouching for one domain would make "sign in with your address"
    # ambiguous, and let one claim the other's people.
    for other in db.scalars(select(OidcProvider).where(OidcProvider.scope != scope)):
        if other.scope == HUB_SCOPE:
            continue
        taken = sorted(set(domains) & set(other.allowed_domains))
        if taken:
            raise Conflict(
                Message(
                    N_("allowed_domains: %(taken)s is already another organization's"),
                    taken=taken[0],
                ),
                field="allowed_domains",
            )


def choices(db: Session) -> Sequence[OidcProvider]:
    """Every registered provider, the organizations' by name, then the hub's."""
    rows = db.scalars(select(OidcProvider).outerjoin(OidcProvider.organization)).all()
    return sorted(
        rows, key=lambda p: (p.organization is None, p.organization and p.organization.name)
    )


_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.:\[\]-]+$")


def form_origins(providers: Sequence[OidcProvider]) -> list[str]:
    """The origins the sign-in page's forms may end at: each provider's issuer's (where
    its authorization endpoint is, at every provider the hub has met)."""
    found = set()
    for provider in providers:
        parts = urlsplit(provider.issuer)
        origin = f"{parts.scheme}://{parts.netloc}"
        if _ORIGIN.match(origin):
            found.add(origin)
    return sorted(found)


def for_email(db: Session, email: str) -> OidcProvider | None:
    """The provider that vouches for ``email``'s domain: an organization's, else the hub's."""
    domain = email.rsplit("@", 1)[-1].strip().lower()
    found = [p for p in choices(db) if domain in p.allowed_domains]
    return found[0] if found else None


def password_allowed(db: Session, user: User) -> bool:
    """Whether ``user`` may sign in with a password (policy.password_sign_in_allowed)."""
    rule = (
        select(OidcProvider.passwords_allowed)
        .join(Membership, Membership.organization_id == OidcProvider.organization_id)
        .where(Membership.user_id == user.id)
    )
    return password_sign_in_allowed(
        is_operator=user.is_operator, passwords_allowed=list(db.scalars(rule))
    )
