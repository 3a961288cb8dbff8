"""New passwords: common and breached ones, repetitions and the account's own name refused."""

from __future__ import annotations

import gzip
from importlib import resources

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import InvalidInput, validated
from accord.identity import bootstrap, passwords
from accord.identity.models import User
from accord.identity.schemas import UserCreate
from accord.registry import accounts
from tests.factories import Factories, csrf_of, sign_in
from tests.registry.helpers import approve, submit


def _create(password: str, username: str = "alice", email: str = "al@example.org") -> UserCreate:
    return validated(UserCreate, {"username": username, "email": email, "password": password})


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",  # one character repeated
        "AAAAAAAAAAAAAAAAAAAAAAAA",
        "abababababab",
        "password1234",  # on the breached list as it is
        "QWERTYUIOP123",  # on the list, whatever the case
        "Password123!",  # a listed word with digits and a symbol added
        "!!iloveyou2024",
    ],
)
def test_common_and_repeated_passwords_are_refused(password: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        _create(password)
    assert caught.value.field == "password"
    assert "Value error" not in caught.value.message


@pytest.mark.parametrize(
    ("password", "username", "email"),
    [
        ("alice-is-the-best", "alice", "al@example.org"),
        ("my ALICE passphrase", "alice", "al@example.org"),
        ("x-zed@example.org-x", "alice", "zed@example.org"),
        ("longer zed things", "alice", "zed@example.org"),
    ],
)
def test_passwords_holding_the_username_or_email_are_refused(
    password: str, username: str, email: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _create(password, username=username, email=email)
    assert caught.value.field == "password"
    assert "username or email" in caught.value.message


@pytest.mark.parametrize(
    "password", ["a long enough password", "Tr0mb0ne-Velvet-Harbour", "correct horse saddle"]
)
def test_uncommon_passwords_are_accepted(password: str) -> None:
    assert _create(password).password == password


def test_the_shipped_list_is_the_documented_one() -> None:
    path = resources.files("accord.identity") / "data" / passwords.LIST_FILE
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        lines = text.read().splitlines()
    assert len(lines) == 100_000
    assert lines[:4] == ["123456", "123456789", "qwerty", "password"]
    assert "password1234" in passwords.common_passwords()


def test_the_api_refuses_a_breached_password_with_422_naming_the_field(
    client: TestClient, make: Factories
) -> None:
    headers = make.bearer(make.user("oper", operator=True))
    for password in ("aaaaaaaaaaaa", "password1234", "newbie-rocks-hard"):
        r = client.post(
            "/api/v1/users",
            json={"username": "newbie", "email": "n@example.org", "password": password},
            headers=headers,
        )
        assert r.status_code == 422, password
        assert r.json()["field"] == "password"


def _error_beside(html: str, field: str) -> str:
    start = html.index(f'id="{field}-error">') + len(f'id="{field}-error">')
    return html[start : html.index("</p>", start)]


def test_the_bootstrap_page_says_why_beside_the_password(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with unit_of_work(session_factory) as work:
        secret = bootstrap.issue_bootstrap(work, settings=settings)
    form = client.get("/bootstrap", params={"token": secret})
    data = {
        "token": secret,
        "username": "first",
        "email": "first@example.org",
        "password": "aaaaaaaaaaaa",
        "csrf_token": csrf_of(form.text),
    }
    r = client.post("/bootstrap", data=data)
    assert r.status_code == 422
    assert "repeats the same few characters" in _error_beside(r.text, "password")
    assert 'value="first@example.org"' in r.text  # what was typed is kept
    # The link was not spent; a good password then works.
    r = client.post("/bootstrap", data={**data, "password": "a long enough password"})
    assert r.status_code == 200
    assert "first" in r.text


def test_the_users_page_says_why_beside_the_password(
    client: TestClient, make: Factories, db: Session
) -> None:
    sign_in(client, make.user("oper", operator=True))
    page = client.get("/admin/users")
    r = client.post(
        "/admin/users",
        data={
            "username": "newbie",
            "email": "newbie@example.org",
            "password": "Password123!",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert r.status_code == 422
    assert "common password" in _error_beside(r.text, "password")
    assert db.scalar(select(User).where(User.username == "newbie")) is None


def test_the_set_up_link_refuses_the_accounts_own_name(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings, db: Session
) -> None:
    approval = approve(session_factory, settings, submit(session_factory, username="ada"))
    assert approval.account is not None
    secret = approval.account.setup_secret
    assert secret is not None
    r = client.post("/api/v1/account-setup", json={"token": secret, "password": "ada-ada-ada-ada"})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "password"
    form = client.get("/join/set-password", params={"token": secret})
    r = client.post(
        "/join/set-password",
        data={"token": secret, "password": "my name is ada!", "csrf_token": csrf_of(form.text)},
    )
    assert r.status_code == 422
    assert "username or email" in _error_beside(r.text, "password")
    # Still unspent: a good password is taken.
    assert _link_open(session_factory, secret)


def _link_open(factory: sessionmaker[Session], secret: str) -> bool:
    with unit_of_work(factory) as work:
        return accounts.setup_link_user(work, secret) is not None
