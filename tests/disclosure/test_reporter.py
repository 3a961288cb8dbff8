"""The reporter's side: who may see their contact and name (their choice, coordinators only
by default), their whole report on the private page with what happens next, and files
added after sending under the report's own rules."""

from __future__ import annotations

import base64
from typing import Any

from fastapi.testclient import TestClient

from tests.disclosure.test_pages import Page
from tests.disclosure.world import REPORT, World
from tests.factories import Factories, csrf_of, sign_in

NAME = "Ada Lovelace-Finder"


def _case(client: TestClient, world: World, role: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/disclosure/cases/{world.case_id}", headers=world.headers(role))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_by_default_only_coordinators_see_the_reporters_contact_and_name(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.report(client, name=NAME)
    world.open_case_after_report(client)
    for role in ("vendor_a", "vendor_b"):
        seen = _case(client, world, role)
        assert (seen["contact"], seen["reporter_name"], seen["credit"]) == (None, None, None)
        client.cookies.clear()
        sign_in(client, world.people[role])
        html = client.get(f"/disclosure/cases/{world.case_id}").text
        for secret in (REPORT["contact"], NAME, REPORT["credit"]):
            assert secret not in html, (role, secret)
        assert "coordinators only" in Page(html).text["reporter-contact"]
    seen = _case(client, world, "coordinator")
    assert (seen["contact"], seen["reporter_name"], seen["credit"]) == (
        REPORT["contact"],
        NAME,
        REPORT["credit"],
    )
    # The reporter sees their choice stated on the private page.
    client.cookies.clear()
    page = Page(client.get(f"/disclosure/follow?token={world.report_token}").text)
    assert page.text["contact-privacy"] == "the hub's coordinators only"
    assert page.text["name-privacy"].startswith("the hub's coordinators only")


def test_a_reporter_may_let_vendors_see_contact_and_name_through_the_form(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    form = client.get("/disclosure/report").text
    assert "Who may see your name and contact" in form
    sent = client.post(
        "/disclosure/report",
        data={
            **REPORT,
            "name": NAME,
            "vendors_see_contact": "true",
            "vendors_see_name": "true",
            "csrf_token": csrf_of(form),
        },
    )
    assert sent.status_code == 201, sent.text
    link = Page(sent.text).text["private-link"]
    world.report_token = link.split("token=", 1)[1]
    mine = client.get("/api/v1/disclosure/report", headers=world.headers("reporter")).json()
    assert (mine["vendors_see_contact"], mine["vendors_see_name"], mine["name"]) == (
        True,
        True,
        NAME,
    )
    world.case_id = mine["id"]
    seen = _case(client, world, "vendor_a")
    assert (seen["contact"], seen["reporter_name"], seen["credit"]) == (
        REPORT["contact"],
        NAME,
        REPORT["credit"],
    )


def test_the_private_page_shows_the_whole_report_and_what_happens_next(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.report(client)
    page = Page(client.get(f"/disclosure/follow?token={world.report_token}").text)
    report = page.text["your-report"]
    for field in ("description", "steps_to_reproduce", "proof_of_concept", "impact"):
        assert " ".join(REPORT[field].split()) in report, field
    assert "waits for triage" in page.text["next-step"]
    world.open_case_after_report(client)
    page = Page(client.get(f"/disclosure/follow?token={world.report_token}").text)
    assert "Your report is a case" in page.text["next-step"]
    api = client.get("/api/v1/disclosure/report", headers=world.headers("reporter")).json()
    assert api["steps_to_reproduce"] == REPORT["steps_to_reproduce"]
    assert api["impact"] == REPORT["impact"]


def _file(name: str, data: bytes, kind: str = "text/plain") -> dict[str, str]:
    return {
        "filename": name,
        "content_type": kind,
        "data_base64": base64.b64encode(data).decode(),
    }


def test_the_reporter_adds_files_after_sending_under_the_same_rules(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.report(client, attachments=[_file("first.txt", b"first")])
    add = "/api/v1/disclosure/report/attachments"
    # The report's rules: a type off the list, or HTML dressed as text, is refused by field.
    bad = client.post(
        add,
        json={"attachments": [_file("x.html", b"<html><script>1</script>", "text/plain")]},
        headers=world.headers("reporter"),
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "attachments.0"), bad.text
    too_many = [_file(f"f{i}.txt", b"more") for i in range(5)]
    over = client.post(add, json={"attachments": too_many}, headers=world.headers("reporter"))
    assert (over.status_code, over.json()["field"]) == (422, "attachments"), over.text
    added = client.post(
        add,
        json={"attachments": [_file("later.txt", b"found more")]},
        headers=world.headers("reporter"),
    )
    assert added.status_code == 201, added.text
    files = {a["filename"] for a in _case(client, world, "vendor_a")["attachments"]}
    assert files == {"first.txt", "later.txt"}
    # Nobody else adds through the reporter's route.
    assert client.post(add, json={"attachments": [_file("y.txt", b"y")]}).status_code == 404
    # The page: a refused file comes back with the reason beside the field.
    page = client.get(f"/disclosure/follow?token={world.report_token}")
    sent = client.post(
        "/disclosure/follow/attachments",
        data={"token": world.report_token, "csrf_token": csrf_of(page.text)},
        files={"files": ("bad.svg", b"<svg onload=alert(1)>", "text/plain")},
    )
    assert sent.status_code == 422
    assert "files" in Page(sent.text).errors
    ok = client.post(
        "/disclosure/follow/attachments",
        data={"token": world.report_token, "csrf_token": csrf_of(page.text)},
        files={"files": ("notes.txt", b"plain notes", "text/plain")},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert "notes.txt" in client.get(f"/disclosure/follow?token={world.report_token}").text


def test_the_report_record_carries_the_language_the_reporter_wrote_from(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    sent = client.post(
        "/api/v1/disclosure/reports",
        json=REPORT,
        headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"},
    )
    assert sent.status_code == 201, sent.text
    world.report_token, world.public_id = sent.json()["token"], sent.json()["id"]
    world.case_id = world.public_id
    assert _case(client, world, "coordinator")["language"] == "es"
    own = client.get("/api/v1/disclosure/report", headers=world.headers("reporter"))
    assert own.status_code == 200, own.text
    assert own.json()["language"] == "es"
    # No Accept-Language, or none the hub speaks: no language known (the reporter reads English).
    for headers in ({}, {"Accept-Language": "de-DE"}):
        again = client.post("/api/v1/disclosure/reports", json=REPORT, headers=headers)
        assert again.status_code == 201, again.text
        world.case_id = again.json()["id"]
        assert _case(client, world, "coordinator")["language"] is None
