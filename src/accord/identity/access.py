"""Getting in: sign-in with throttling, browser sessions and API tokens (the bootstrap link:
``accord.identity.bootstrap``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import Conflict, InvalidInput, Message, NotFound, RateLimited, Unauthenticated
from accord.identity import audit
from accord.identity.bootstrap import bootstrap_valid as bootstrap_valid  # for identity/pages.py
from accord.identity.bootstrap import redeem_bootstrap as redeem_bootstrap
from accord.identity.callers import TOKEN_PREFIX as TOKEN_PREFIX
from accord.identity.callers import Credential as Credential
from accord.identity.callers import mark_used as mark_used
from accord.identity.callers import session_actor as session_actor
from accord.identity.callers import token_actor as token_actor
from accord.identity.callers import use_due as use_due
from accord.identity.credentials import (
    digest,
    hash_password,
    needs_rehash,
    new_secret,
    verify_password,
)
from accord.identity.models import (
    ApiToken,
    TokenScope,
    User,
    WebSession,
)
from accord.identity.oidc.services import password_allowed
from accord.identity.policy import Action, Actor, authorize
from accord.identity.ratelimit import RateLimiter, login_throttles
from accord.identity.schemas import TokenCreate
from accord.identity.services import actor_for
from accord.web.i18n import N_

SESSION_PREFIX = "ses_"
SSO_ONLY = N_(
    "your organization signs its members in through its own identity provider: "
    "use “Sign in with your organization” below"
)


# -- sign-in -------------------------------------------------------------------------------


def login(
    db: Session,
    limiter: RateLimiter,
    *,
    username: str,
    password: str,
    ip_address: str | None,
    settings: Settings,
) -> User:
    """Check a password, throttled per (client address, account) and per client address.

    A failure is counted in the limiter's own store (the failed request rolls back, the count
    must stay); a success clears this address's count on the account. Others' failures never
    lock an account (:func:`~accord.identity.ratelimit.login_throttles`).
    """
    window = settings.login_window_seconds
    throttles = login_throttles(settings, username=username, ip_address=ip_address)
    for throttle in throttles:
        if limiter.count(throttle.bucket, window_seconds=window) >= throttle.limit:
            raise RateLimited(N_("too many failed sign-ins; try again later"), retry_after=window)
    buckets = [throttle.bucket for throttle in throttles]
    user = db.scalar(select(User).where(User.username == username))
    # The hash is checked even for an unknown user, so timing does not tell which names exist.
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.is_active:
        for bucket in buckets:
            limiter.hit(bucket, window_seconds=window)
        raise Unauthenticated(N_("wrong username or password"))
    limiter.reset(buckets[0])
    if not password_allowed(db, user):
        # A right password, from an organization that signs its people in through its own
        # provider: refused (an audit row), so that leaving the company ends access.
        actor = actor_for(db, user, ip_address=ip_address)
        audit.record(
            db,
            actor=actor,
            action="auth.login.refused",
            target=username,
            details={"reason": "sso_only"},
        )
        raise Unauthenticated(SSO_ONLY)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    actor = actor_for(db, user, ip_address=ip_address)
    audit.record(db, actor=actor, action="auth.login", target=username)
    return user


def start_session(
    db: Session,
    *,
    user: User,
    settings: Settings,
    pending: bool = False,
    factor_at: datetime | None = None,
    user_agent: str = "",
    ip_address: str | None = None,
) -> str:
    """Open a browser session for ``user``; returns the cookie value (shown only here).

    ``pending``: the password step of a sign-in whose second factor is still to come, which
    stands for nobody and lasts minutes. A full session of an operator without a second
    factor starts their grace period, if it has not started yet.
    """
    secret = new_secret(SESSION_PREFIX)
    now = utcnow()
    lasts = (
        timedelta(minutes=settings.second_factor_pending_minutes)
        if pending
        else timedelta(hours=settings.session_hours)
    )
    db.add(
        WebSession(
            secret_hash=digest(secret),
            user_id=user.id,
            expires_at=now + lasts,
            pending=pending,
            factor_at=factor_at,
            user_agent=user_agent[:300],
            ip_address=ip_address,
        )
    )
    if not pending and user.is_operator and user.second_factor_grace_until is None:
        user.second_factor_grace_until = now + timedelta(hours=settings.second_factor_grace_hours)
    return secret


def end_session(db: Session, *, secret: str, actor: Actor) -> None:
    """Sign out: the session row is deleted, so the cookie is worthless everywhere."""
    row = db.scalar(select(WebSession).where(WebSession.secret_hash == digest(secret)))
    if row is not None:
        db.delete(row)
        audit.record(db, actor=actor, action="auth.logout", target=actor.label)


# -- API tokens ----------------------------------------------------------------------------


def create_token(
    db: Session, *, user: User, data: TokenCreate, actor: Actor, settings: Settings
) -> tuple[ApiToken, str]:
    """A new API token for ``user``; returns the row and the secret, which is never stored."""
    authorize(actor, Action.OWN_TOKENS_MANAGE)
    if actor.user_id != user.id:
        authorize(actor, Action.HUB_OPERATE)
    if data.expires_in_days > settings.token_max_days:
        raise InvalidInput(
            Message(
                N_("expires_in_days: at most %(token_max_days)s"),
                token_max_days=settings.token_max_days,
            ),
            field="expires_in_days",
        )
    # A token never carries more than the token that created it.
    if actor.token_scope is not None and _rank(data.scope) > _rank(actor.token_scope):
        raise InvalidInput(N_("scope: higher than the token in use"), field="scope")
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=data.name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        secret_hash=digest(secret),
        scope=data.scope,
        expires_at=utcnow() + timedelta(days=data.expires_in_days),
    )
    db.add(token)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="token.create",
        target=f"{user.username}/{token.id}",
        details={"name": data.name, "scope": data.scope.value, "days": data.expires_in_days},
    )
    return token, secret


def _rank(scope: TokenScope) -> int:
    return list(TokenScope).index(scope)


def list_tokens(db: Session, *, user: User, actor: Actor) -> Sequence[ApiToken]:
    """``user``'s tokens, newest first."""
    authorize(actor, Action.OWN_ACCOUNT_READ)
    if actor.user_id != user.id:
        authorize(actor, Action.HUB_READ)
    return db.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).all()


def revoke_token(db: Session, *, token_id: int, actor: Actor) -> ApiToken:
    """Revoke a token; the owner or an operator may."""
    authorize(actor, Action.OWN_TOKENS_MANAGE)
    token = db.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and not actor.is_operator):
        # Someone else's token is reported as missing: its existence is not the caller's business.
        raise NotFound(Message(N_("no token %(token_id)s"), token_id=token_id), field="token_id")
    if token.revoked_at is not None:
        raise Conflict(N_("this token is already revoked"), field="token_id")
    token.revoked_at = utcnow()
    audit.record(db, actor=actor, action="token.revoke", target=f"{token.user.username}/{token.id}")
    return token
