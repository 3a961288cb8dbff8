"""Every case route against the reporter, each vendor, another vendor, a coordinator, an
outsider and anonymous, before and after the embargo.

Each case has an embargo in force (proposed by the coordinator, accepted by both vendors),
vendor A affected, and a counter-proposal of vendor B's for a moment that has passed by the
time the roles act: a proposal changes nothing until accepted, so before the embargo both the
coordinator's and the affected vendor A's publications are refused (409, naming the embargo)
since no vendor agreed to an earlier release; after it, both succeed. Vendor B, which has not
said it is affected, has nothing of its own to publish (409). Everything else is the same on
both sides of the embargo: taking part in the case is what grants reading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from accord.clock import utcnow
from accord.db import unit_of_work
from accord.disclosure.models import Attachment, DisclosureCase
from tests.disclosure.vulnerability_world import release, two_vulnerabilities
from tests.disclosure.vulnerability_world import url as vulnerabilities_url
from tests.disclosure.world import ROLES, World
from tests.factories import Factories, csrf_of, sign_in

PARTICIPANTS = frozenset({"vendor_a", "vendor_b", "coordinator"})
HIDDEN = {"other_vendor": 404, "outsider": 404}
NOT_SIGNED_IN = {"reporter": 401, "anonymous": 401}
ONLY_REPORTER = {role: 404 for role in ROLES if role != "reporter"}
BASE = "/api/v1/disclosure/cases/{case_id}"


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    allowed: frozenset[str]
    ok: int = 200
    body: dict[str, Any] | None = None
    refused: dict[str, int] = field(default_factory=dict)
    before_embargo: dict[str, int] = field(default_factory=dict)

    def expected(self, role: str, *, after: bool) -> int:
        if not after and role in self.before_embargo:
            return self.before_embargo[role]
        if role in self.allowed:
            return self.ok
        return {**NOT_SIGNED_IN, **HIDDEN, **self.refused}[role]


ROWS = [
    Row("GET", BASE, PARTICIPANTS),
    Row("GET", BASE + "/vendor-candidates", PARTICIPANTS),
    Row("POST", BASE + "/vendors", PARTICIPANTS, 201, {"organization": "other-vendor"}),
    Row(
        "PUT",
        BASE + "/vendors/vendor-a/status",
        frozenset({"vendor_a", "coordinator"}),
        200,
        {"status": "affected"},
        refused={"vendor_b": 403},
    ),
    Row("PUT", BASE + "/embargo", PARTICIPANTS, 200, {"embargo_at": "2099-03-01T10:00:00+01:00"}),
    Row(
        "POST",
        BASE + "/vendors/vendor-b/accept-embargo",
        frozenset({"vendor_b", "coordinator"}),
        200,
        {"embargo_at": "{embargo}"},
        refused={"vendor_a": 403},
    ),
    Row(
        "POST",
        BASE + "/vendors/vendor-b/agree-release",
        frozenset({"vendor_b", "coordinator"}),
        refused={"vendor_a": 403},
    ),
    Row("GET", BASE + "/vulnerabilities", PARTICIPANTS),
    Row(
        "POST",
        BASE + "/vulnerabilities",
        frozenset({"coordinator"}),
        201,
        {"summary": "Stored cross-site scripting in search results"},
        refused={"vendor_a": 403, "vendor_b": 403},
    ),
    Row(
        "PUT",
        BASE + "/vulnerabilities/1",
        frozenset({"coordinator"}),
        200,
        {"summary": "SQL injection in search", "cwe_ids": ["CWE-89"]},
        refused={"vendor_a": 403, "vendor_b": 403},
    ),
    Row(
        "PUT",
        BASE + "/vulnerabilities/1/vendors/vendor-a/status",
        frozenset({"vendor_a", "coordinator"}),
        200,
        {"product": "Example Shop", "status": "fixed", "fixed_versions": ["2.2.0"]},
        refused={"vendor_b": 403},
    ),
    Row("GET", BASE + "/messages", PARTICIPANTS),
    Row("POST", BASE + "/messages", PARTICIPANTS, 201, {"body": "hello"}),
    Row("PUT", BASE + "/read", PARTICIPANTS, 200, {"last_read_id": 1}),
    Row("GET", BASE + "/history", PARTICIPANTS),
    Row("GET", BASE + "/history/1", PARTICIPANTS),
    Row("GET", BASE + "/attachments/{attachment_id}", PARTICIPANTS),
    Row(
        "POST",
        BASE + "/publish",
        frozenset({"coordinator", "vendor_a"}),
        201,
        {},
        refused={"vendor_b": 409},
        before_embargo={"coordinator": 409, "vendor_a": 409},
    ),
    Row(
        "POST",
        BASE + "/close",
        frozenset({"coordinator"}),
        200,
        {"reason": "not_a_vulnerability"},
        refused={"vendor_a": 403, "vendor_b": 403},
    ),
    Row(
        "POST",
        BASE + "/reopen",
        frozenset({"coordinator"}),
        refused={"vendor_a": 403, "vendor_b": 403},
    ),
    Row(
        "POST",
        BASE + "/open",
        frozenset(),
        refused={"vendor_a": 409, "vendor_b": 409, "coordinator": 409},
    ),
    Row("GET", "/api/v1/disclosure/report", frozenset({"reporter"}), refused=ONLY_REPORTER),
    Row(
        "GET", "/api/v1/disclosure/report/messages", frozenset({"reporter"}), refused=ONLY_REPORTER
    ),
    Row(
        "POST",
        "/api/v1/disclosure/report/messages",
        frozenset({"reporter"}),
        201,
        {"body": "more detail"},
        refused=ONLY_REPORTER,
    ),
    Row(
        "GET", "/api/v1/disclosure/report/history/1", frozenset({"reporter"}), refused=ONLY_REPORTER
    ),
    Row(
        "POST",
        "/api/v1/disclosure/report/attachments",
        frozenset({"reporter"}),
        201,
        {
            "attachments": [
                {"filename": "b.txt", "content_type": "text/plain", "data_base64": "aGk="}
            ]
        },
        refused=ONLY_REPORTER,
    ),
    Row(
        "GET",
        "/api/v1/disclosure/report/attachments/{attachment_id}",
        frozenset({"reporter"}),
        refused=ONLY_REPORTER,
    ),
]


def _case(
    client: TestClient, make: Factories, world: World, *, after: bool, closed: bool = False
) -> dict[str, Any]:
    """A fresh case of ``world``: reported, opened by vendor A, vendor B invited, embargoed
    (and closed by the coordinator when ``closed``)."""
    attachment = {"filename": "a.txt", "content_type": "text/plain", "data_base64": "aGk="}
    world.report(client, attachments=[attachment])
    opened = client.post(
        f"/api/v1/disclosure/cases/{world.public_id}/open", headers=world.headers("vendor_a")
    )
    world.case_id = opened.json()["ref"]
    client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/vendors",
        json={"organization": "vendor-b"},
        headers=world.headers("coordinator"),
    )
    world.state(client, "vendor-a", "affected")
    embargo = world.agreed_embargo(client)
    soon = (utcnow() + timedelta(hours=1)).replace(microsecond=0).isoformat()
    countered = client.put(
        f"/api/v1/disclosure/cases/{world.case_id}/embargo",
        json={"embargo_at": soon},
        headers=world.headers("vendor_b"),
    )
    assert countered.status_code == 200, countered.text
    if closed:
        client.post(
            f"/api/v1/disclosure/cases/{world.case_id}/close",
            json={"reason": "withdrawn"},
            headers=world.headers("coordinator"),
        ).raise_for_status()
    with unit_of_work(make.factory) as db:
        # Vendor B's moment passes (as it would an hour later).
        db.execute(
            update(DisclosureCase)
            .where(DisclosureCase.ref == world.case_id)
            .values(embargo_proposed_at=utcnow() - timedelta(minutes=1))
        )
        if after:
            past = (utcnow() - timedelta(minutes=1)).replace(microsecond=0)
            db.execute(
                update(DisclosureCase)
                .where(DisclosureCase.ref == world.case_id)
                .values(embargo_at=past)
            )
            embargo = past.isoformat()
        attachment_id = db.scalar(
            select(func.max(Attachment.id))
            .join(DisclosureCase)
            .where(DisclosureCase.ref == world.case_id)
        )
    return {"case_id": world.case_id, "attachment_id": attachment_id, "embargo": embargo}


@pytest.mark.parametrize("after", [False, True], ids=["before-embargo", "after-embargo"])
@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.method} {r.path}")
def test_case_matrix(client: TestClient, make: Factories, row: Row, after: bool) -> None:
    world = World.build(make)
    closed = row.path.endswith("/reopen")
    values = _case(client, make, world, after=after, closed=closed)
    for role in ROLES:
        url = row.path.format(**values)
        body = None
        if row.body is not None:
            body = {k: v.format(**values) if isinstance(v, str) else v for k, v in row.body.items()}
        response = client.request(row.method, url, json=body, headers=world.headers(role))
        expected = row.expected(role, after=after)
        assert response.status_code == expected, (role, response.text[:300])
        if response.status_code == 409 and row.path.endswith("/publish"):
            wanted = "embargo" if role != "vendor_b" else "affected or fixed"
            assert wanted in response.json()["message"]
        if expected < 300 and row.method != "GET":
            # Each write succeeds once per world; later roles meet its effect, so rebuild.
            values = _case(client, make, world, after=after, closed=closed)


@pytest.mark.parametrize(
    ("path", "fields", "files"),
    [
        ("/disclosure/follow/messages", {"body": "more detail"}, None),
        ("/disclosure/follow/attachments", {}, {"files": ("c.txt", b"more", "text/plain")}),
    ],
    ids=["messages", "attachments"],
)
def test_the_reporters_page_forms_answer_the_private_link_alone(
    client: TestClient,
    make: Factories,
    path: str,
    fields: dict[str, str],
    files: dict[str, tuple[str, bytes, str]] | None,
) -> None:
    """Whoever is signed in (each vendor, another vendor, a coordinator, an outsider, or
    nobody), the page form acts only with the report's private link; without it, 404."""
    world = World.build(make)
    _case(client, make, world, after=False)
    for role in ROLES:
        client.cookies.clear()
        if role not in ("reporter", "anonymous"):
            sign_in(client, world.people[role])
        token = csrf_of(client.get("/disclosure/report").text)
        for link, expected in (("", 404), ("rpt_unknown", 404), (world.report_token, 303)):
            if role != "reporter" and link == world.report_token:
                continue  # the link is the reporter's: holding it is being the reporter
            sent = client.post(
                path,
                data={**fields, "token": link, "csrf_token": token},
                files=files,
                follow_redirects=False,
            )
            assert sent.status_code == expected, (role, link[:4], sent.text[:200])


