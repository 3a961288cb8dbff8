"""The dashboards: what an operator and an organization's members see on landing, each figure
read from the records it stands for, and where signing in lands each of them."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import MemberRole, OrgKind
from accord.jobs import services as jobs
from accord.jobs.models import Job, JobState
from accord.web.app import create_app
from tests.advisories.conftest import VULNS, import_path
from tests.disclosure.world import World
from tests.factories import Factories, sign_in


def _step(html: str, title: str) -> str:
    """How the checklist marks one step: "done" or "to do"."""
    found = re.search(
        rf"<strong>{re.escape(title)}</strong> <span class=\"muted\">\((done|to do)\)", html
    )
    assert found is not None, title
    return found.group(1)


def test_the_checklist_ticks_itself_as_the_hub_is_set_up(
    client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    settings: Settings,
    engine: Engine,
) -> None:
    sign_in(client, make.user("op", operator=True))
    page = client.get("/admin").text
    assert _step(page, "Create the first operator account") == "done"
    assert _step(page, "Load advisories") == "to do"
    assert _step(page, "Welcome the first organization") == "to do"
    assert _step(page, "Add a second operator") == "to do"
    assert "Email: not configured" in page

    import_path(session_factory, VULNS / "jinja2", settings)
    make.org("Acme")
    make.user("op2", operator=True)
    page = client.get("/admin").text
    assert _step(page, "Load advisories") == "done"
    assert _step(page, "Welcome the first organization") == "done"
    assert _step(page, "Add a second operator") == "done"
    # The import signed a checkpoint: the log's last one is shown.
    assert re.search(r"Transparency log: 5 entries under the last checkpoint", page)

    # Mail and the public address tick once the settings name them.
    configured = settings.model_copy(
        update={"smtp_host": "mail.example.org", "base_url": "http://hub.example.org"}
    )
    with TestClient(create_app(configured, engine=engine)) as other:
        sign_in(other, make.user("op3", operator=True))
        page = other.get("/admin").text
    assert _step(page, "Configure email") == "done"
    assert _step(page, "Set the public address") == "done"
    assert "Public address: http://hub.example.org" in page


def test_the_operator_sees_applications_cases_and_failing_jobs(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    world = World.build(make)
    world.report(client)
    applied = client.post(
        "/api/v1/applications",
        json={
            "name": "Example Security GmbH",
            "kind": "signatory",
            "type": "vendor",
            "country": "DE",
            "website": "https://security.example",
            "security_contact": "psirt@security.example",
            "contact_name": "Applicant Person",
            "contact_email": "applicant@security.example",
            "accord_version": 1,
        },
    )
    assert applied.status_code == 201, applied.text
    with unit_of_work(session_factory) as db:
        job = jobs.enqueue(db, kind="test.nothing", payload={})
        db.flush()
        db.get(Job, job.id).state = JobState.DEAD  # type: ignore[union-attr]
    sign_in(client, world.people["coordinator"])
    page = client.get("/admin").text
    applications = page[page.index('id="card-applications"') : page.index('id="card-cases"')]
    assert ">1</p>" in applications
    assert "Example Security GmbH" in applications
    cases = page[page.index('id="card-cases"') : page.index('id="card-jobs"')]
    assert "open, 1 of them awaiting triage." in cases
    jobs_card = page[page.index('id="card-jobs"') : page.index('id="card-health"')]
    assert "0 failing (to be retried), 1 given up." in jobs_card
    assert 'href="/admin/jobs?state=dead"' in jobs_card


def test_an_organization_sees_what_waits_on_it(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    world.report(client)  # addressed to vendor A: awaiting its triage
    sign_in(client, world.people["vendor_a"])
    page = client.get("/orgs/vendor-a").text
    waiting = page[page.index('id="card-waiting"') : page.index('id="card-embargoes"')]
    assert "SQL injection in the search endpoint" in waiting
    assert "(to triage)" in waiting

    world.open_case_after_report(client)
    moment = world.embargo(client, days=10)
    page = client.get("/orgs/vendor-a").text
    waiting = page[page.index('id="card-waiting"') : page.index('id="card-embargoes"')]
    assert f'href="/disclosure/cases/{world.case_id}"' in waiting
    assert "(our answer)" in waiting
    world.agreed_embargo(client, days=10)
    page = client.get("/orgs/vendor-a").text
    embargoes = page[page.index('id="card-embargoes"') : page.index('id="card-drafts"')]
    assert world.case_id in embargoes
    assert moment[:10] in embargoes  # the <time> element's machine-readable date
    # This quarter's figures, for a signatory: the report it received is counted.
    assert re.search(r"This quarter's figures \(\d{4}-Q[1-4]\)", page)


def test_a_draft_shows_and_only_members_see_the_dashboard(
    client: TestClient, make: Factories
) -> None:
    acme = make.org("Acme")
    make.org("Lab", kind=OrgKind.PARTNER)
    author = make.user("author")
    make.member(author, acme, MemberRole.MEMBER)
    stranger = make.user("stranger")
    make.member(stranger, "lab", MemberRole.ADMIN)
    headers = make.bearer(author)
    draft = client.post(
        f"/api/v1/advisories/orgs/{acme}",
        json={
            "summary": "Widget parser overflow",
            "details": "A long attribute overflows a buffer.",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "acme-widgets"},
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}
                    ],
                }
            ],
        },
        headers=headers,
    )
    assert draft.status_code == 201, draft.text
    sign_in(client, author)
    page = client.get(f"/orgs/{acme}").text
    drafts = page[page.index('id="card-drafts"') : page.index('id="card-securitytxt"')]
    assert "Widget parser overflow" in drafts
    # A member's menu holds no admin page.
    assert f'href="/orgs/{acme}/webhooks"' not in page
    sign_in(client, stranger)
    assert client.get(f"/orgs/{acme}").status_code == 403
    partner = client.get("/orgs/lab").text
    assert "This quarter" not in partner  # a partner publishes no progress figures
    assert 'href="/orgs/lab/accountability"' not in partner
    assert 'href="/orgs/lab/webhooks"' in partner


def test_signing_in_lands_each_person_on_their_dashboard(
    client: TestClient, make: Factories
) -> None:
    acme = make.org("Acme")
    member, plain, operator = make.user("m"), make.user("p"), make.user("o", operator=True)
    make.member(member, acme, MemberRole.MEMBER)

    def landing(person: object, next_page: str | None = None) -> str:
        client.cookies.clear()
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        data = {"username": person.username, "password": person.password}  # type: ignore[attr-defined]
        data["csrf_token"] = token.group(1)
        if next_page:
            data["next"] = next_page
        answer = client.post("/login", data=data, follow_redirects=False)
        assert answer.status_code == 303
        return answer.headers["location"]

    assert landing(member) == f"/orgs/{acme}"
    assert landing(operator) == "/admin"
    assert landing(plain) == "/account"
    assert landing(member, "/advisories") == "/advisories"  # a page asked for is kept


def test_the_header_offers_each_role_its_menus(client: TestClient, make: Factories) -> None:
    acme = make.org("Acme")
    admin = make.user("boss")
    make.member(admin, acme, MemberRole.ADMIN)
    anonymous = client.get("/").text
    assert 'href="/accountability"' in anonymous
    assert 'href="/sharing"' in anonymous
    assert 'href="/join"' in anonymous
    assert "<summary>Acme</summary>" not in anonymous
    sign_in(client, admin)
    page = client.get("/").text.split("</header>")[0]
    assert "<summary>Acme</summary>" in page
    for path in ("", "/advisories", "/members", "/webhooks", "/accountability"):
        assert f'href="/orgs/{acme}{path}"' in page
    assert 'href="/disclosure"' in page
    assert 'href="/admin' not in page
    assert 'href="/join"' not in page
    # Spanish: the menus' words are translated too.
    spanish = client.get("/", headers={"Accept-Language": "es"}).text
    assert "Informes de progreso" in spanish
    assert ">Menú</summary>" in spanish


def test_an_admin_edits_the_profile_and_mistakes_come_back_beside_their_fields(
    client: TestClient, make: Factories
) -> None:
    acme = make.org("Acme")
    admin, member = make.user("boss"), make.user("staff")
    make.member(admin, acme, MemberRole.ADMIN)
    make.member(member, acme, MemberRole.MEMBER)
    sign_in(client, member)
    assert client.get(f"/orgs/{acme}/profile").status_code == 403
    assert f'href="/orgs/{acme}/profile"' not in client.get(f"/orgs/{acme}").text

    sign_in(client, admin)
    dashboard = client.get(f"/orgs/{acme}").text
    assert f'href="/orgs/{acme}/profile"' in dashboard
    form = client.get(f"/orgs/{acme}/profile").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    typed = {
        "csrf_token": token.group(1),
        "website": "not a web address",
        "security_contact": "psirt@acme.example",
        "description": "We make widgets.",
        "security_txt_url": "",
    }
    wrong = client.post(f"/orgs/{acme}/profile", data=typed)
    assert wrong.status_code == 422
    assert 'id="website-error"' in wrong.text
    assert 'value="not a web address"' in wrong.text  # what was typed is kept
    assert "We make widgets." in wrong.text
    typed["website"] = "https://widgets.example"
    typed["security_txt_url"] = "https://widgets.example/security.txt"
    saved = client.post(f"/orgs/{acme}/profile", data=typed, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/orgs/{acme}/profile?saved=true"
    public = client.get(f"/signatories/{acme}").text
    assert "https://widgets.example" in public
    assert "We make widgets." in public
    api = client.get(f"/api/v1/orgs/{acme}").json()
    assert api["security_txt_url"] == "https://widgets.example/security.txt"
