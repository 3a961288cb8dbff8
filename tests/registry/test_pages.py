"""Registry pages: joining, deciding, publishing, lists and profiles, with CSRF on every form."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.identity.credentials import verify_password
from accord.identity.models import MemberRole, User
from accord.registry.models import Application, ApplicationStatus
from tests.advisories.test_exports import published
from tests.advisories.test_routes import create, publisher
from tests.factories import Factories, Person, csrf_of, sign_in
from tests.registry.helpers import application_body, reread, set_security_txt_url
from tests.registry.samples import security_txt
from tests.registry.servers import Route, StaticServer

OPER = Person("oper")


def form_of(body: dict[str, object]) -> dict[str, str]:
    """An API body as the join form sends it."""
    return {key: str(value) for key, value in body.items()}


def post_form(client: TestClient, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    token = csrf_of(client.get(page).text)
    return client.post(action, data={**data, "csrf_token": token}, follow_redirects=False)


@pytest.fixture
def operator_client(client: TestClient, make: Factories) -> TestClient:
    make.user(OPER.username, operator=True)
    sign_in(client, OPER)
    return client


def assert_clean_html(html: str) -> None:
    # The CSP forbids inline script and style; a page using them would break silently.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "style=" not in html


# -- the accord ----------------------------------------------------------------------------


def test_accord_pages_show_current_and_old_versions(operator_client: TestClient) -> None:
    page = operator_client.get("/accord")
    assert page.status_code == 200
    assert "Stronger defense" in page.text
    assert_clean_html(page.text)
    form = operator_client.get("/admin/accord")
    assert form.status_code == 200
    published = operator_client.post(
        "/admin/accord",
        data={
            "title": "Second text",
            "text": "A new text of the accord, long enough.",
            "csrf_token": csrf_of(form.text),
        },
        follow_redirects=False,
    )
    assert published.status_code == 303
    assert published.headers["location"] == "/accord/versions/2"
    old = operator_client.get("/accord/versions/1")
    assert "Stronger defense" in old.text
    assert "The current text is" in old.text
    assert "/accord/versions/2" in old.text
    assert "A new text of the accord" in operator_client.get("/accord").text
    versions = operator_client.get("/accord/versions").text
    assert "Second text" in versions
    assert operator_client.get("/accord/versions/9").status_code == 404


def test_publishing_page_is_for_operators(client: TestClient, make: Factories) -> None:
    assert client.get("/admin/accord").status_code == 401
    make.user("alice")
    sign_in(client, Person("alice"))
    assert client.get("/admin/accord").status_code == 403


def test_short_text_is_refused_naming_the_field(operator_client: TestClient) -> None:
    response = post_form(
        operator_client, "/admin/accord", "/admin/accord", {"title": "Title", "text": "short"}
    )
    assert response.status_code == 422
    assert "text" in response.text


# -- joining -------------------------------------------------------------------------------


def test_join_form_stores_an_application(client: TestClient, db: Session) -> None:
    form = client.get("/join")
    assert form.status_code == 200
    assert_clean_html(form.text)
    data = {**form_of(application_body()), "agree": "yes", "csrf_token": csrf_of(form.text)}
    response = client.post("/join", data=data)
    assert response.status_code == 201
    assert "Application received" in response.text
    stored = db.scalars(select(Application)).one()
    assert stored.name == "Example Security GmbH"
    assert stored.proposal["disclosure_policy_url"] is None  # an empty box is "not given"


def test_join_form_shows_each_bad_field_and_keeps_what_was_typed(
    client: TestClient, db: Session
) -> None:
    form = client.get("/join")
    body = form_of(application_body(website="example dot com", contact_email="nope"))
    response = client.post("/join", data={**body, "csrf_token": csrf_of(form.text)})
    assert response.status_code == 422
    for field in ("website", "contact_email", "agree"):
        # Beside its field, the problem is said without the field's internal name.
        assert re.search(rf'id="{field}-error">(?!{field}: )\w', response.text), field
    assert 'value="Example Security GmbH"' in response.text
    assert db.scalars(select(Application)).all() == []


def test_join_form_reports_a_taken_name_on_its_field(client: TestClient, make: Factories) -> None:
    make.org("Example Security GmbH")
    form = client.get("/join")
    data = {**form_of(application_body()), "agree": "yes", "csrf_token": csrf_of(form.text)}
    response = client.post("/join", data=data)
    assert response.status_code == 409
    assert 'id="name-error"' in response.text


def test_join_without_the_csrf_token_is_refused(client: TestClient, db: Session) -> None:
    client.get("/join")
    response = client.post("/join", data={**form_of(application_body()), "agree": "yes"})
    assert response.status_code == 403
    assert db.scalars(select(Application)).all() == []


def test_signed_in_visitor_can_apply_without_waiting(client: TestClient, make: Factories) -> None:
    # The rate counter commits in its own transaction; it must not queue behind the
    # request's, which a signed-in visitor's session look-up has already opened.
    make.user("alice")
    sign_in(client, Person("alice"))
    form = client.get("/join")
    data = {**form_of(application_body()), "agree": "yes", "csrf_token": csrf_of(form.text)}
    started = time.monotonic()
    assert client.post("/join", data=data).status_code == 201
    assert time.monotonic() - started < 5


# -- deciding ------------------------------------------------------------------------------


def submit_through_api(client: TestClient, **overrides: object) -> int:
    response = client.post("/api/v1/applications", json=application_body(**overrides))
    assert response.status_code == 201
    return int(response.json()["id"])


def test_operator_approves_and_the_applicant_sets_a_password(
    operator_client: TestClient, db: Session
) -> None:
    number = submit_through_api(operator_client, username="ada")
    listing = operator_client.get("/admin/applications")
    assert "Example Security GmbH" in listing.text
    assert_clean_html(listing.text)
    detail = operator_client.get(f"/admin/applications/{number}")
    assert "ada@example.com" in detail.text
    approved = operator_client.post(
        f"/admin/applications/{number}/approve",
        data={
            "create_account": "true",
            "username": "",
            "reason": "",
            "csrf_token": csrf_of(detail.text),
        },
    )
    assert approved.status_code == 200
    link = re.search(r'id="setup-link">([^<]+)<', approved.text)
    assert link is not None
    path = link.group(1).removeprefix("http://testserver")
    operator_client.cookies.clear()  # the applicant's browser, not the operator's
    page = operator_client.get(path)
    assert page.status_code == 200
    assert "ada" in page.text
    token = path.split("token=")[1]
    done = operator_client.post(
        "/join/set-password",
        data={
            "token": token,
            "password": "my own long passphrase",
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/login"
    reread(db)
    ada = db.scalars(select(User).where(User.username == "ada")).one()
    assert verify_password(ada.password_hash, "my own long passphrase")
    assert operator_client.get(path).status_code == 401  # spent


def test_operator_rejects_with_a_reason(operator_client: TestClient, db: Session) -> None:
    number = submit_through_api(operator_client)
    detail = operator_client.get(f"/admin/applications/{number}")
    token = csrf_of(detail.text)
    empty = operator_client.post(
        f"/admin/applications/{number}/reject", data={"reason": "", "csrf_token": token}
    )
    assert empty.status_code == 422
    assert "reason" in empty.text
    done = operator_client.post(
        f"/admin/applications/{number}/reject",
        data={"reason": "not a technology company", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = operator_client.get(f"/admin/applications/{number}")
    assert "not a technology company" in page.text
    assert "Approve</button>" not in page.text
    rejected = operator_client.get("/admin/applications?status=rejected")
    assert "Example Security GmbH" in rejected.text
    reread(db)
    stored = db.get(Application, number)
    assert stored is not None
    assert stored.status is ApplicationStatus.REJECTED


def test_application_pages_are_for_operators(client: TestClient, make: Factories) -> None:
    number = submit_through_api(client)
    assert client.get("/admin/applications").status_code == 401
    make.user("alice")
    sign_in(client, Person("alice"))
    assert client.get("/admin/applications").status_code == 403
    assert client.get(f"/admin/applications/{number}").status_code == 403
    page = client.get("/join")
    forbidden = client.post(
        f"/admin/applications/{number}/approve", data={"csrf_token": csrf_of(page.text)}
    )
    assert forbidden.status_code == 403


# -- lists, profiles, checks ---------------------------------------------------------------


def test_lists_profiles_and_the_check_button(
    operator_client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    http_server: StaticServer,
) -> None:
    signatory = submit_through_api(operator_client)
    partner = submit_through_api(operator_client, name="Example CERT", kind="partner", type="csirt")
    for number in (signatory, partner):
        detail = operator_client.get(f"/admin/applications/{number}")
        operator_client.post(
            f"/admin/applications/{number}/approve", data={"csrf_token": csrf_of(detail.text)}
        )
    listing = operator_client.get("/signatories")
    assert 'href="/signatories/example-security-gmbh"' in listing.text
    assert 'href="/accord/versions/1"' in listing.text
    assert "Example CERT" not in listing.text
    assert "Example CERT" in operator_client.get("/partners").text
    url = http_server.route("/.well-known/security.txt", Route(security_txt().encode()))
    set_security_txt_url(session_factory, "example-security-gmbh", url)
    profile = operator_client.get("/signatories/example-security-gmbh")
    assert "Not checked yet" in profile.text
    assert "Check security.txt now" in profile.text
    # A signatory's profile leads to its progress reports; a partner's has none.
    assert 'href="/accountability/signatories/example-security-gmbh"' in profile.text
    assert (
        "/accountability/signatories/" not in operator_client.get("/signatories/example-cert").text
    )
    assert_clean_html(profile.text)
    checked = operator_client.post(
        "/orgs/example-security-gmbh/security-txt/check",
        data={"csrf_token": csrf_of(profile.text)},
        follow_redirects=False,
    )
    assert checked.status_code == 303
    after = operator_client.get("/signatories/example-security-gmbh").text
    assert "not served over HTTPS" in after
    assert "mailto:security@example.com" in after
    # A member who is not the organization's admin sees the result, not the button.
    member = make.user("member1")
    make.member(member, "example-security-gmbh", MemberRole.MEMBER)
    operator_client.cookies.clear()
    sign_in(operator_client, member)
    as_member = operator_client.get("/signatories/example-security-gmbh").text
    assert "not served over HTTPS" in as_member
    assert "Check security.txt now" not in as_member
    refused = operator_client.post(
        "/orgs/example-security-gmbh/security-txt/check",
        data={"csrf_token": csrf_of(as_member)},
    )
    assert refused.status_code == 403


def test_unknown_profile_and_bad_setup_link(client: TestClient) -> None:
    assert client.get("/signatories/nobody").status_code == 404
    bad = client.get("/join/set-password?token=setup_nothing")
    assert bad.status_code == 401
    assert "invalid, used or expired" in bad.text


def test_profile_offers_the_csaf_line_to_organizations_that_publish(
    client: TestClient, make: Factories
) -> None:
    slug, headers = publisher(make)
    quiet = make.org("Quiet Org")
    assert "CSAF:" not in client.get(f"/signatories/{quiet}").text
    assert "CSAF:" not in client.get(f"/signatories/{slug}").text
    create(client, slug, headers)  # a draft publishes nothing yet
    assert "CSAF:" not in client.get(f"/signatories/{slug}").text

    published(client, slug, headers)
    answer = client.get(f"/api/v1/csaf/security-txt/{slug}").json()
    assert answer["publishes_advisories"] is True
    page = client.get(f"/signatories/{slug}").text
    assert f"<code>{answer['line']}</code>" in page
    assert answer["line"] == "CSAF: http://testserver/.well-known/csaf/provider-metadata.json"
    assert "not served over https" in page
    quiet_answer = client.get(f"/api/v1/csaf/security-txt/{quiet}").json()
    assert quiet_answer["publishes_advisories"] is False


def test_org_admin_sets_the_cve_org_id_on_the_profile(client: TestClient, make: Factories) -> None:
    slug = make.org("Cna Page Org")
    admin = make.user()
    make.member(admin, slug, MemberRole.ADMIN)
    sign_in(client, admin)
    page = client.get(f"/signatories/{slug}").text
    assert f'action="/orgs/{slug}/cve-org-id"' in page
    given = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
    sent = client.post(
        f"/orgs/{slug}/cve-org-id",
        data={"cve_org_id": f" {given.upper()} ", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert client.get(f"/api/v1/orgs/{slug}").json()["cve_org_id"] == given
    assert f'value="{given}"' in client.get(f"/signatories/{slug}").text
    bad = client.post(
        f"/orgs/{slug}/cve-org-id",
        data={"cve_org_id": "not-a-uuid", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert bad.status_code == 422
    # Back on the profile, the mistake beside the field and what was typed kept.
    assert 'id="cve_org_id-error"' in bad.text
    assert 'value="not-a-uuid"' in bad.text
    assert client.get(f"/api/v1/orgs/{slug}").json()["cve_org_id"] == given
    cleared = client.post(
        f"/orgs/{slug}/cve-org-id",
        data={"cve_org_id": "", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert cleared.status_code == 303
    assert client.get(f"/api/v1/orgs/{slug}").json()["cve_org_id"] is None
