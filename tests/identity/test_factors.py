"""Second factors in the services: TOTP, recovery codes, passkeys, refusals and their audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import (
    AccordError,
    InvalidInput,
    RateLimited,
    SecondFactorRequired,
    StepUpRequired,
    Unauthenticated,
)
from accord.identity import access, factor_codes, factors, passkeys, policy, ratelimit
from accord.identity.credentials import digest
from accord.identity.models import AuditEvent, RecoveryCode, SecondFactor, User, WebSession
from accord.identity.policy import Actor
from accord.identity.ratelimit import RateLimiter
from accord.identity.services import actor_for, get_user
from tests.factories import Factories
from tests.identity.authenticator import SoftKey


@pytest.fixture(autouse=True)
def _one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    # Throttling windows are fixed: hold the limiter's clock in the middle of one.
    middle = datetime(2026, 12, 1, 12, 7, 30, tzinfo=UTC)
    monkeypatch.setattr(ratelimit, "utcnow", lambda: middle)


# The hub's clock for TOTP codes, held in the middle of one 30-second step: a code computed
# for it stays the current step's however long the test takes (a step boundary crossed
# between enrolment and replay turned the "replay" into the next step's fresh code).
STEP_MIDDLE = datetime(2026, 12, 1, 12, 7, 15, tzinfo=UTC)
NEXT_STEP = STEP_MIDDLE + timedelta(seconds=factor_codes.TOTP_PERIOD)


@pytest.fixture(autouse=True)
def _one_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(factor_codes, "utcnow", lambda: STEP_MIDDLE)


@pytest.fixture
def limiter(app: FastAPI) -> RateLimiter:
    found: RateLimiter = app.state.limiter
    return found


def _as(db: Session, username: str) -> tuple[User, Actor]:
    user = get_user(db, username)
    return user, actor_for(db, user, ip_address="192.0.2.10")


def _enrol_totp(
    factory: sessionmaker[Session], limiter: RateLimiter, settings: Settings, username: str
) -> pyotp.TOTP:
    with unit_of_work(factory) as db:
        user, actor = _as(db, username)
        factor = factors.begin_totp(db, user=user, name="phone", actor=actor, settings=settings)
        factor_id, secret = factor.id, factors.totp_secret(factor, settings=settings)
        # Stored sealed: the column holds neither the secret nor anything it starts with.
        assert factor.totp_secret is not None
        assert secret not in factor.totp_secret
    totp = pyotp.TOTP(secret)
    with unit_of_work(factory) as db:
        user, actor = _as(db, username)
        factors.confirm_totp(
            db,
            limiter,
            user=user,
            factor_id=factor_id,
            code=totp.at(STEP_MIDDLE),
            actor=actor,
            settings=settings,
            keep_session=None,
        )
    return totp


def _attempt(
    factory: sessionmaker[Session],
    limiter: RateLimiter,
    settings: Settings,
    username: str,
    code: str,
    *,
    recovery: bool = False,
) -> AccordError | None:
    """One check of a code, committed as the page commits it (the refusal's audit row too)."""
    with unit_of_work(factory) as db:
        user, actor = _as(db, username)
        try:
            factors.verify_code(
                db, limiter, user=user, code=code, recovery=recovery, actor=actor, settings=settings
            )
        except AccordError as exc:
            return exc
    return None


def _refusals(db: Session) -> list[dict[str, Any]]:
    db.rollback()
    rows = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.factor_refused").order_by(AuditEvent.id)
    ).all()
    return [row.details for row in rows]


