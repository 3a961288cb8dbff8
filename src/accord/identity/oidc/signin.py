"""Signing in through a provider: the way out (state, nonce, PKCE) and the way back.

The way back trusts nothing it did not check: the ``state`` must name a sign-in this hub
started in this browser (its cookie) and not yet used, the code is exchanged with the PKCE
verifier, and the ID token passes every check of ``protocol.verify_id_token``. Each
refusal is an audit row, committed even though the sign-in fails (the page shows the
refusal; nothing else of the request is kept but the spent state).
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any, NoReturn

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import AccordError, NotFound
from accord.identity import audit, sealing
from accord.identity.credentials import digest, hash_password
from accord.identity.models import MemberRole, Membership, User
from accord.identity.oidc import protocol, revocation
from accord.identity.oidc.models import OidcLink, OidcLogin, OidcProvider
from accord.identity.oidc.protocol import Identity, Refusal
from accord.identity.policy import Actor, may_link_account
from accord.web.i18n import N_

CALLBACK_PATH = "/login/sso/callback"
# Long enough for a person to type a password and answer a second factor at the provider.
LOGIN_MINUTES = 10


def redirect_uri(settings: Settings) -> str:
    """The callback address a provider must have registered for the hub."""
    return settings.public_url + CALLBACK_PATH


def start(
    db: Session, *, provider: OidcProvider, next_path: str, settings: Settings
) -> tuple[str, str]:
    """Begin a sign-in; returns the provider's address for the browser and the ``state``,
    which the caller also puts in a cookie of this browser."""
    metadata = protocol.discover(settings, provider.issuer)
    # The provider was read before discovery, outside this transaction: one removed meanwhile
    # is gone (its pending sign-in would break the foreign key at commit, a 500). On
    # PostgreSQL the key-share lock keeps it until this sign-in is stored.
    if db.get(OidcProvider, provider.id, with_for_update={"key_share": True}) is None:
        gone = N_("this organization no longer signs people in here; sign in with your password")
        raise NotFound(gone)
    # Sign-ins never finished are worthless once expired: trimmed as new ones start.
    db.execute(delete(OidcLogin).where(OidcLogin.expires_at <= utcnow()))
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier, challenge = protocol.new_pkce()
    db.add(
        OidcLogin(
            state_hash=digest(state),
            provider_id=provider.id,
            nonce=nonce,
            code_verifier=verifier,
            next_path=next_path,
            expires_at=utcnow() + timedelta(minutes=LOGIN_MINUTES),
        )
    )
    url = protocol.authorization_url(
        metadata,
        client_id=provider.client_id,
        redirect_uri=redirect_uri(settings),
        state=state,
        nonce=nonce,
        challenge=challenge,
    )
    return url, state


def finish(
    db: Session,
    *,
    state: str,
    browser_state: str | None,
    code: str | None,
    error: str | None,
    issuer: str | None = None,
    settings: Settings,
    ip_address: str | None,
) -> tuple[User, str]:
    """The way back: the signed-in user and where to send them, or :class:`Refusal`.

    Commits ``db``'s transaction (the spent state, what the caller did before) before it asks
    the provider, and writes the outcome in the next one."""
    anonymous = Actor(username="anonymous", ip_address=ip_address)
    pending = db.scalar(select(OidcLogin).where(OidcLogin.state_hash == digest(state)))
    if pending is None or pending.expires_at <= utcnow():
        refuse(db, anonymous, None, reason="state", detail="unknown, used or expired state")
    # Used once, whatever comes next: on PostgreSQL another callback with this state may
    # have read it too; only the one whose delete takes the row goes on to the provider.
    spent = db.execute(
        delete(OidcLogin).where(OidcLogin.id == pending.id),
        execution_options={"synchronize_session": False},
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        refuse(db, anonymous, None, reason="state", detail="state used by another callback")
    provider = db.get(OidcProvider, pending.provider_id)
    assert provider is not None
    if browser_state is None or not secrets.compare_digest(browser_state, state):
        refuse(db, anonymous, provider, reason="state", detail="state not from this browser")
    if issuer is not None and issuer != provider.issuer:
        # RFC 9207: an answer naming another issuer is a mix-up attack's.
        refuse(
            db,
            anonymous,
            provider,
            reason="issuer",
            detail=N_("the answer comes from another issuer"),
        )
    if error or not code:
        refuse(db, anonymous, provider, reason=_code(error or "no_code"), detail="provider refused")
    # The state is spent for good before the provider is asked, and no transaction stays open
    # while it answers (three requests; on SQLite one would hold the hub's one writer).
    provider_id, asked = provider.id, (provider.issuer, provider.client_id)
    db.commit()
    try:
        claims, refresh_token = _verified_claims(
            db, provider, pending, code=code, settings=settings
        )
    except Refusal as exc:
        refuse(db, anonymous, provider, reason=exc.reason, detail=exc.message)
    # Read again: an operator may have removed or changed the provider meanwhile. Held (on
    # PostgreSQL) until this sign-in's link is stored: a change of issuer waits, then
    # removes it with the others.
    current = db.get(
        OidcProvider, provider_id, populate_existing=True, with_for_update={"read": True}
    )
    if current is None:
        refuse(db, anonymous, None, reason="state", detail="the provider was removed meanwhile")
    if (current.issuer, current.client_id) != asked:
        # The claims are the former issuer's: its subjects are not the new one's people.
        refuse(db, anonymous, current, reason="state", detail="the provider changed meanwhile")
    provider = current
    try:
        person = protocol.identity(claims, allowed_domains=provider.allowed_domains)
    except Refusal as exc:
        # The provider vouched for the person but no longer for this hub: the membership its
        # word gave follows its answer.
        revocation.withdraw(db, provider=provider, subject=claims["sub"], reason=exc.reason)
        refuse(db, anonymous, provider, reason=exc.reason, detail=exc.message)
    user = _user_for(db, provider, person, anonymous=anonymous)
    if not user.is_active:
        # An operator disabled the account: no provider's word opens it again.
        refuse(db, anonymous, provider, reason="disabled", detail=N_("this account is disabled"))
    link = _link(db, provider, person.subject, user)
    if refresh_token is not None:
        link.refresh_token_sealed = sealing.seal(settings, refresh_token)
    link.last_sign_in_at = utcnow()
    _follow_membership(db, provider, user, link, ip_address=ip_address)
    audit.record(
        db,
        actor=Actor(user_id=user.id, username=user.username, ip_address=ip_address),
        action="oidc.login",
        target=user.username,
        organization_id=provider.organization_id,
        details={"issuer": provider.issuer},
    )
    return user, pending.next_path


def _code(text: str) -> str:
    return re.sub(r"[^a-z0-9_]", "", text.lower())[:64] or "error"


def refuse(
    db: Session, actor: Actor, provider: OidcProvider | None, *, reason: str, detail: str
) -> NoReturn:
    """Record the refusal and raise it; the message the person sees names the reason."""
    audit.record(
        db,
        actor=actor,
        action="oidc.refused",
        target=provider.issuer if provider else "",
        organization_id=provider.organization_id if provider else None,
        details={"reason": reason, "detail": detail[:200]},
    )
    if reason == "state":
        raise Refusal(
            N_("this sign-in was not started here, or is over; start again"), reason=reason
        )
    if reason in ("access_denied", "login_required", "no_code") or "refused" in detail:
        raise Refusal(N_("the identity provider refused the sign-in"), reason=reason)
    raise Refusal(detail, reason=reason)


def _verified_claims(
    db: Session, provider: OidcProvider, pending: OidcLogin, *, code: str, settings: Settings
) -> tuple[dict[str, Any], str | None]:
    secret = sealing.unseal(settings, provider.client_secret_sealed)
    try:
        metadata = protocol.discover(settings, provider.issuer)
        answer = protocol.exchange_code(
            settings,
            metadata,
            client_id=provider.client_id,
            client_secret=secret,
            code=code,
            verifier=pending.code_verifier,
            redirect_uri=redirect_uri(settings),
        )
        jwks = protocol.fetch_jwks(settings, metadata)
    except Refusal:
        raise
    except AccordError as exc:
        raise Refusal(
            N_("the identity provider could not be reached"), reason="unreachable"
        ) from exc
    token = answer.get("id_token")
    if not isinstance(token, str):
        raise Refusal(N_("the identity provider sent no ID token"), reason="no_id_token")
    claims = protocol.verify_id_token(
        token, jwks=jwks, issuer=provider.issuer, client_id=provider.client_id, nonce=pending.nonce
    )
    refresh_token = answer.get("refresh_token")
    return claims, refresh_token if isinstance(refresh_token, str) else None


def _user_for(db: Session, provider: OidcProvider, person: Identity, *, anonymous: Actor) -> User:
    link = db.scalar(
        select(OidcLink).where(
            OidcLink.provider_id == provider.id, OidcLink.subject == person.subject
        )
    )
    # A link is the provider's word about one account, judged as a first sign-in is: an
    # organization's provider signs in its members alone and never an operator, whatever it
    # linked before (the account may since have become an operator or left).
    user = link.user if link is not None else None
    if user is None:
        user = db.scalar(select(User).where(User.email == person.email))
        if user is None:
            return _new_user(db, provider, person)
    # Held (on PostgreSQL) until this sign-in is stored: an account made an operator, or a
    # membership removed, meanwhile waits for it, rather than being judged before and then
    # undone (``_follow_membership`` gives a membership it finds missing).
    db.refresh(user, with_for_update={"read": True})
    org_ids = frozenset(
        db.scalars(
            select(Membership.organization_id)
            .where(Membership.user_id == user.id)
            .with_for_update(read=True)
        )
    )
    if not may_link_account(
        provider_org_id=provider.organization_id,
        user_is_operator=user.is_operator,
        user_org_ids=org_ids,
    ):
        refuse(
            db,
            anonymous,
            provider,
            reason="existing_account",
            detail=N_("an account with this address exists; sign in with its password"),
        )
    return user


def _new_user(db: Session, provider: OidcProvider, person: Identity) -> User:
    base = re.sub(r"[^A-Za-z0-9_.-]", "", person.email.split("@")[0])[:50] or "user"
    base = base if len(base) >= 3 else f"{base}-sso"
    username, n = base, 1
    while db.scalar(select(User.id).where(User.username == username)) is not None:
        n += 1
        username = f"{base}-{n}"
    # No password anyone knows: the account signs in through its provider alone.
    user = User(
        username=username,
        email=person.email,
        password_hash=hash_password(secrets.token_urlsafe(32)),
    )
    db.add(user)
    db.flush()
    audit.record(
        db,
        actor=Actor(username=f"oidc:{provider.issuer}"[:200]),
        action="user.create.oidc",
        target=username,
        organization_id=provider.organization_id,
        details={"issuer": provider.issuer},
    )
    return user


def _link(db: Session, provider: OidcProvider, subject: str, user: User) -> OidcLink:
    link = db.scalar(
        select(OidcLink).where(OidcLink.provider_id == provider.id, OidcLink.subject == subject)
    )
    if link is None:
        link = OidcLink(provider_id=provider.id, subject=subject, user_id=user.id)
        db.add(link)
    return link


def _follow_membership(
    db: Session, provider: OidcProvider, user: User, link: OidcLink, *, ip_address: str | None
) -> None:
    # The provider vouched for the person: they belong to its organization, as a member
    # unless its admins gave them another role.
    if provider.organization_id is None:
        return
    membership = db.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.organization_id == provider.organization_id
        )
    )
    if membership is not None:
        return
    db.add(
        Membership(
            user_id=user.id, organization_id=provider.organization_id, role=MemberRole.MEMBER
        )
    )
    link.granted_membership = True
    audit.record(
        db,
        actor=Actor(user_id=user.id, username=user.username, ip_address=ip_address),
        action="oidc.member.join",
        target=user.username,
        organization_id=provider.organization_id,
        details={"role": MemberRole.MEMBER.value},
    )
