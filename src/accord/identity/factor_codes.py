"""The codes of second factors: TOTP (RFC 6238) and recovery codes, checked and throttled.

TOTP: a 160-bit secret shared with the user's app (RFC 4226 section 4 asks for at least 128
bits), codes of 6 digits for 30-second time steps, one step of clock drift either way. The
last accepted time step is stored: a code of that step or an earlier one is a replay, refused
(RFC 6238 section 5.2). Recovery codes are 80-bit random values shown once; only their
SHA-256 is kept, as for every other high-entropy secret of the hub. Enrolment, removal and
what follows a code (``verify_code``) are in ``factors.py``.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import RateLimited
from accord.identity import audit, sealing
from accord.identity.credentials import digest, same
from accord.identity.models import FactorKind, RecoveryCode, SecondFactor, User
from accord.identity.policy import Actor
from accord.identity.ratelimit import RateLimiter, factor_throttles
from accord.web.i18n import N_

TOTP_DIGITS = 6
TOTP_PERIOD = 30  # seconds: RFC 6238's default time step X
TOTP_DRIFT_STEPS = 1
TOTP_CODE = re.compile(r"^[0-9]{6}$")
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper


def _random_code() -> str:
    return "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))  # 16 x 5 = 80 bits


def new_recovery_code() -> str:
    """A fresh recovery code, in groups of four to read off paper."""
    code = _random_code()
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normal_recovery_code(code: str) -> str:
    """A recovery code as stored (hashed): without spaces or dashes, in capitals."""
    return re.sub(r"[\s-]", "", code).upper()


def match_totp(db: Session, *, user: User, code: str, settings: Settings) -> str | None:
    """The name of the user's confirmed TOTP factor ``code`` is valid for, its step kept as
    the last accepted; None if none."""
    factors = db.scalars(
        select(SecondFactor)
        .where(
            SecondFactor.user_id == user.id,
            SecondFactor.kind == FactorKind.TOTP,
            SecondFactor.confirmed.is_(True),
        )
        .with_for_update()
    ).all()
    for factor in factors:
        step = totp_step(factor, code, settings=settings)
        if step is not None:
            factor.totp_last_step = step
            factor.last_used_at = utcnow()
            return factor.name
    return None


def totp_step(
    factor: SecondFactor, code: str, *, settings: Settings, now: datetime | None = None
) -> int | None:
    """The time step ``code`` is valid for (within the drift), or None: wrong, or a replay of
    the last accepted step or an earlier one."""
    code = code.strip()
    if factor.totp_secret is None or not TOTP_CODE.match(code):
        return None
    secret = sealing.unseal(settings, factor.totp_secret)
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD)
    current = int((now or utcnow()).timestamp()) // TOTP_PERIOD
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if same(totp.generate_otp(step), code):
            last = factor.totp_last_step
            return step if last is None or step > last else None
    return None


def use_recovery_code(db: Session, *, user: User, code: str) -> str | None:
    """Mark the user's unused recovery code ``code`` used; None if there is none."""
    row = db.scalar(
        select(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == digest(normal_recovery_code(code)),
            RecoveryCode.used_at.is_(None),
        )
        .with_for_update()
    )
    if row is None:
        return None
    row.used_at = utcnow()
    return "recovery code"


def throttled(
    limiter: RateLimiter, *, user: User, ip_address: str | None, settings: Settings
) -> None:
    """Refuse (429) when the account or the address has had too many wrong codes."""
    window = settings.login_window_seconds
    for throttle in factor_throttles(settings, user_id=user.id, ip_address=ip_address):
        if limiter.count(throttle.bucket, window_seconds=window) >= throttle.limit:
            raise RateLimited(N_("too many wrong codes; try again later"), retry_after=window)


def failed(
    limiter: RateLimiter,
    db: Session,
    *,
    user: User,
    actor: Actor,
    method: str,
    settings: Settings,
) -> None:
    """Count a wrong code against the account and the address, and record it."""
    for throttle in factor_throttles(settings, user_id=user.id, ip_address=actor.ip_address):
        limiter.hit(throttle.bucket, window_seconds=settings.login_window_seconds)
    audit.record(
        db,
        actor=actor,
        action="auth.factor_refused",
        target=user.username,
        details={"method": method},
    )