def test_totp_code_works_once_and_a_replay_is_refused_with_an_audit_row(
    session_factory: sessionmaker[Session],
    limiter: RateLimiter,
    settings: Settings,
    make: Factories,
    db: Session,
) -> None:
    make.user("psirt")
    totp = _enrol_totp(session_factory, limiter, settings, "psirt")
    # The enrolment spent the current step: the same code again is a replay.
    replay = _attempt(session_factory, limiter, settings, "psirt", totp.at(STEP_MIDDLE))
    assert isinstance(replay, Unauthenticated)
    assert replay.field == "code"
    assert "already used" in replay.message
    # The next step's code (within the one-step drift) is accepted, once.
    following = totp.at(NEXT_STEP)
    assert _attempt(session_factory, limiter, settings, "psirt", following) is None
    again = _attempt(session_factory, limiter, settings, "psirt", following)
    assert isinstance(again, Unauthenticated)
    assert _refusals(db) == [{"method": "totp"}, {"method": "totp"}]
    factor = db.scalars(select(SecondFactor)).one()
    assert factor.confirmed
    assert factor.totp_last_step == int(NEXT_STEP.timestamp()) // 30


@pytest.mark.parametrize("code", ["12345", "12a456", "1234567", "", "١٢٣٤٥٦"])
def test_a_malformed_code_is_refused_naming_the_field(
    session_factory: sessionmaker[Session],
    limiter: RateLimiter,
    settings: Settings,
    make: Factories,
    db: Session,
    code: str,
) -> None:
    make.user("psirt")
    _enrol_totp(session_factory, limiter, settings, "psirt")
    refused = _attempt(session_factory, limiter, settings, "psirt", code)
    assert isinstance(refused, InvalidInput)
    assert refused.field == "code"
    assert "six digits" in refused.message
    assert _refusals(db) == [{"method": "totp"}]


def test_wrong_codes_lock_the_second_step_even_for_the_right_code(
    session_factory: sessionmaker[Session],
    limiter: RateLimiter,
    settings: Settings,
    make: Factories,
) -> None:
    make.user("psirt")
    totp = _enrol_totp(session_factory, limiter, settings, "psirt")
    wrong = str((int(totp.at(STEP_MIDDLE)) + 500_000) % 1_000_000).zfill(6)
    results = [
        _attempt(session_factory, limiter, settings, "psirt", wrong)
        for _ in range(settings.login_failures_per_window + 1)
    ]
    assert all(isinstance(r, Unauthenticated) for r in results[:-1])
    assert isinstance(results[-1], RateLimited)
    right = totp.at(NEXT_STEP)
    assert isinstance(_attempt(session_factory, limiter, settings, "psirt", right), RateLimited)


def test_a_recovery_code_works_once(
    session_factory: sessionmaker[Session],
    limiter: RateLimiter,
    settings: Settings,
    make: Factories,
    db: Session,
) -> None:
    make.user("psirt")
    _enrol_totp(session_factory, limiter, settings, "psirt")
    with unit_of_work(session_factory) as s:
        user, actor = _as(s, "psirt")
        codes = factors.new_recovery_codes(s, user=user, actor=actor, settings=settings)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    # Stored hashed: the database holds no code.
    stored = {row.code_hash for row in db.scalars(select(RecoveryCode))}
    assert not stored & set(codes)
    typed = codes[3].lower().replace("-", " ")  # read off paper, typed loosely
    assert _attempt(session_factory, limiter, settings, "psirt", typed, recovery=True) is None
    again = _attempt(session_factory, limiter, settings, "psirt", codes[3], recovery=True)
    assert isinstance(again, Unauthenticated)
    assert "already used" in again.message
    assert _refusals(db) == [{"method": "recovery"}]
    with unit_of_work(session_factory) as s:
        assert factors.recovery_codes_left(s, user_id=get_user(s, "psirt").id) == 9


# -- passkeys ------------------------------------------------------------------------------


def _browser(factory: sessionmaker[Session], settings: Settings, username: str) -> str:
    with unit_of_work(factory) as db:
        return access.start_session(db, user=get_user(db, username), settings=settings)


