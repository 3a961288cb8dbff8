"""Getting in: sign-in with throttling, browser sessions, API tokens and the bootstrap link."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import Conflict, InvalidInput, NotFound, RateLimited, Unauthenticated
from accord.identity import audit
from accord.identity.credentials import (
    digest,
    hash_password,
    needs_rehash,
    new_secret,
    verify_password,
)
from accord.identity.models import ApiToken, BootstrapToken, TokenScope, User, WebSession
from accord.identity.policy import Action, Actor, authorize
from accord.identity.ratelimit import RateLimiter
from accord.identity.schemas import TokenCreate, UserCreate
from accord.identity.services import actor_for, insert_user, operators_exist
from accord.web.i18n import N_

TOKEN_PREFIX = "acc_"  # noqa: S105 (a prefix, not a secret)
SESSION_PREFIX = "ses_"
BOOTSTRAP_PREFIX = "boot_"


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
    """Check a password, throttled per account and per client address.

    A failure is counted in the limiter's own store (the failed request rolls back, the count
    must stay); a success clears the account's count.
    """
    window = settings.login_window_seconds
    buckets = [f"login:user:{username.lower()}", f"login:ip:{ip_address}"]
    for bucket in buckets:
        if limiter.count(bucket, window_seconds=window) >= settings.login_failures_per_window:
            raise RateLimited(N_("too many failed sign-ins; try again later"), retry_after=window)
    user = db.scalar(select(User).where(User.username == username))
    # The hash is checked even for an unknown user, so timing does not tell which names exist.
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.is_active:
        for bucket in buckets:
            limiter.hit(bucket, window_seconds=window)
        raise Unauthenticated(N_("wrong username or password"))
    limiter.reset(buckets[0])
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    actor = actor_for(db, user, ip_address=ip_address)
    audit.record(db, actor=actor, action="auth.login", target=username)
    return user


def start_session(db: Session, *, user: User, settings: Settings) -> str:
    """Open a browser session for ``user``; returns the cookie value (shown only here)."""
    secret = new_secret(SESSION_PREFIX)
    db.add(
        WebSession(
            secret_hash=digest(secret),
            user_id=user.id,
            expires_at=utcnow() + timedelta(hours=settings.session_hours),
        )
    )
    return secret


def session_user(db: Session, secret: str) -> User | None:
    """The active user behind a session cookie, or None if it is unknown or expired."""
    row = db.scalar(select(WebSession).where(WebSession.secret_hash == digest(secret)))
    if row is None or row.expires_at <= utcnow() or not row.user.is_active:
        return None
    return row.user


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
            f"expires_in_days: at most {settings.token_max_days}", field="expires_in_days"
        )
    # A token never carries more than the token that created it.
    if actor.token_scope is not None and _rank(data.scope) > _rank(actor.token_scope):
        raise InvalidInput("scope: higher than the token in use", field="scope")
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
        raise NotFound(f"no token {token_id}", field="token_id")
    if token.revoked_at is not None:
        raise Conflict("this token is already revoked", field="token_id")
    token.revoked_at = utcnow()
    audit.record(db, actor=actor, action="token.revoke", target=f"{token.user.username}/{token.id}")
    return token


def token_user(db: Session, secret: str) -> tuple[User, ApiToken] | None:
    """The user and token behind a bearer secret, or None if unknown, expired or revoked."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.scalar(
        select(ApiToken)
        .where(ApiToken.secret_hash == digest(secret))
        .options(joinedload(ApiToken.user))  # one query, not two: every API request comes here
    )
    now = utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if not token.user.is_active:
        return None
    return token.user, token


def touch_token(token: ApiToken) -> None:
    """Note that ``token`` was just used, at most once a minute to spare writes."""
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now


# -- bootstrap -----------------------------------------------------------------------------


def issue_bootstrap(db: Session, *, settings: Settings) -> str:
    """A one-time secret that lets the first operator create an account.

    Issued only while the hub has no operator; any earlier unused link stops working.
    """
    if operators_exist(db):
        raise Conflict("the hub already has an operator")
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
        raise Unauthenticated("this bootstrap link is invalid, used or expired")
    row.used_at = utcnow()
    return insert_user(
        db,
        data=data,
        actor=Actor(username="bootstrap", ip_address=ip_address),
        operator=True,
        action="user.bootstrap",
    )
