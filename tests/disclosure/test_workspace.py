"""The case page as a workspace: threads per audience holding only what the viewer may read
(by the one rule, ``policy.may_see_message``), long threads shown by their newest messages
and paged back, the overview of what waits on whom, the message form prefilled for a reply,
and "inactive" as a setting, a mark and an inbox view."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.disclosure import threads
from accord.disclosure.models import Audience, CaseMessage, DisclosureCase
from accord.identity.models import Organization
from accord.identity.policy import CaseStanding, may_see_message
from accord.web.app import create_app
from tests.disclosure.test_pages import Page
from tests.disclosure.world import World
from tests.factories import Factories, sign_in

AUDIENCES = ("all", "reporter", "vendors", "coordinators", "vendor:vendor-a", "vendor:vendor-b")


def _post(client: TestClient, world: World, audience: str) -> None:
    kind, _, vendor = audience.partition(":")
    body = {"body": f"to {audience}", "audience": kind, **({"vendor": vendor} if vendor else {})}
    posted = client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/messages",
        json=body,
        headers=world.headers("coordinator"),
    )
    assert posted.status_code == 201, posted.text


def _case_page(client: TestClient, world: World, role: str, query: str = "") -> str:
    client.cookies.clear()
    sign_in(client, world.people[role])
    page = client.get(f"/disclosure/cases/{world.case_id}{query}")
    assert page.status_code == 200, page.text[:300]
    return page.text


def test_each_role_reads_exactly_the_threads_its_audiences_allow(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    for audience in AUDIENCES:
        _post(client, world, audience)
    with unit_of_work(make.factory) as db:
        ids = dict(db.execute(select(Organization.slug, Organization.id)).all())
    standings = {
        "coordinator": CaseStanding(coordinator=True),
        "vendor_a": CaseStanding(vendor_org_ids=frozenset({ids["vendor-a"]})),
        "vendor_b": CaseStanding(vendor_org_ids=frozenset({ids["vendor-b"]})),
    }
    for role, standing in standings.items():
        html = _case_page(client, world, role)
        for audience in AUDIENCES:
            kind, _, vendor = audience.partition(":")
            allowed = may_see_message(
                standing, audience=kind, vendor_org_id=ids[vendor] if vendor else None
            )
            # The message and its thread appear exactly when the one rule lets the role read.
            assert (f"to {audience}</pre>" in html) is allowed, (role, audience)
            anchor = 'id="thread-' + audience.replace(":", "-") + '"'
            assert (anchor in html) is allowed, (role, audience)
    # A thread the viewer may not read is not found, whatever its name.
    client.cookies.clear()
    sign_in(client, world.people["vendor_b"])
    hidden = client.get(f"/disclosure/cases/{world.case_id}?thread=vendor:vendor-a")
    assert hidden.status_code == 404
    assert "to vendor:vendor-a" not in hidden.text


def test_a_long_thread_shows_its_newest_and_pages_back(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    world.open_case(client)
    with unit_of_work(make.factory) as db:
        case_id = db.scalar(select(DisclosureCase.id).where(DisclosureCase.ref == world.case_id))
        db.execute(
            insert(CaseMessage),
            [
                {
                    "case_id": case_id,
                    "audience": Audience.ALL,
                    "author_label": "coordinator",
                    "body": f"note {n:03d}",
                    "from_reporter": False,
                    "created_at": utcnow(),
                }
                for n in range(threads.THREAD_PAGE + 10)
            ],
        )
    total = threads.THREAD_PAGE + 10
    html = _case_page(client, world, "vendor_b")
    shown = re.findall(r"note (\d{3})</pre>", html)
    assert shown == [f"{n:03d}" for n in range(total - threads.PER_THREAD, total)]
    assert f"All {total} messages of this thread" in html
    first = _case_page(client, world, "vendor_b", "?thread=all")
    page = re.findall(r"note (\d{3})</pre>", first)
    assert page == [f"{n:03d}" for n in range(total - threads.THREAD_PAGE, total)]
    older = re.search(r'href="[^"]*\?thread=all&amp;before=(\d+)#thread-all"', first)
    assert older is not None
    rest = _case_page(client, world, "vendor_b", f"?thread=all&before={older.group(1)}")
    assert re.findall(r"note (\d{3})</pre>", rest) == [
        f"{n:03d}" for n in range(total - threads.THREAD_PAGE)
    ]
    assert "before=" not in rest.split('id="thread-all"')[1].split("</section>")[0]


def test_the_overview_says_what_waits_on_whom(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    world.open_case(client)
    coordinator = Page(_case_page(client, world, "coordinator"))
    waiting = coordinator.text["waiting"]
    assert "The answers of 2 vendors: Vendor A, Vendor B" in waiting
    assert "An embargo: a coordinator or a vendor proposes a publication date." in waiting
    assert "On you" not in waiting
    world.state(client, "vendor-a", "affected", affected_versions=["1.0"])
    world.embargo(client)
    vendor_b = Page(_case_page(client, world, "vendor_b"))
    waiting = vendor_b.text["waiting"]
    assert "On you: your answer (status, versions); your acceptance of the embargo" in waiting
    assert "The answer of Vendor B." in waiting
    assert "The acceptance of the embargo by 2 vendors: Vendor A, Vendor B" in waiting
    assert "affected: 1" in vendor_b.text["vendor-glance"]
    assert "no reply yet: 1" in vendor_b.text["vendor-glance"]


def test_reply_links_prefill_the_message_form(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    world.open_case(client)
    _post(client, world, "all")
    html = _case_page(client, world, "vendor_a")
    reply = re.search(r'href="([^"]*\?reply=(\d+)&amp;to=all#act-message)"', html)
    assert reply is not None
    query = "?" + reply.group(1).split("?", 1)[1].split("#")[0].replace("&amp;", "&")
    page = _case_page(client, world, "vendor_a", query)
    form = Page(page)
    assert form.values["parent_id"] == reply.group(2)
    assert re.search(r'<details class="action" id="act-message" open>', page)
    assert '<option value="all" selected>' in page


def test_inactive_is_a_setting_a_mark_and_an_inbox_view(
    client: TestClient, make: Factories, settings: Settings, engine: Engine
) -> None:
    world = World.build(make)
    case = world.open_case(client)
    lively = world.report(client, title="Another report, still lively")["id"]
    with unit_of_work(make.factory) as db:
        db.execute(
            update(DisclosureCase)
            .where(DisclosureCase.ref == case)
            .values(updated_at=utcnow() - timedelta(days=11))
        )
    ten_days = settings.model_copy(update={"disclosure_inactive_days": 10})
    with TestClient(create_app(ten_days, engine=engine)) as short:
        inactive = short.get(
            "/api/v1/disclosure/inbox?view=inactive", headers=world.headers("coordinator")
        ).json()
        assert [i["ref"] for i in inactive["items"]] == [case]
        assert inactive["items"][0]["inactive"] is True
        every = short.get(
            "/api/v1/disclosure/inbox?view=all", headers=world.headers("coordinator")
        ).json()
        assert {i["id"] for i in every["items"] if not i["inactive"]} >= {lively}
        sign_in(short, world.people["coordinator"])
        inbox = short.get("/disclosure?view=inactive").text
        assert "nothing happened for 10 days" in inbox
        assert f">{case}</a>" in inbox
        page = Page(short.get(f"/disclosure/cases/{case}").text)
        assert page.text["case-inactive"] == "inactive: nothing happened for 10 days"
    # With the default of 60 days the same case is not inactive.
    default = client.get(
        "/api/v1/disclosure/inbox?view=inactive", headers=world.headers("coordinator")
    ).json()
    assert default["items"] == []