def _with_browser(
    factory: sessionmaker[Session], cookie: str, username: str, work: Callable[..., Any]
) -> Any:
    with unit_of_work(factory) as db:
        user, actor = _as(db, username)
        row = db.scalars(select(WebSession).where(WebSession.secret_hash == digest(cookie))).one()
        return work(db, user, actor, row)


def _register(
    factory: sessionmaker[Session], settings: Settings, username: str
) -> tuple[SoftKey, str]:
    key = SoftKey()
    cookie = _browser(factory, settings, username)

    def options(db: Session, user: User, actor: Actor, row: WebSession) -> str:
        return passkeys.registration_options(
            db, user=user, browser=row, actor=actor, settings=settings
        )

    made = key.register(
        _with_browser(factory, cookie, username, options), origin=passkeys.origin(settings)
    )

    def register(db: Session, user: User, actor: Actor, row: WebSession) -> None:
        passkeys.register(
            db,
            user=user,
            browser=row,
            credential=made,
            name="laptop key",
            actor=actor,
            settings=settings,
            keep_session=cookie,
        )

    _with_browser(factory, cookie, username, register)
    return key, cookie


def _assertion(
    factory: sessionmaker[Session],
    settings: Settings,
    cookie: str,
    username: str,
    answer: Callable[[str], str],
) -> AccordError | None:
    def options(db: Session, user: User, actor: Actor, row: WebSession) -> str:
        return passkeys.authentication_options(db, user=user, browser=row, settings=settings)

    credential = answer(_with_browser(factory, cookie, username, options))

    def check(db: Session, user: User, actor: Actor, row: WebSession) -> AccordError | None:
        try:
            passkeys.authenticate(
                db, user=user, browser=row, credential=credential, actor=actor, settings=settings
            )
        except AccordError as exc:
            return exc
        return None

    result: AccordError | None = _with_browser(factory, cookie, username, check)
    return result


def test_a_passkey_registers_and_signs_in_and_its_counter_must_grow(
    session_factory: sessionmaker[Session], settings: Settings, make: Factories, db: Session
) -> None:
    make.user("psirt")
    key, cookie = _register(session_factory, settings, "psirt")
    origin = passkeys.origin(settings)
    assert (
        _assertion(session_factory, settings, cookie, "psirt", lambda o: key.sign(o, origin=origin))
        is None
    )
    # A counter that does not grow is the sign of a cloned key.
    cloned = _assertion(
        session_factory,
        settings,
        cookie,
        "psirt",
        lambda o: key.sign(o, origin=origin, counter=1),
    )
    assert isinstance(cloned, Unauthenticated)
    assert cloned.field == "credential"
    assert "sign count" in cloned.message
    db.rollback()
    stored = db.scalars(select(SecondFactor)).one()
    assert stored.name == "laptop key"
    assert stored.sign_count == 1
    assert _refusals(db)[-1]["method"] == "webauthn"


def test_an_assertion_made_for_another_site_is_refused(
    session_factory: sessionmaker[Session], settings: Settings, make: Factories, db: Session
) -> None:
    make.user("psirt")
    key, cookie = _register(session_factory, settings, "psirt")
    phished = _assertion(
        session_factory,
        settings,
        cookie,
        "psirt",
        lambda o: key.sign(o, origin="https://accord-hub.example"),
    )
    assert isinstance(phished, Unauthenticated)
    assert "origin" in phished.message
    other_rp = _assertion(
        session_factory,
        settings,
        cookie,
        "psirt",
        lambda o: key.sign(o, origin=passkeys.origin(settings), rp_id="accord-hub.example"),
    )
    assert isinstance(other_rp, Unauthenticated)
    assert "RP ID" in other_rp.message
    reasons = [r["reason"] for r in _refusals(db)]
    assert len(reasons) == 2
    assert "origin" in reasons[0]


