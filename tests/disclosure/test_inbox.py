"""The inbox: views (open, waiting on me, embargo ending soon, closed, all), closed reports
with their reason, published cases still findable, organization names, unread counts for
every role, and counts in words that agree with their number."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from accord.db import unit_of_work
from accord.disclosure.models import CaseStatus, DisclosureCase
from tests.disclosure.test_pages import Page
from tests.disclosure.world import World
from tests.factories import Factories, sign_in


def _inbox(client: TestClient, world: World, role: str, view: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/disclosure/inbox?view={view}", headers=world.headers(role))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_views_keep_closed_and_published_cases_findable(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    case = world.open_case(client)  # vendor A opened it, vendor B has not answered
    spam = world.report(client, title="Buy cheap watches now, the best watches")["id"]
    triaged = client.post(
        f"/api/v1/disclosure/cases/{spam}/triage",
        json={"action": "spam", "reason": "advertising, not a report"},
        headers=world.headers("vendor_a"),
    )
    assert triaged.status_code == 200, triaged.text
    published = world.report(client, title="XSS in the admin panel of the shop")["id"]
    with unit_of_work(make.factory) as db:
        db.execute(
            update(DisclosureCase)
            .where(DisclosureCase.public_id == published)
            .values(status=CaseStatus.PUBLISHED)
        )
    world.case_id = case  # reporting again moved the world to the new report
    ids = lambda items: [i["ref"] or i["id"] for i in items]  # noqa: E731
    assert ids(_inbox(client, world, "vendor_a", "open")) == [case]
    closed = _inbox(client, world, "vendor_a", "closed")
    assert set(ids(closed)) == {spam, published}
    by_id = {i["id"]: i for i in closed}
    assert (by_id[spam]["phase"], by_id[spam]["triage_reason"]) == (
        "closed",
        "advertising, not a report",
    )
    assert by_id[published]["phase"] == "published"
    assert len(_inbox(client, world, "vendor_a", "all")) == 3
    assert _inbox(client, world, "vendor_a", "all")[0]["organization_name"] == "Vendor A"
    # Waiting on me: vendor B has not answered; vendor A has (it opened the case, but its
    # status is still "no reply" until it states one).
    assert ids(_inbox(client, world, "vendor_b", "waiting")) == [case]
    stated = client.put(
        f"/api/v1/disclosure/cases/{case}/vendors/vendor-b/status",
        json={"status": "affected"},
        headers=world.headers("vendor_b"),
    )
    assert stated.status_code == 200
    assert _inbox(client, world, "vendor_b", "waiting") == []
    # Embargo ending soon: within a week.
    assert _inbox(client, world, "vendor_a", "ending") == []
    moment = world.embargo(client, days=3)
    # A proposal waits on every vendor's acceptance, and ends nothing until it is in force.
    assert ids(_inbox(client, world, "vendor_b", "waiting")) == [case]
    assert _inbox(client, world, "vendor_a", "ending") == []
    world.accept(client, "vendor_a", "vendor-a", moment)
    world.accept(client, "vendor_b", "vendor-b", moment)
    assert _inbox(client, world, "vendor_b", "waiting") == []
    assert ids(_inbox(client, world, "vendor_a", "ending")) == [case]
    # The page: the views as links, closed rows with their reason, names not slugs.
    sign_in(client, world.people["vendor_a"])
    html = client.get("/disclosure?view=closed").text
    assert "advertising, not a report" in html
    assert "closed: spam" in html
    assert ">Vendor A<" in html
    assert ">vendor-a<" not in html
    assert Page(html).text["inbox-total"].startswith("2 reports and cases.")
    one = Page(client.get("/disclosure?view=ending").text).text["inbox-total"]
    assert one.startswith("1 report or case.")
    assert client.get("/disclosure?view=nonsense").status_code == 422


def test_unread_counts_show_for_every_role(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    case = world.open_case(client)
    for role, audience in (("coordinator", "all"), ("vendor_a", "vendors")):
        r = client.post(
            f"/api/v1/disclosure/cases/{case}/messages",
            json={"body": f"from {role}", "audience": audience},
            headers=world.headers(role),
        )
        assert r.status_code == 201
    secret = client.post(
        f"/api/v1/disclosure/cases/{case}/messages",
        json={"body": "for a", "audience": "vendor", "vendor": "vendor-a"},
        headers=world.headers("coordinator"),
    )
    assert secret.status_code == 201
    expected = {"coordinator": 3, "vendor_a": 3, "vendor_b": 2}
    for role, count in expected.items():
        assert [i["unread"] for i in _inbox(client, world, role, "open")] == [count], role
        client.cookies.clear()
        sign_in(client, world.people[role])
        html = client.get("/disclosure").text
        assert f"{count} unread" in html, role


def test_a_vendor_not_affected_does_not_wait_on_an_embargo(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    case = world.case_id
    world.embargo(client, days=10)
    assert [i["ref"] for i in _inbox(client, world, "vendor_b", "waiting")] == [case]
    world.state(client, "vendor-b", "not_affected", justification="vulnerable_code_not_present")
    # It holds no embargo (embargo.holding_proposal): nothing waits on it.
    assert _inbox(client, world, "vendor_b", "waiting") == []