@pytest.mark.parametrize("published", [False, True], ids=["before-publication", "after"])
def test_per_vulnerability_statuses_by_role(
    client: TestClient, make: Factories, published: bool
) -> None:
    """Who reads each vendor's status per vulnerability and product: the coordinator and the
    case's vendors (each other's too, as the case's vendor table always showed them); the
    reporter each vulnerability's aggregate alone; another vendor, an outsider and anonymous
    nothing of the case, before or after publication, and then the published advisories
    (with every product status in their CSAF documents), as anyone does."""
    world = World.build(make)
    world.open_case(client)
    two_vulnerabilities(client, world)
    year, number = world.case_id.split("-")[1:]
    advisories = [f"x_ACCORD-{year}-{number}", f"x_ACCORD-{year}-{number}.2"]
    if published:
        release(client, world)
        sent = client.post(
            f"/api/v1/disclosure/cases/{world.case_id}/publish",
            json={},
            headers=world.headers("coordinator"),
        )
        assert sent.json()["advisories"] == advisories
    everyone = {("vendor-a", 1), ("vendor-a", 2), ("vendor-b", 1), ("vendor-b", 2)}
    for role in ROLES:
        listed = client.get(vulnerabilities_url(world), headers=world.headers(role))
        report = client.get("/api/v1/disclosure/report", headers=world.headers(role))
        if role in PARTICIPANTS:
            assert listed.status_code == 200, (role, listed.text)
            seen = {(s["vendor"], v["ordinal"]) for v in listed.json() for s in v["statuses"]}
            assert seen == everyone, role
        else:
            assert listed.status_code == {**NOT_SIGNED_IN, **HIDDEN}[role], role
            assert "Example Shop Enterprise" not in listed.text
        if role == "reporter":
            assert report.status_code == 200
            found = report.json()["vulnerabilities"]
            assert [(v["ordinal"], v["status"]) for v in found] == [
                (1, "affected"),
                (2, "affected"),
            ]
            assert all(v["statuses"] is None for v in found)
        else:
            assert report.status_code == 404, role
        for ident in advisories:
            osv = client.get(f"/v1/vulns/{ident}", headers=world.headers(role))
            assert osv.status_code == (200 if published else 404), (role, ident)
            csaf = client.get(f"/api/v1/advisories/{ident}/formats/csaf")
            assert csaf.status_code == (200 if published else 404), (role, ident)
            if published:
                statuses = csaf.json()["vulnerabilities"][0]["product_status"]
                assert statuses, ident
