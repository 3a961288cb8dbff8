"""Test data builders. Each commits what it builds, as a real request would."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from itertools import count

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity import access, sealing, services
from accord.identity.credentials import hash_password
from accord.identity.models import (
    FactorKind,
    MemberRole,
    OrgKind,
    OrgType,
    SecondFactor,
    TokenScope,
    User,
)
from accord.identity.policy import SYSTEM
from accord.identity.schemas import OrgCreate, TokenCreate
from accord.web.deps import SESSION_COOKIE

PASSWORD = "correct horse battery staple"


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


_seq = count(1)


@dataclass(frozen=True)
class Person:
    """A user made for a test: its name and password."""

    username: str
    password: str = PASSWORD


class Factories:
    """Builders for users, organizations, memberships and tokens."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        self.factory = factory
        self.settings = settings

    def user(self, username: str | None = None, *, operator: bool = False) -> Person:
        # Rows are written directly with one cached argon2 hash: hashing costs ~0.1 s a user,
        # and account creation itself is tested through the service and the API.
        name = username or f"user{next(_seq)}"
        with unit_of_work(self.factory) as db:
            db.add(
                User(
                    username=name,
                    email=f"{name}@example.org",
                    password_hash=_password_hash(),
                    is_operator=operator,
                )
            )
        return Person(name)

    def org(self, name: str | None = None, *, kind: OrgKind = OrgKind.SIGNATORY) -> str:
        label = name or f"Org {next(_seq)}"
        with unit_of_work(self.factory) as db:
            org = services.create_org(
                db,
                data=OrgCreate(
                    name=label,
                    kind=kind,
                    type=OrgType.VENDOR,
                    country="DE",
                    website="https://example.org",
                    security_contact="security@example.org",
                ),
                actor=SYSTEM,
            )
            return org.slug

    def member(self, person: Person, slug: str, role: MemberRole = MemberRole.MEMBER) -> None:
        with unit_of_work(self.factory) as db:
            org = services.get_org(db, slug)
            services.set_member(db, org=org, username=person.username, role=role, actor=SYSTEM)

    def token(self, person: Person, scope: TokenScope = TokenScope.ADMIN) -> str:
        with unit_of_work(self.factory) as db:
            user = services.get_user(db, person.username)
            _, secret = access.create_token(
                db,
                user=user,
                data=TokenCreate(name="test", scope=scope),
                actor=SYSTEM,
                settings=self.settings,
            )
        return secret

    def totp(self, person: Person) -> pyotp.TOTP:
        """Give ``person`` a confirmed TOTP factor; returns the app's side of it."""
        secret = pyotp.random_base32(32)
        with unit_of_work(self.factory) as db:
            user = services.get_user(db, person.username)
            db.add(
                SecondFactor(
                    user_id=user.id,
                    kind=FactorKind.TOTP,
                    name="phone",
                    confirmed=True,
                    totp_secret=sealing.seal(self.settings, secret),
                    sign_count=0,
                )
            )
        return pyotp.TOTP(secret)

    def bearer(self, person: Person, scope: TokenScope = TokenScope.ADMIN) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(person, scope)}"}

    def session(self, client: TestClient, person: Person) -> None:
        """Sign ``person`` in as the login form would, without its argon2 check (~0.5 s):
        for tests about what a signed-in user may do, not about signing in."""
        with unit_of_work(self.factory) as db:
            user = services.get_user(db, person.username)
            secret = access.start_session(db, user=user, settings=self.settings)
        client.cookies.set(SESSION_COOKIE, secret)


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page put in its forms."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, person: Person) -> None:
    """Sign ``person`` in through the real form, CSRF token included."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": person.username,
            "password": person.password,
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
