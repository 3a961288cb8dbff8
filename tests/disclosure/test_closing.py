"""A case's end without publication: a coordinator closes it with a reason (API and page),
it is read-only and listed as closed with its reason, and a coordinator reopens it. An open
case with no activity for a while is shown as inactive."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from accord.clock import utcnow
from accord.db import unit_of_work
from accord.disclosure.models import DisclosureCase
from accord.identity.models import AuditEvent
from tests.disclosure.test_pages import Page
from tests.disclosure.world import World
from tests.factories import Factories, csrf_of, sign_in

API = "/api/v1/disclosure/cases/{}"


def test_a_coordinator_closes_with_a_reason_and_the_case_turns_read_only(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    case = world.open_case(client)
    url = API.format(case)
    closed = client.post(
        f"{url}/close",
        json={"reason": "fixed_no_advisory", "note": "fixed in 2.2 before anyone noticed"},
        headers=world.headers("coordinator"),
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert (body["status"], body["close_reason"]) == ("closed", "fixed_no_advisory")
    assert body["triage_reason"] == "fixed in 2.2 before anyone noticed"
    assert body["closed_at"] is not None
    # The history says so, for every participant, and the audit log keeps who did it.
    history = client.get(f"{url}/history", headers=world.headers("vendor_b")).json()
    assert history[-1]["kind"] == "case_closed"
    assert "fixed without an advisory" in history[-1]["summary"]
    with unit_of_work(make.factory) as db:
        audit = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "disclosure.case_closed")
        ).all()
    assert [(a.target, a.details["reason"]) for a in audit] == [(case, "fixed_no_advisory")]
    # The inbox lists it as closed, with its reason, and no longer as open.
    inbox = lambda view: client.get(  # noqa: E731
        f"/api/v1/disclosure/inbox?view={view}", headers=world.headers("vendor_b")
    ).json()["items"]
    assert inbox("open") == []
    [row] = inbox("closed")
    assert (row["ref"], row["phase"], row["close_reason"]) == (case, "closed", "fixed_no_advisory")
    # Read-only: no messages from a vendor, the coordinator or the reporter; no invitations.
    for role in ("vendor_a", "coordinator"):
        refused = client.post(f"{url}/messages", json={"body": "hi"}, headers=world.headers(role))
        assert (refused.status_code, refused.json()["field"]) == (409, "body"), role
    by_reporter = client.post(
        "/api/v1/disclosure/report/messages", json={"body": "hi"}, headers=world.headers("reporter")
    )
    assert by_reporter.status_code == 409, by_reporter.text
    invited = client.post(
        f"{url}/vendors",
        json={"organization": "other-vendor"},
        headers=world.headers("coordinator"),
    )
    assert invited.status_code == 409, invited.text
    # A vendor may not reopen it; a coordinator may, and the case takes messages again.
    assert client.post(f"{url}/reopen", headers=world.headers("vendor_a")).status_code == 403
    reopened = client.post(f"{url}/reopen", headers=world.headers("coordinator"))
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["close_reason"]) == ("open", None)
    sent = client.post(f"{url}/messages", json={"body": "again"}, headers=world.headers("vendor_a"))
    assert sent.status_code == 201, sent.text
    kinds = [
        e["kind"] for e in client.get(f"{url}/history", headers=world.headers("coordinator")).json()
    ]
    assert kinds[-3:] == ["case_closed", "case_reopened", "message"]


def test_closing_needs_an_open_case_and_words_for_other(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    case = world.open_case(client)
    headers = world.headers("coordinator")
    other = client.post(API.format(case) + "/close", json={"reason": "other"}, headers=headers)
    assert (other.status_code, other.json()["field"]) == (422, "note")
    unknown = client.post(API.format(case) + "/close", json={"reason": "bored"}, headers=headers)
    assert (unknown.status_code, unknown.json()["field"]) == (422, "reason")
    report = world.report(client, title="Another report on the search endpoint")["id"]
    early = client.post(
        API.format(report) + "/close", json={"reason": "withdrawn"}, headers=headers
    )
    assert early.status_code == 409, early.text  # a report is closed at triage instead
    again = client.post(API.format(case) + "/reopen", headers=headers)
    assert again.status_code == 409, again.text  # open already


def test_the_case_page_close_form_keeps_the_input_and_shows_the_error_beside_it(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    case = world.open_case(client)
    sign_in(client, world.people["coordinator"])
    page = f"/disclosure/cases/{case}"
    token = csrf_of(client.get(page).text)
    sent = client.post(
        f"{page}/close",
        data={"reason": "other", "note": "  ", "csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status_code == 422, sent.text[:300]
    shown = Page(sent.text)
    assert "say why" in shown.errors["close_note"]
    assert re.search(r'<option value="other" selected>', sent.text)
    typed = "the reporter found it was their own plugin"
    sent = client.post(
        f"{page}/close",
        data={"reason": "other", "note": typed, "csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:300]
    shown = Page(client.get(page).text)
    assert shown.text["case-status"] == f"closed: other: {typed}"
    assert "closed-notice" in shown.text
    assert "message-form" not in shown.text
    assert "reopen-form" in shown.text
    assert "close-form" not in shown.text
    # A vendor sees the closed case without the coordinator's forms.
    sign_in(client, world.people["vendor_a"])
    vendor_view = Page(client.get(page).text)
    assert "reopen-form" not in vendor_view.text
    assert "closed-notice" in vendor_view.text
    sign_in(client, world.people["coordinator"])
    token = csrf_of(client.get(page).text)  # a new sign-in has a new CSRF token
    reopened = client.post(f"{page}/reopen", data={"csrf_token": token}, follow_redirects=False)
    assert reopened.status_code == 303
    shown = Page(client.get(page).text)
    assert shown.text["case-status"] == "open case"
    assert "message-form" in shown.text


def test_an_open_case_without_activity_for_sixty_days_is_inactive(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    case = world.open_case(client)
    headers = world.headers("vendor_b")
    assert client.get(API.format(case), headers=headers).json()["inactive"] is False
    with unit_of_work(make.factory) as db:
        db.execute(
            update(DisclosureCase)
            .where(DisclosureCase.ref == case)
            .values(updated_at=utcnow() - timedelta(days=61))
        )
    assert client.get(API.format(case), headers=headers).json()["inactive"] is True
    [row] = client.get("/api/v1/disclosure/inbox", headers=headers).json()["items"]
    assert row["inactive"] is True
    # Any activity ends it.
    client.post(API.format(case) + "/messages", json={"body": "still there?"}, headers=headers)
    assert client.get(API.format(case), headers=headers).json()["inactive"] is False
