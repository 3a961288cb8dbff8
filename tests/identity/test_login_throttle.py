"""Sign-in throttling per (address, account) and per address: nobody can lock out someone else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import RateLimited, Unauthenticated
from accord.identity import access, ratelimit
from accord.identity.ratelimit import RateLimiter, address_key
from tests.factories import Factories, Person, csrf_of

ATTACKER = ("203.0.113.66", 40000)
VICTIM = ("198.51.100.7", 40001)


@pytest.fixture(autouse=True)
def _one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    # Windows are fixed: a test crossing a boundary (every 15 minutes) would start counting
    # again halfway. The limiter's clock stands still in the middle of one.
    middle = datetime(2026, 12, 1, 12, 7, 30, tzinfo=UTC)
    monkeypatch.setattr(ratelimit, "utcnow", lambda: middle)


def _sign_in(client: TestClient, username: str, password: str) -> int:
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    return r.status_code


def test_wrong_passwords_from_elsewhere_never_lock_the_account(
    app: FastAPI, engine: Engine, make: Factories
) -> None:
    psirt = make.user("psirt")
    with TestClient(app, base_url="http://testserver", client=ATTACKER) as attacker:
        statuses = [_sign_in(attacker, "psirt", "wrong password!") for _ in range(7)]
        assert statuses == [401] * 5 + [429] * 2
        # The attacker's address stays throttled on this account, even with the right password.
        assert _sign_in(attacker, "psirt", psirt.password) == 429
    with TestClient(app, base_url="http://testserver", client=VICTIM) as victim:
        assert _sign_in(victim, "psirt", psirt.password) == 303


def _attempt(
    factory: sessionmaker[Session],
    limiter: RateLimiter,
    settings: Settings,
    person: Person | str,
    *,
    ip: str,
    right: bool = False,
) -> str:
    username = person if isinstance(person, str) else person.username
    password = person.password if right and not isinstance(person, str) else "wrong password!"
    try:
        with unit_of_work(factory) as db:
            access.login(
                db, limiter, username=username, password=password, ip_address=ip, settings=settings
            )
    except RateLimited:
        return "throttled"
    except Unauthenticated:
        return "refused"
    return "signed in"


def test_one_address_trying_many_accounts_meets_the_looser_limit(
    app: FastAPI, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    tight = settings.model_copy(update={"login_address_failures_per_window": 6})
    limiter: RateLimiter = app.state.limiter
    names = [f"user{i}" for i in range(4)]
    outcomes = [
        _attempt(session_factory, limiter, tight, name, ip="192.0.2.9")
        for name in names
        for _ in range(2)
    ]
    assert outcomes == ["refused"] * 6 + ["throttled"] * 2
    # Another address is not concerned.
    assert _attempt(session_factory, limiter, tight, "user0", ip="192.0.2.10") == "refused"


def test_a_success_clears_only_its_own_address(
    app: FastAPI, session_factory: sessionmaker[Session], settings: Settings, make: Factories
) -> None:
    person = make.user("alice")
    limiter: RateLimiter = app.state.limiter
    for _ in range(4):
        _attempt(session_factory, limiter, settings, person, ip="192.0.2.1")
    assert _attempt(session_factory, limiter, settings, person, ip="192.0.2.1", right=True) == (
        "signed in"
    )
    # Counting starts again: four more failures are still under the limit of five.
    outcomes = [
        _attempt(session_factory, limiter, settings, person, ip="192.0.2.1") for _ in "1234"
    ]
    assert outcomes == ["refused"] * 4


def test_limits_hold_across_processes(
    app: FastAPI,
    engine: Engine,
    session_factory: sessionmaker[Session],
    settings: Settings,
    make: Factories,
) -> None:
    person = make.user("alice")
    # Each hub process builds its own limiter over the shared store.
    first, second = RateLimiter.for_hub(settings, engine), RateLimiter.for_hub(settings, engine)
    try:
        for limiter in (first, second, first, second, first):
            assert _attempt(session_factory, limiter, settings, person, ip="192.0.2.3") == (
                "refused"
            )
        assert _attempt(session_factory, second, settings, person, ip="192.0.2.3") == "throttled"
    finally:
        for limiter in (first, second):
            if limiter.engine is not engine:
                limiter.engine.dispose()


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("192.0.2.1", "192.0.2.1"),
        (None, "unknown"),
    ],
)
def test_an_ipv6_client_counts_as_its_64(address: str | None, key: str) -> None:
    assert address_key(address) == key
