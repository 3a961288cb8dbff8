"""The session and CSRF cookies: a new CSRF token at sign-in and sign-out, __Host- over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity import access, services
from accord.web.app import create_app
from tests.factories import Factories, Person, csrf_of


def _set_cookies(response: object) -> dict[str, str]:
    """Each cookie the response sets, by name, with its attributes as sent."""
    found = {}
    for header in response.headers.get_list("set-cookie"):  # type: ignore[attr-defined]
        name = header.split("=", 1)[0]
        found[name] = header
    return found


def _post_login(client: TestClient, person: Person, token: str) -> object:
    return client.post(
        "/login",
        data={"username": person.username, "password": person.password, "csrf_token": token},
        follow_redirects=False,
    )


def test_the_csrf_token_is_new_after_sign_in(client: TestClient, make: Factories) -> None:
    person = make.user("alice")
    before = csrf_of(client.get("/login").text)
    signed_in = _post_login(client, person, before)
    assert signed_in.status_code == 303  # type: ignore[attr-defined]
    cookie = SimpleCookie(_set_cookies(signed_in)["accord_csrf"])["accord_csrf"].value
    assert cookie != before
    after = csrf_of(client.get("/account").text)
    assert after == cookie
    # The token from before sign-in is worthless now.
    stale = client.post(
        "/account/tokens", data={"name": "t", "scope": "read", "csrf_token": before}
    )
    assert stale.status_code == 403
    fresh = client.post("/account/tokens", data={"name": "t", "scope": "read", "csrf_token": after})
    assert fresh.status_code == 201


def test_the_csrf_token_is_new_after_sign_out(client: TestClient, make: Factories) -> None:
    person = make.user("alice")
    _post_login(client, person, csrf_of(client.get("/login").text))
    during = csrf_of(client.get("/account").text)
    signed_out = client.post("/logout", data={"csrf_token": during}, follow_redirects=False)
    assert signed_out.status_code == 303
    cookies = _set_cookies(signed_out)
    assert SimpleCookie(cookies["accord_csrf"])["accord_csrf"].value != during
    assert "accord_session" in cookies  # deleted
    after = csrf_of(client.get("/login").text)
    assert after != during
    assert _post_login(client, person, during).status_code == 403  # type: ignore[attr-defined]


def test_cookies_have_plain_names_over_http(client: TestClient, make: Factories) -> None:
    page = client.get("/login")
    assert set(_set_cookies(page)) == {"accord_csrf"}
    signed_in = _post_login(client, make.user("alice"), csrf_of(page.text))
    assert {"accord_session", "accord_csrf"} <= set(_set_cookies(signed_in))


@pytest.fixture
def https_client(settings: Settings, engine: Engine, app: FastAPI) -> Iterator[TestClient]:
    """A hub whose public address is https:// (``app`` shares its stores and is cleaned)."""
    secure = create_app(
        settings.model_copy(update={"base_url": "https://hub.example"}), engine=engine
    )
    with TestClient(secure, base_url="https://hub.example") as c:
        yield c


def _host_prefixed(header: str) -> None:
    lowered = header.lower()
    assert header.startswith("__Host-")
    assert "; secure" in lowered
    assert "; path=/" in lowered
    assert "domain=" not in lowered


def test_cookies_are_host_prefixed_over_https(https_client: TestClient, make: Factories) -> None:
    person = make.user("alice")
    page = https_client.get("/login")
    cookies = _set_cookies(page)
    assert set(cookies) == {"__Host-accord_csrf"}
    _host_prefixed(cookies["__Host-accord_csrf"])
    signed_in = _post_login(https_client, person, csrf_of(page.text))
    cookies = _set_cookies(signed_in)
    _host_prefixed(cookies["__Host-accord_session"])
    _host_prefixed(cookies["__Host-accord_csrf"])
    assert "accord_session" not in cookies
    account = https_client.get("/account")
    assert account.status_code == 200
    assert "alice" in account.text
    signed_out = https_client.post(
        "/logout", data={"csrf_token": csrf_of(account.text)}, follow_redirects=False
    )
    _host_prefixed(_set_cookies(signed_out)["__Host-accord_session"])
    assert https_client.get("/account").status_code == 401


def test_a_plain_session_cookie_is_no_credential_over_https(
    https_client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    make.user("alice")
    with unit_of_work(session_factory) as db:
        secret = access.start_session(db, user=services.get_user(db, "alice"), settings=settings)
    # Set by a plain-HTTP page or a sibling host: the hub reads only its __Host- cookie.
    https_client.cookies.set("accord_session", secret)
    assert https_client.get("/account").status_code == 401
    https_client.cookies.clear()
    https_client.cookies.set("__Host-accord_session", secret)
    assert https_client.get("/account").status_code == 200
