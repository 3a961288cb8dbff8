"""Who a request's credential stands for: an API token or a browser session's cookie looked
up with its user and memberships in one statement, and a token's "last used" stamp (re-exported
by ``accord.identity.access``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, exists, select, update
from sqlalchemy.orm import Session

from accord import prepared
from accord.clock import utcnow
from accord.identity.access_cache import BUILT
from accord.identity.credentials import digest
from accord.identity.models import (
    ApiToken,
    MemberRole,
    Membership,
    Organization,
    SecondFactor,
    TokenScope,
    User,
    WebSession,
)
from accord.identity.policy import Actor, enrolment_needed

TOKEN_PREFIX = "acc_"  # noqa: S105 (a prefix, not a secret)


# -- the actor of a request ----------------------------------------------------------------
#
# Every API request resolves its caller, so this is one statement, not three: the credential,
# its user and the user's memberships joined (one row per membership, one with NULLs for none).
# A token's rows are kept only while no row they are read from changed (``access_cache``): a
# revoked token, a disabled account or a removed membership counts from the next request.


@dataclass(frozen=True)
class Credential:
    """An accepted credential: the actor it stands for, and its token's bookkeeping."""

    actor: Actor
    token_id: int | None = None
    last_used_at: datetime | None = None
    # The token's digest (never its secret): which token :data:`_MARKED` remembers.
    token_digest: str | None = None


def _with_roles(entity: type[ApiToken] | type[WebSession], *columns: Any) -> Select[Any]:
    has_factor = exists().where(SecondFactor.user_id == User.id, SecondFactor.confirmed.is_(True))
    return (
        select(
            User.id.label("user_id"),
            User.username,
            User.is_operator,
            Membership.organization_id,
            Membership.role,
            entity.expires_at,
            User.second_factor_grace_until,
            has_factor.label("has_factor"),
            Organization.require_second_factor,
            *columns,
        )
        .join(User, User.id == entity.user_id)
        .outerjoin(Membership, Membership.user_id == User.id)
        .outerjoin(Organization, Organization.id == Membership.organization_id)
        .where(User.is_active.is_(True), entity.secret_hash == bindparam("digest"))
    )


_TOKEN_ACTOR = _with_roles(
    ApiToken, ApiToken.id.label("token_id"), ApiToken.scope, ApiToken.last_used_at
).where(ApiToken.revoked_at.is_(None))
# A pending session (the password given, the second factor not yet) stands for nobody.
_SESSION_ACTOR = _with_roles(WebSession, WebSession.factor_at).where(WebSession.pending.is_(False))


class _TokenRow(NamedTuple):
    """A row of ``_TOKEN_ACTOR``, in its columns' order."""

    user_id: int
    username: str
    is_operator: bool
    organization_id: int | None
    role: MemberRole | None
    expires_at: datetime
    second_factor_grace_until: datetime | None
    has_factor: bool
    require_second_factor: bool | None
    token_id: int
    scope: TokenScope
    last_used_at: datetime | None


def token_actor(
    db: prepared.Reads,
    secret: str,
    *,
    ip_address: str | None,
    username: str | None = None,
    operators_need_factor: bool = True,
) -> Credential | None:
    """The actor behind an API token, or None if it is unknown, expired, revoked, or its
    account disabled (or, with ``username``, someone else's)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    # On the driver's cursor (accord.prepared): every API and TAXII request runs this, and
    # Session.execute cost several times what the database takes to answer it. The credential
    # built from kept rows is kept with them (``access_cache.BUILT``).
    hashed, now = digest(secret), utcnow()
    # The rows' list kept with the access version (``prepared.kept_value``): the same list
    # while nothing changed, so the credential built from it below is found by identity.
    found = prepared.kept_value(
        db,
        ("token rows", hashed),
        lambda: prepared.kept_rows(db, _TOKEN_ACTOR, {"digest": hashed}, typed=True),
    )
    key = (hashed, username, ip_address, operators_need_factor)
    built: Credential | None = BUILT.get(found, key, now)
    if built is not None:
        return built
    rows = [_TokenRow(*r) for r in found]
    if not rows or rows[0].expires_at <= now:
        return None
    first = rows[0]
    if username is not None and first.username != username:
        return None
    actor = _actor(
        rows,
        ip_address=ip_address,
        token_scope=first.scope,
        operators_need_factor=operators_need_factor,
        factor_at=None,
    )
    credential = Credential(
        actor=actor, token_id=first.token_id, last_used_at=first.last_used_at, token_digest=hashed
    )
    # The same rows answer otherwise once the token expires or (without a factor) grace ends.
    until = min(first.expires_at, first.second_factor_grace_until or first.expires_at)
    return BUILT.keep(found, key, until, credential)


class _SessionRow(NamedTuple):
    """A row of ``_SESSION_ACTOR``, in its columns' order."""

    user_id: int
    username: str
    is_operator: bool
    organization_id: int | None
    role: MemberRole | None
    expires_at: datetime
    second_factor_grace_until: datetime | None
    has_factor: bool
    require_second_factor: bool | None
    factor_at: datetime | None


