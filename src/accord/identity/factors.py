"""Second factors: TOTP (RFC 6238), recovery codes, and their enrolment and removal.

The codes themselves (TOTP steps, recovery codes, throttling) are checked in
``factor_codes.py``; WebAuthn lives in ``passkeys.py``. Every change is an audit row and a
notice to the user, and ends the account's other browser sessions.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence

import pyotp
import segno
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import InvalidInput, Message, NotFound, Unauthenticated
from accord.identity import audit, sealing, sessions
from accord.identity.credentials import digest
from accord.identity.factor_codes import (
    TOTP_CODE,
    failed,
    match_totp,
    new_recovery_code,
    normal_recovery_code,
    throttled,
    totp_step,
    use_recovery_code,
)
from accord.identity.models import FactorKind, RecoveryCode, SecondFactor, User
from accord.identity.policy import Action, Actor, authorize
from accord.identity.ratelimit import RateLimiter, factor_throttles
from accord.notifications.services import Notice, notify
from accord.texts import Text, ngettext, text
from accord.web.i18n import N_

RECOVERY_CODES = 10


# -- listing -------------------------------------------------------------------------------


def list_factors(db: Session, *, user_id: int) -> Sequence[SecondFactor]:
    """A user's confirmed factors, oldest first."""
    return db.scalars(
        select(SecondFactor)
        .where(SecondFactor.user_id == user_id, SecondFactor.confirmed.is_(True))
        .order_by(SecondFactor.id)
    ).all()


def recovery_codes_left(db: Session, *, user_id: int) -> int:
    """How many unused recovery codes the user holds."""
    found = db.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )
    return int(found or 0)


def _own_factor(db: Session, *, factor_id: int, actor: Actor) -> SecondFactor:
    factor = db.get(SecondFactor, factor_id)
    if factor is None or factor.user_id != actor.user_id:
        raise NotFound(
            Message(N_("no second factor %(factor_id)s"), factor_id=factor_id), field="factor_id"
        )
    return factor


def clean_name(name: str) -> str:
    """A factor name, its spaces collapsed; 1 to 100 characters."""
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 100:
        raise InvalidInput(N_("name: between 1 and 100 characters"), field="name")
    return cleaned


# -- TOTP enrolment ------------------------------------------------------------------------


def begin_totp(
    db: Session, *, user: User, name: str, actor: Actor, settings: Settings
) -> SecondFactor:
    """A new, unconfirmed TOTP factor with a fresh secret; it counts once a code confirms it."""
    authorize(actor, Action.OWN_FACTORS_MANAGE)
    # An abandoned enrolment's secret is dropped: only the latest one may be confirmed.
    db.execute(
        delete(SecondFactor).where(
            SecondFactor.user_id == user.id,
            SecondFactor.kind == FactorKind.TOTP,
            SecondFactor.confirmed.is_(False),
        )
    )
    factor = SecondFactor(
        user_id=user.id,
        kind=FactorKind.TOTP,
        name=clean_name(name),
        confirmed=False,
        # Sealed: a copy of the database must not let anyone compute the person's codes.
        totp_secret=sealing.seal(settings, base64.b32encode(secrets.token_bytes(20)).decode()),
        sign_count=0,
    )
    db.add(factor)
    db.flush()
    return factor


def totp_secret(factor: SecondFactor, *, settings: Settings) -> str:
    """The TOTP secret shared with the person's app, unsealed (shown only while enrolling)."""
    assert factor.totp_secret is not None
    return sealing.unseal(settings, factor.totp_secret)


def provisioning_uri(factor: SecondFactor, *, user: User, settings: Settings) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(totp_secret(factor, settings=settings)).provisioning_uri(
        name=user.username, issuer_name=settings.hub_name
    )


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as inline SVG, made here: the secret never leaves the hub."""
    code = segno.make(uri, error="m")
    svg: str = code.svg_inline(scale=4, dark="#000", light="#fff", title="QR code")
    return svg


def confirm_totp(
    db: Session,
    limiter: RateLimiter,
    *,
    user: User,
    factor_id: int,
    code: str,
    actor: Actor,
    settings: Settings,
    keep_session: str | None,
) -> SecondFactor:
    """Confirm an enrolment with the app's first code; the factor then counts."""
    authorize(actor, Action.OWN_FACTORS_MANAGE)
    factor = _own_factor(db, factor_id=factor_id, actor=actor)
    if factor.kind is not FactorKind.TOTP or factor.confirmed:
        raise NotFound(
            Message(N_("no TOTP enrolment %(factor_id)s"), factor_id=factor_id), field="factor_id"
        )
    throttled(limiter, user=user, ip_address=actor.ip_address, settings=settings)
    step = totp_step(factor, code, settings=settings)
    if step is None:
        failed(limiter, db, user=user, actor=actor, method="totp", settings=settings)
        raise InvalidInput(N_("code: wrong or expired code; try the current one"), field="code")
    factor.confirmed = True
    factor.totp_last_step = step
    factor.last_used_at = utcnow()
    added(db, user=user, factor=factor, actor=actor, settings=settings, keep=keep_session)
    return factor


def added(
    db: Session,
    *,
    user: User,
    factor: SecondFactor,
    actor: Actor,
    settings: Settings,
    keep: str | None,
) -> None:
    """What follows every new factor: an audit row, a notice, other sessions ended."""
    audit.record(
        db,
        actor=actor,
        action="factor.add",
        target=f"{user.username}/{factor.id}",
        details={"kind": factor.kind.value, "name": factor.name},
    )
    _tell(
        db,
        user=user,
        settings=settings,
        what=text(N_("A second factor was added: %(name)s."), name=factor.name),
    )
    sessions.end_others(db, user_id=user.id, keep=keep)


