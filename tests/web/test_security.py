"""The shell's protections: headers and CSP, CSRF, body limits, throttling, error shapes."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from accord.config import Settings
from accord.web.app import create_app
from tests.factories import Factories, csrf_of, sign_in


def test_pages_carry_strict_security_headers(client: TestClient) -> None:
    response = client.get("/")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_pages_have_no_inline_script_or_style_and_no_external_assets(client: TestClient) -> None:
    for path in ("/", "/login"):
        html = client.get(path).text
        assert "<script>" not in html
        assert "style=" not in html
        assert "<style" not in html
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not url.startswith(("http://", "https://", "//")), url


def test_errors_are_json_on_the_api_and_html_on_pages(client: TestClient) -> None:
    api = client.get("/api/v1/orgs/nope")
    assert api.status_code == 404
    assert api.json() == {
        "error": "not_found",
        "message": "no organization 'nope'",
        "field": "slug",
    }
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text
    assert client.put("/api/v1/orgs").status_code == 405


def test_form_without_csrf_token_is_refused(client: TestClient, make: Factories) -> None:
    person = make.user("alice")
    client.get("/login")  # sets the CSRF cookie
    response = client.post(
        "/login", data={"username": person.username, "password": person.password}
    )
    assert response.status_code == 403
    assert "CSRF" in response.text


def test_form_with_another_browsers_token_is_refused(
    app: object, client: TestClient, make: Factories
) -> None:
    person = make.user("alice")
    stolen = csrf_of(client.get("/login").text)
    with TestClient(client.app, base_url="http://testserver") as other:  # type: ignore[arg-type]
        other.get("/login")
        response = other.post(
            "/login",
            data={"username": person.username, "password": person.password, "csrf_token": stolen},
        )
    assert response.status_code == 403


def test_session_cookie_flags(client: TestClient, make: Factories) -> None:
    person = make.user("alice")
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
    cookie = response.headers["set-cookie"].lower()
    assert "accord_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_open_redirect_after_login_is_refused(client: TestClient, make: Factories) -> None:
    person = make.user("alice")
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": person.username,
            "password": person.password,
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    # Refused, the sign-in lands where it would with no page asked for: here, on the
    # account of a person in no organization.
    assert response.headers["location"] == "/account"


def test_oversized_body_is_413_and_nothing_is_stored(
    client: TestClient, make: Factories, settings: object
) -> None:
    headers = make.bearer(make.user("oper", operator=True))
    big = {
        "name": "Big",
        "kind": "partner",
        "type": "ngo",
        "country": "FR",
        "website": "https://example.org",
        "security_contact": "a@example.org",
        "description": "x" * 2_000_000,
    }
    response = client.post("/api/v1/orgs", json=big, headers=headers)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert client.get("/api/v1/orgs").json() == []


def test_streamed_oversized_body_is_413(client: TestClient, make: Factories) -> None:
    headers = make.bearer(make.user("oper", operator=True))

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 65536

    response = client.post(
        "/api/v1/orgs", content=chunks(), headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 413


def test_login_is_throttled_per_account(
    client: TestClient, make: Factories, settings: object
) -> None:
    person = make.user("alice")
    token = csrf_of(client.get("/login").text)
    statuses = []
    for _ in range(6):
        r = client.post(
            "/login", data={"username": "alice", "password": "wrong password!", "csrf_token": token}
        )
        statuses.append(r.status_code)
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    # Even the right password is refused while the account is throttled.
    right = client.post(
        "/login", data={"username": "alice", "password": person.password, "csrf_token": token}
    )
    assert right.status_code == 429


def test_signed_in_pages_and_sign_out(client: TestClient, make: Factories) -> None:
    sign_in(client, make.user("alice"))
    account = client.get("/account")
    assert account.status_code == 200
    assert "alice" in account.text
    client.post("/logout", data={"csrf_token": csrf_of(account.text)})
    assert client.get("/account").status_code == 401


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/users"])
def test_operator_pages_refuse_members(client: TestClient, make: Factories, path: str) -> None:
    sign_in(client, make.user("alice"))
    assert client.get(path).status_code == 403


def test_api_ignores_session_cookies(client: TestClient, make: Factories) -> None:
    sign_in(client, make.user("alice"))
    assert client.get("/account").status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/boom", "/api/v1/boom"])
def test_an_unexpected_error_carries_the_security_headers(
    settings: Settings, engine: Engine, path: str
) -> None:
    # Starlette answers an unhandled error from outside every middleware: the handler adds
    # the headers itself. An app of its own: the suite's is shared, and keeps no test route.
    def boom() -> None:
        raise RuntimeError("a bug")

    app = create_app(settings, engine=engine)
    app.add_api_route(path, boom)
    with TestClient(app, raise_server_exceptions=False) as bare:
        answer = bare.get(path)
    assert answer.status_code == 500
    assert "a bug" not in answer.text
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"