def test_a_key_of_someone_else_or_garbage_is_refused_never_a_crash(
    session_factory: sessionmaker[Session], settings: Settings, make: Factories, db: Session
) -> None:
    make.user("psirt")
    make.user("other")
    key, _ = _register(session_factory, settings, "psirt")
    cookie = _browser(session_factory, settings, "other")
    origin = passkeys.origin(settings)
    theirs = _assertion(
        session_factory, settings, cookie, "other", lambda o: key.sign(o, origin=origin)
    )
    assert isinstance(theirs, Unauthenticated)
    assert "not registered" in theirs.message
    for garbage in ("", "[]", "{}", '{"id": "!!"}', "not json"):
        refused = _assertion(session_factory, settings, cookie, "other", lambda _o, g=garbage: g)
        assert isinstance(refused, Unauthenticated), garbage
        assert refused.field == "credential"


def test_a_challenge_is_spent_by_its_answer(
    session_factory: sessionmaker[Session], settings: Settings, make: Factories
) -> None:
    make.user("psirt")
    key, cookie = _register(session_factory, settings, "psirt")
    origin = passkeys.origin(settings)
    kept: list[str] = []

    def answer(options: str) -> str:
        kept.append(key.sign(options, origin=origin))
        return kept[-1]

    assert _assertion(session_factory, settings, cookie, "psirt", answer) is None

    def check(db: Session, user: User, actor: Actor, row: WebSession) -> None:
        with pytest.raises(InvalidInput, match="no ceremony"):
            passkeys.authenticate(
                db, user=user, browser=row, credential=kept[0], actor=actor, settings=settings
            )

    _with_browser(session_factory, cookie, "psirt", check)


# -- the policy ----------------------------------------------------------------------------

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("has_factor", "operator", "grace", "org_requires", "expected"),
    [
        (True, True, NOW - timedelta(days=9), True, False),
        (False, True, None, False, False),  # the grace starts at the first sign-in
        (False, True, NOW + timedelta(hours=1), False, False),
        (False, True, NOW - timedelta(seconds=1), False, True),
        (False, False, None, False, False),
        (False, False, None, True, True),
    ],
)
def test_who_must_enrol(
    has_factor: bool, operator: bool, grace: datetime | None, org_requires: bool, expected: bool
) -> None:
    assert (
        policy.enrolment_needed(
            has_factor=has_factor,
            is_operator=operator,
            operators_need=True,
            grace_until=grace,
            org_requires=org_requires,
            now=NOW,
        )
        is expected
    )
    off = policy.enrolment_needed(
        has_factor=has_factor,
        is_operator=operator,
        operators_need=False,
        grace_until=grace,
        org_requires=False,
        now=NOW,
    )
    assert off is False


def test_step_up_asks_only_a_browser_with_a_factor_and_an_old_proof() -> None:
    fresh = timedelta(minutes=15)
    browser = Actor(user_id=1, username="a", has_factor=True, factor_at=NOW - timedelta(minutes=5))
    policy.require_fresh_factor(browser, max_age=fresh, now=NOW)
    stale = Actor(user_id=1, username="a", has_factor=True, factor_at=NOW - timedelta(minutes=16))
    with pytest.raises(StepUpRequired):
        policy.require_fresh_factor(stale, max_age=fresh, now=NOW)
    never = Actor(user_id=1, username="a", has_factor=True)
    with pytest.raises(StepUpRequired):
        policy.require_fresh_factor(never, max_age=fresh, now=NOW)
    policy.require_fresh_factor(Actor(user_id=1, username="a"), max_age=fresh, now=NOW)
    token = Actor(user_id=1, username="a", has_factor=True, token_scope=policy.TokenScope.ADMIN)
    policy.require_fresh_factor(token, max_age=fresh, now=NOW)


def test_someone_who_must_enrol_may_do_nothing_else() -> None:
    actor = Actor(user_id=1, username="a", must_enrol=True)
    for action in policy.Action:
        if action in policy.WHILE_ENROLLING:
            policy.authorize(actor, action)
        else:
            with pytest.raises(SecondFactorRequired):
                policy.authorize(actor, action, org_id=1)