def rename_factor(
    db: Session, *, user: User, factor_id: int, name: str, actor: Actor, settings: Settings
) -> SecondFactor:
    """Give one of the actor's factors a new name."""
    authorize(actor, Action.OWN_FACTORS_MANAGE)
    factor = _own_factor(db, factor_id=factor_id, actor=actor)
    old, factor.name = factor.name, clean_name(name)
    audit.record(
        db,
        actor=actor,
        action="factor.rename",
        target=f"{actor.label}/{factor.id}",
        details={"from": old, "to": factor.name},
    )
    _tell(
        db,
        user=user,
        settings=settings,
        what=text(N_("A second factor was renamed: %(name)s."), name=factor.name),
    )
    return factor


def remove_factor(
    db: Session,
    *,
    user: User,
    factor_id: int,
    actor: Actor,
    settings: Settings,
    keep_session: str | None,
) -> None:
    """Remove a factor; the last one takes the recovery codes with it."""
    authorize(actor, Action.OWN_FACTORS_MANAGE)
    factor = _own_factor(db, factor_id=factor_id, actor=actor)
    db.delete(factor)
    db.flush()
    if not list_factors(db, user_id=user.id):
        db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(
        db,
        actor=actor,
        action="factor.remove",
        target=f"{user.username}/{factor_id}",
        details={"kind": factor.kind.value, "name": factor.name},
    )
    _tell(
        db,
        user=user,
        settings=settings,
        what=text(N_("A second factor was removed: %(name)s."), name=factor.name),
    )
    sessions.end_others(db, user_id=user.id, keep=keep_session)


# -- recovery codes ------------------------------------------------------------------------


def new_recovery_codes(db: Session, *, user: User, actor: Actor, settings: Settings) -> list[str]:
    """Ten new recovery codes, replacing any earlier ones; returned once, never stored."""
    authorize(actor, Action.OWN_FACTORS_MANAGE)
    if not list_factors(db, user_id=user.id):
        raise InvalidInput(N_("enrol a second factor before making recovery codes"))
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    for code in codes:
        db.add(RecoveryCode(user_id=user.id, code_hash=digest(normal_recovery_code(code))))
    audit.record(db, actor=actor, action="factor.recovery_codes", target=user.username)
    _tell(
        db,
        user=user,
        settings=settings,
        what=text(N_("New recovery codes were made; the old ones no longer work.")),
    )
    return codes


# -- proving a factor ----------------------------------------------------------------------


def verify_code(
    db: Session,
    limiter: RateLimiter,
    *,
    user: User,
    code: str,
    recovery: bool,
    actor: Actor,
    settings: Settings,
) -> str:
    """Check a TOTP code (or, with ``recovery``, a recovery code) of ``user``; returns the
    name of what was used. Throttled per account and per address; a failure is an audit row
    in the caller's transaction (the caller commits it with the refusal) and a count."""
    throttled(limiter, user=user, ip_address=actor.ip_address, settings=settings)
    method = "recovery" if recovery else "totp"
    if recovery:
        found = use_recovery_code(db, user=user, code=code)
    else:
        if not TOTP_CODE.match(code.strip()):
            failed(limiter, db, user=user, actor=actor, method=method, settings=settings)
            raise InvalidInput(N_("code: six digits from your authenticator app"), field="code")
        found = match_totp(db, user=user, code=code, settings=settings)
    if found is None:
        failed(limiter, db, user=user, actor=actor, method=method, settings=settings)
        message = (
            N_("code: not a recovery code of this account, or already used")
            if recovery
            else N_("code: wrong, expired or already used; wait for the next one")
        )
        raise Unauthenticated(message, field="code")
    _passed(limiter, db, user=user, actor=actor, method=method, settings=settings)
    return found


def _passed(
    limiter: RateLimiter,
    db: Session,
    *,
    user: User,
    actor: Actor,
    method: str,
    settings: Settings,
) -> None:
    account = factor_throttles(settings, user_id=user.id, ip_address=actor.ip_address)[0]
    limiter.reset(account.bucket)
    audit.record(
        db, actor=actor, action="auth.factor", target=user.username, details={"method": method}
    )
    if method == "recovery":
        left = recovery_codes_left(db, user_id=user.id)
        _tell(
            db,
            user=user,
            settings=settings,
            what=ngettext(
                "A recovery code was used to sign in; %(count)s remains.",
                "A recovery code was used to sign in; %(count)s remain.",
                left,
            ),
        )


def _tell(db: Session, *, user: User, settings: Settings, what: Text) -> None:
    """Mail the account's owner about a change to how they sign in (in their language)."""
    notify(
        db,
        settings=settings,
        notice=Notice(
            kind="account.second_factor",
            subject=text(N_("Your account's sign-in was changed")),
            text=text(
                N_(
                    "%(what)s If this was not you, sign in and review your second factors, "
                    "and tell the hub's operators."
                ),
                what=what,
            ),
            link="/account/security",
            user_ids=(user.id,),
        ),
    )


def pending_totp(db: Session, *, factor_id: int, actor: Actor) -> SecondFactor:
    """The actor's unconfirmed TOTP enrolment ``factor_id`` (to show it again)."""
    factor = _own_factor(db, factor_id=factor_id, actor=actor)
    if factor.kind is not FactorKind.TOTP or factor.confirmed:
        raise NotFound(
            Message(N_("no TOTP enrolment %(factor_id)s"), factor_id=factor_id), field="factor_id"
        )
    return factor
