"""Messages reach exactly the audience their author chose: the journey that once leaked (a
reply "to the reporter" under a message to everyone, read by another vendor), the form that
offers only what the viewer may write to and keeps the text of a refused message, and the
API's answers naming ``audience``."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.disclosure.test_pages import Page
from tests.disclosure.world import World
from tests.factories import Factories, csrf_of, sign_in

SECRET = "Only for the reporter: our fix lands in 2.2.1 next Tuesday."


def _api_post(client: TestClient, world: World, role: str, **body: object) -> int:
    r = client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/messages",
        json=body,
        headers=world.headers(role),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _bodies(client: TestClient, world: World, role: str) -> list[str]:
    path = (
        "/api/v1/disclosure/report/messages"
        if role == "reporter"
        else f"/api/v1/disclosure/cases/{world.case_id}/messages"
    )
    r = client.get(path, headers=world.headers(role))
    assert r.status_code == 200, r.text
    return [m["body"] for m in r.json()["messages"]]


def _options(html: str) -> list[str]:
    select = re.search(r'<select name="audience".*?</select>', html, re.S)
    assert select, "the page has no audience choice"
    return re.findall(r'<option value="([^"]*)"', select.group(0))


def test_a_reply_to_the_reporter_under_a_message_to_everyone_never_reaches_another_vendor(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    to_everyone = _api_post(client, world, "coordinator", body="Can everyone confirm?")
    # Vendor A on the case page: "To: reporter" is not offered to a vendor at all.
    sign_in(client, world.people["vendor_a"])
    page = client.get(f"/disclosure/cases/{world.case_id}")
    assert "reporter" not in _options(page.text)
    assert _options(page.text) == ["", "all", "vendors", "vendor:vendor-a"]
    # Sent anyway (an old form, a crafted post), with "Reply to message #2" filled in: the
    # page comes back refusing, the reason beside the audience, the text kept.
    sent = client.post(
        f"/disclosure/cases/{world.case_id}/messages",
        data={
            "body": SECRET,
            "audience": "reporter",
            "parent_id": str(to_everyone),
            "csrf_token": csrf_of(page.text),
        },
    )
    assert sent.status_code == 403
    form = Page(sent.text)
    assert form.values["body"].strip() == SECRET
    assert form.values["parent_id"] == str(to_everyone)
    assert "audience" in form.errors
    assert set(form.errors) == {"audience"}
    # Nobody reads it, because it was never stored: not vendor B, not anyone.
    for role in ("vendor_b", "vendor_a", "coordinator", "reporter"):
        assert SECRET not in _bodies(client, world, role), role
    client.cookies.clear()
    sign_in(client, world.people["vendor_b"])
    assert SECRET not in client.get(f"/disclosure/cases/{world.case_id}").text
    # The same through the API: a 403 naming the audience.
    r = client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/messages",
        json={"body": SECRET, "audience": "reporter", "parent_id": to_everyone},
        headers=world.headers("vendor_a"),
    )
    assert (r.status_code, r.json()["field"]) == (403, "audience")


def test_a_reply_keeps_or_narrows_its_threads_audience_and_never_widens_it(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    to_a = _api_post(
        client, world, "coordinator", body="for a", audience="vendor", vendor="vendor-a"
    )
    # Widening a private thread to everyone is refused, naming the audience.
    for audience in ("all", "vendors"):
        r = client.post(
            f"/api/v1/disclosure/cases/{world.case_id}/messages",
            json={"body": "to all?", "audience": audience, "parent_id": to_a},
            headers=world.headers("vendor_a"),
        )
        assert (r.status_code, r.json()["field"]) == (422, "audience"), r.text
    # A coordinator narrowing a message to everyone into one for the reporter: stored as
    # chosen, so vendor B never reads it.
    to_all = _api_post(client, world, "coordinator", body="everyone")
    narrowed = client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/messages",
        json={"body": "just you, reporter", "audience": "reporter", "parent_id": to_all},
        headers=world.headers("coordinator"),
    )
    assert narrowed.status_code == 201, narrowed.text
    assert narrowed.json()["audience"] == "reporter"
    assert "just you, reporter" in _bodies(client, world, "reporter")
    for role in ("vendor_a", "vendor_b"):
        assert "just you, reporter" not in _bodies(client, world, role), role
    # The reporter's reply to the reporter-only message may not widen it to everyone.
    r = client.post(
        "/api/v1/disclosure/report/messages",
        json={"body": "to all?", "audience": "all", "parent_id": narrowed.json()["id"]},
        headers=world.headers("reporter"),
    )
    assert (r.status_code, r.json()["field"]) == (422, "audience"), r.text
    # Left out, a reply's audience is its parent's.
    r = client.post(
        "/api/v1/disclosure/report/messages",
        json={"body": "thanks", "parent_id": narrowed.json()["id"]},
        headers=world.headers("reporter"),
    )
    assert (r.status_code, r.json()["audience"]) == (201, "reporter"), r.text


def test_the_form_offers_each_role_only_the_audiences_it_may_write_to(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    expected = {
        "coordinator": [
            "",
            "all",
            "reporter",
            "vendors",
            "coordinators",
            "vendor:vendor-a",
            "vendor:vendor-b",
        ],
        "vendor_a": ["", "all", "vendors", "vendor:vendor-a"],
        "vendor_b": ["", "all", "vendors", "vendor:vendor-b"],
    }
    for role, options in expected.items():
        client.cookies.clear()
        sign_in(client, world.people[role])
        html = client.get(f"/disclosure/cases/{world.case_id}").text
        assert _options(html) == options, role
        # Each offered audience is accepted: the form never offers a dead end.
        for value in options[1:]:
            sent = client.post(
                f"/disclosure/cases/{world.case_id}/messages",
                data={"body": f"{role} to {value}", "audience": value, "csrf_token": csrf_of(html)},
                follow_redirects=False,
            )
            assert sent.status_code == 303, (role, value, sent.text[:300])
    client.cookies.clear()
    follow = client.get(f"/disclosure/follow?token={world.report_token}")
    assert _options(follow.text) == ["", "all", "reporter"]


def test_a_refused_reporter_message_comes_back_with_the_text_kept(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    page = client.get(f"/disclosure/follow?token={world.report_token}")
    sent = client.post(
        "/disclosure/follow/messages",
        data={
            "token": world.report_token,
            "body": "More detail about the payload.",
            "parent_id": "999999",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert sent.status_code == 404
    form = Page(sent.text)
    assert form.values["body"].strip() == "More detail about the payload."
    assert set(form.errors) == {"parent_id"}


def test_the_message_to_answer_is_picked_from_those_the_vendor_may_read_and_answer(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    to_everyone = _api_post(client, world, "coordinator", body="Can everyone confirm?")
    to_a = _api_post(
        client, world, "coordinator", body="A only", audience="vendor", vendor="vendor-a"
    )
    to_b = _api_post(
        client, world, "coordinator", body="B only", audience="vendor", vendor="vendor-b"
    )
    sign_in(client, world.people["vendor_a"])
    page = client.get(f"/disclosure/cases/{world.case_id}")
    offered = re.findall(
        r'<option value="(\d+)"', page.text.split('name="parent_id"', 1)[1].split("</select>")[0]
    )
    assert sorted(map(int, offered)) == sorted([to_everyone, to_a])
    assert str(to_b) not in offered  # another vendor's thread is not even named
    # The Reply link opens the form with its message chosen.
    replying = client.get(f"/disclosure/cases/{world.case_id}", params={"reply": to_a})
    assert Page(replying.text).values["parent_id"] == str(to_a)
