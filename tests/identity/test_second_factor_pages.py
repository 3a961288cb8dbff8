"""Second factors through the pages: the two-step sign-in, enrolment being required, the
step-up before a sensitive action, and the browser sessions a person sees and ends."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity import bootstrap
from accord.identity.models import AuditEvent, MemberRole, Membership, User, WebSession
from accord.jobs.models import Job
from tests.factories import Factories, Person, csrf_of

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def _password_step(client: TestClient, person: Person, next_: str = "/") -> str:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={
            "username": person.username,
            "password": person.password,
            "csrf_token": token,
            "next": next_,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return answer.headers["location"]


def _code_step(
    client: TestClient, code: str, *, next_: str = "/", recovery: bool = False
) -> object:
    token = csrf_of(client.get("/login/second-factor", params={"next": next_}).text)
    data = {"code": code, "csrf_token": token, "next": next_}
    if recovery:
        data["recovery"] = "true"
    return client.post("/login/second-factor", data=data, follow_redirects=False)


def _next_code(totp: pyotp.TOTP) -> str:
    # The code of the coming step: accepted within the drift, and never one already spent.
    return totp.at(time.time() + 30)


def test_sign_in_asks_for_the_second_factor_and_the_pending_half_does_nothing(
    client: TestClient, make: Factories, db: Session
) -> None:
    person = make.user("psirt")
    totp = make.totp(person)
    where = _password_step(client, person, next_="/account")
    assert urlsplit(where).path == "/login/second-factor"
    assert parse_qs(urlsplit(where).query)["next"] == ["/account"]
    # Half signed in: the account is out of reach, and the page asks for a code.
    assert client.get("/account", follow_redirects=False).status_code == 401
    form = client.get(where)
    assert "Six-digit code" in form.text
    assert "Recovery code" in form.text
    wrong = _code_step(client, "000000" if totp.now() != "000000" else "111111", next_="/account")
    assert wrong.status_code == 401  # type: ignore[attr-defined]
    assert "wrong, expired or already used" in wrong.text  # type: ignore[attr-defined]
    db.rollback()
    refused = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.factor_refused").order_by(AuditEvent.id)
    ).all()
    assert [r.target for r in refused] == ["psirt"]  # committed with the refusal
    right = _code_step(client, _next_code(totp), next_="/account")
    assert right.status_code == 303
    assert right.headers["location"] == "/account"
    assert client.get("/account").status_code == 200
    db.rollback()
    rows = db.scalars(select(WebSession)).all()
    assert len(rows) == 1
    assert not rows[0].pending
    assert rows[0].factor_at is not None


def test_a_pending_sign_in_expires(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    person = make.user("psirt")
    totp = make.totp(person)
    _password_step(client, person)
    with unit_of_work(session_factory) as s:
        s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    answer = _code_step(client, _next_code(totp))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"


def test_a_member_of_an_organization_that_requires_it_can_only_enrol(
    client: TestClient, make: Factories, app: FastAPI
) -> None:
    slug = make.org("Acme")
    admin, member = make.user("admin1"), make.user("member1")
    make.member(admin, slug, MemberRole.ADMIN)
    make.member(member, slug, MemberRole.MEMBER)
    bearer = make.bearer(member)
    make.session(client, admin)
    page = client.get(f"/orgs/{slug}/members")
    assert "Members must use a second factor" in page.text
    saved = client.post(
        f"/orgs/{slug}/second-factor",
        data={"require": "true", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    client.cookies.clear()
    make.session(client, member)
    sent = client.get(f"/orgs/{slug}/members", follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/account/security"
    security = client.get("/account/security")
    assert security.status_code == 200
    assert 'id="must-enrol"' in security.text
    api = client.get(f"/api/v1/orgs/{slug}/members", headers=bearer)
    assert api.status_code == 403
    assert api.json()["error"] == "second_factor_required"
    # Enrolling is the one thing left to do; afterwards the member is let through.
    begun = client.post(
        "/account/factors/totp", data={"name": "phone", "csrf_token": csrf_of(security.text)}
    )
    assert begun.status_code == 201
    secret = begun.text.split('id="totp-secret">')[1].split("<")[0]
    factor_id = begun.text.split("/account/factors/totp/")[1].split("/")[0]
    confirmed = client.post(
        f"/account/factors/totp/{factor_id}/confirm",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_of(begun.text)},
    )
    assert confirmed.status_code == 201
    assert 'id="recovery-codes"' in confirmed.text
    assert client.get(f"/orgs/{slug}/members").status_code == 200
    assert client.get(f"/api/v1/orgs/{slug}/members", headers=bearer).status_code == 200


def test_an_operator_past_the_grace_is_sent_to_enrol_and_within_it_is_reminded(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    operator = make.user("oper", operator=True)
    make.session(client, operator)
    home = client.get("/")
    assert 'id="enrol-banner"' in home.text
    assert client.get("/admin/users").status_code == 200
    with unit_of_work(session_factory) as s:
        s.execute(update(User).values(second_factor_grace_until=utcnow() - timedelta(minutes=1)))
    sent = client.get("/admin/users", follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/account/security"
    assert client.get("/account/security").status_code == 200


def test_a_sensitive_action_asks_for_the_factor_again_then_goes_back(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session], db: Session
) -> None:
    slug = make.org("Acme")
    admin = make.user("admin1")
    make.user("bob")
    make.member(admin, slug, MemberRole.ADMIN)
    totp = make.totp(admin)
    make.session(client, admin)  # signed in, but no factor proved in this browser yet
    page = client.get(f"/orgs/{slug}/members")
    members_url = f"http://testserver/orgs/{slug}/members"
    data = {"username": "bob", "role": "member", "csrf_token": csrf_of(page.text)}
    asked = client.post(
        f"/orgs/{slug}/members", data=data, headers={"Referer": members_url}, follow_redirects=False
    )
    assert asked.status_code == 303
    target = urlsplit(asked.headers["location"])
    assert target.path == "/login/second-factor"
    assert parse_qs(target.query)["next"] == [f"/orgs/{slug}/members"]
    db.rollback()
    bob_roles = db.scalars(select(Membership.role).join(User).where(User.username == "bob")).all()
    assert bob_roles == []  # nothing was done before the proof
    proved = _code_step(client, _next_code(totp), next_=f"/orgs/{slug}/members")
    assert proved.headers["location"] == f"/orgs/{slug}/members"  # type: ignore[attr-defined]
    done = client.post(f"/orgs/{slug}/members", data=data, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/orgs/{slug}/members"


def test_sessions_are_listed_and_ended_and_a_new_factor_ends_the_others(
    app: FastAPI, make: Factories, db: Session
) -> None:
    person = make.user("psirt")
    with (
        TestClient(app, base_url="http://testserver", headers={"User-Agent": FIREFOX}) as laptop,
        TestClient(app, base_url="http://testserver") as phone,
        TestClient(app, base_url="http://testserver") as tablet,
    ):
        for browser in (laptop, phone, tablet):
            _password_step(browser, person)
        page = laptop.get("/account/security")
        assert "Firefox · Linux" in page.text
        assert "this browser" in page.text
        db.rollback()
        tablet_id = max(row.id for row in db.scalars(select(WebSession)))
        ended = laptop.post(
            f"/account/sessions/{tablet_id}/end",
            data={"csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert ended.status_code == 303
        assert tablet.get("/account", follow_redirects=False).status_code == 401
        assert phone.get("/account").status_code == 200
        # A new factor ends every other session of the account.
        begun = laptop.post(
            "/account/factors/totp", data={"name": "phone", "csrf_token": csrf_of(page.text)}
        )
        secret = begun.text.split('id="totp-secret">')[1].split("<")[0]
        factor_id = begun.text.split("/account/factors/totp/")[1].split("/")[0]
        laptop.post(
            f"/account/factors/totp/{factor_id}/confirm",
            data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_of(begun.text)},
        )
        assert phone.get("/account", follow_redirects=False).status_code == 401
        assert laptop.get("/account").status_code == 200
    db.rollback()
    actions = [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "session.end" in actions
    assert "factor.add" in actions
    mails = db.scalars(select(Job).where(Job.kind == "notifications.email")).all()
    assert [m.payload["to"] for m in mails] == ["psirt@example.org"] * 2  # the factor, the codes


def test_the_first_operator_of_a_new_hub_gets_the_grace_period_to_enrol(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings, db: Session
) -> None:
    with unit_of_work(session_factory) as s:
        secret = bootstrap.issue_bootstrap(s, settings=settings)
    form = client.get("/bootstrap", params={"token": secret})
    created = client.post(
        "/bootstrap",
        data={
            "token": secret,
            "username": "firstop",
            "email": "firstop@example.org",
            "password": "a long enough password",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert created.status_code == 200
    assert 'id="enrol-banner"' in created.text
    db.rollback()
    grace = db.scalar(select(User.second_factor_grace_until))
    assert grace is not None
    expected = utcnow() + timedelta(hours=settings.second_factor_grace_hours)
    assert abs((grace - expected).total_seconds()) < 60
    # Within the grace the operator runs the hub.
    assert client.get("/admin/users").status_code == 200


def test_bad_answers_at_the_second_step_are_refused_never_a_crash(
    client: TestClient, make: Factories
) -> None:
    person = make.user("psirt")
    make.totp(person)
    _password_step(client, person)
    token = csrf_of(client.get("/login/second-factor").text)
    json_ = {"Accept": "application/json"}
    for credential in ("", "not json", "[]", '{"id": 5}', '{"rawId": "!!", "response": {}}'):
        options = client.post(
            "/login/second-factor/webauthn/options", data={"csrf_token": token}, headers=json_
        )
        assert options.status_code == 200
        answer = client.post(
            "/login/second-factor/webauthn",
            data={"credential": credential, "csrf_token": token},
            headers=json_,
        )
        assert answer.status_code in (401, 422), credential
        assert answer.json()["field"] == "credential"
    too_long = client.post(
        "/login/second-factor", data={"code": "1" * 65, "csrf_token": token}, headers=json_
    )
    assert too_long.status_code == 422
    assert too_long.json()["field"] == "code"
    for code in ("abc", "12 34 56", "-12345"):
        refused = _code_step(client, code)
        assert refused.status_code == 422  # type: ignore[attr-defined]
        assert "six digits" in refused.text  # type: ignore[attr-defined]


def test_a_wrong_code_at_enrolment_shows_the_same_enrolment_again_with_the_mistake(
    client: TestClient, make: Factories
) -> None:
    person = make.user("enrolling")
    make.session(client, person)
    security = client.get("/account/security")
    begun = client.post(
        "/account/factors/totp", data={"name": "phone", "csrf_token": csrf_of(security.text)}
    )
    assert begun.status_code == 201
    secret = begun.text.split('id="totp-secret">')[1].split("<")[0]
    factor_id = begun.text.split("/account/factors/totp/")[1].split("/")[0]
    right = pyotp.TOTP(secret).now()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    refused = client.post(
        f"/account/factors/totp/{factor_id}/confirm",
        data={"code": wrong, "csrf_token": csrf_of(begun.text)},
    )
    assert refused.status_code == 422
    assert 'id="confirm-error"' in refused.text
    # The same enrolment is offered again, its secret unchanged, and it still confirms.
    assert f'id="totp-secret">{secret}<' in refused.text
    confirmed = client.post(
        f"/account/factors/totp/{factor_id}/confirm",
        data={"code": _next_code(pyotp.TOTP(secret)), "csrf_token": csrf_of(refused.text)},
    )
    assert confirmed.status_code == 201