def session_actor(
    db: prepared.Reads,
    secret: str,
    *,
    ip_address: str | None,
    operators_need_factor: bool = True,
) -> Actor | None:
    """The actor behind a browser session cookie, or None if unknown, expired, disabled or
    only half signed in (pending its second factor)."""
    found = prepared.typed_rows(db, _SESSION_ACTOR, {"digest": digest(secret)})
    rows = [_SessionRow(*r) for r in found]
    if not rows or rows[0].expires_at <= utcnow():
        return None
    return _actor(
        rows,
        ip_address=ip_address,
        token_scope=None,
        operators_need_factor=operators_need_factor,
        factor_at=rows[0].factor_at,
    )


def _actor(
    rows: Sequence[Any],
    *,
    ip_address: str | None,
    token_scope: TokenScope | None,
    operators_need_factor: bool,
    factor_at: datetime | None,
) -> Actor:
    first = rows[0]
    has_factor = bool(first.has_factor)
    must_enrol = enrolment_needed(
        has_factor=has_factor,
        is_operator=first.is_operator,
        operators_need=operators_need_factor,
        grace_until=first.second_factor_grace_until,
        org_requires=any(r.require_second_factor for r in rows),
        now=utcnow(),
    )
    enrol_by = None
    if not has_factor and first.is_operator and operators_need_factor:
        enrol_by = first.second_factor_grace_until
    return Actor(
        user_id=first.user_id,
        username=first.username,
        is_operator=first.is_operator,
        roles={r.organization_id: r.role for r in rows if r.organization_id is not None},
        token_scope=token_scope,
        ip_address=ip_address,
        has_factor=has_factor,
        must_enrol=must_enrol,
        enrol_by=enrol_by,
        factor_at=factor_at,
    )


# When this process last marked each token's use. A mark no longer changes the access
# version (identity_0008), so the rows the access cache keeps hold the mark they were read
# with: this process's own later marks are known here. Bounded: emptied when full, which
# costs at most one more mark a token.
_MARKED: dict[str, datetime] = {}
_MARKED_MAX = 65_536


def use_due(credential: Credential) -> bool:
    """Whether :func:`mark_used` would write: a token last marked over a minute ago."""
    if credential.token_id is None:
        return False
    last = credential.last_used_at
    marked = _MARKED.get(credential.token_digest) if credential.token_digest else None
    if marked is not None and (last is None or marked > last):
        last = marked
    return last is None or utcnow() - last > timedelta(minutes=1)


def mark_used(db: Session, credential: Credential) -> None:
    """Note that a token was just used, at most once a minute to spare writes."""
    token_id = credential.token_id
    if token_id is None or not use_due(credential):
        return
    now = utcnow()
    db.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    if credential.token_digest is None:
        return
    if len(_MARKED) >= _MARKED_MAX:
        _MARKED.clear()
    # Kept even if the request's transaction then rolls back: the mark is a hint for people
    # reading their tokens' list, one minute late at worst.
    _MARKED[credential.token_digest] = now
