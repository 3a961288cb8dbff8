"""The disclosure rules through the API: messages' audiences, read marks, triage, duplicates,
attachments, bad input naming its field, the embargo, the history's log proofs, notices."""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from accord.disclosure import notices
from accord.disclosure.messages import audience_filter
from accord.disclosure.models import Audience, CaseMessage, DisclosureCase
from accord.identity.policy import CaseStanding, may_see_message
from accord.transparency import bundles
from accord.transparency.envelope import document_digest
from accord.transparency.note import Verifier
from accord.transparency.schemas import LogBundle
from tests.disclosure.world import REPORT, World
from tests.factories import Factories


def _post(client: TestClient, world: World, role: str, body: str, **extra: object) -> int:
    r = client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/messages",
        json={"body": body, **extra},
        headers=world.headers(role),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _bodies(client: TestClient, world: World, role: str) -> set[str]:
    if role == "reporter":
        r = client.get("/api/v1/disclosure/report/messages", headers=world.headers(role))
    else:
        r = client.get(
            f"/api/v1/disclosure/cases/{world.case_id}/messages", headers=world.headers(role)
        )
    assert r.status_code == 200, r.text
    return {m["body"] for m in r.json()["messages"]}


def test_audiences_keep_each_vendor_private(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    world.open_case(client)
    _post(client, world, "coordinator", "to all")
    _post(client, world, "coordinator", "to vendor a", audience="vendor", vendor="vendor-a")
    _post(client, world, "vendor_b", "b to coordinators", audience="vendor", vendor="vendor-b")
    _post(client, world, "vendor_a", "to vendors", audience="vendors")
    _post(client, world, "coordinator", "coordinators only", audience="coordinators")
    _post(client, world, "coordinator", "to reporter", audience="reporter")
    r = client.post(
        "/api/v1/disclosure/report/messages",
        json={"body": "reporter says"},
        headers=world.headers("reporter"),
    )
    assert r.status_code == 201
    assert _bodies(client, world, "vendor_a") == {
        "to all",
        "to vendor a",
        "to vendors",
        "reporter says",
    }
    assert _bodies(client, world, "vendor_b") == {
        "to all",
        "b to coordinators",
        "to vendors",
        "reporter says",
    }
    assert _bodies(client, world, "reporter") == {"to all", "to reporter", "reporter says"}
    assert len(_bodies(client, world, "coordinator")) == 7
    # A vendor cannot write to another vendor's private channel, nor to coordinators only.
    for audience, vendor in (("vendor", "vendor-b"), ("coordinators", None), ("reporter", None)):
        r = client.post(
            f"/api/v1/disclosure/cases/{world.case_id}/messages",
            json={"body": "x", "audience": audience, "vendor": vendor},
            headers=world.headers("vendor_a"),
        )
        assert r.status_code == 403, r.text
        assert r.json()["field"] == "audience"


def test_a_reply_keeps_its_parents_audience(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    world.open_case(client)
    parent = _post(
        client, world, "coordinator", "question for a", audience="vendor", vendor="vendor-a"
    )
    _post(client, world, "vendor_a", "answer", parent_id=parent)  # audience "all" is overridden
    assert "answer" not in _bodies(client, world, "vendor_b")
    # Vendor B cannot reply into a thread it cannot see.
    r = client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/messages",
        json={"body": "x", "parent_id": parent},
        headers=world.headers("vendor_b"),
    )
    assert r.status_code == 404
    assert r.json()["field"] == "parent_id"


@pytest.mark.parametrize(
    "standing",
    [
        CaseStanding(coordinator=True),
        CaseStanding(reporter=True),
        CaseStanding(vendor_org_ids=frozenset({1})),
        CaseStanding(vendor_org_ids=frozenset({2})),
        CaseStanding(vendor_org_ids=frozenset({1, 2})),
        CaseStanding(),
    ],
)
def test_sql_visibility_agrees_with_the_policy(standing: CaseStanding) -> None:
    from sqlalchemy import create_engine, insert, select

    from accord.db import Base

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[CaseMessage.__table__])  # type: ignore[list-item]
    rows = [
        {"id": i, "case_id": 1, "audience": a, "vendor_org_id": v, "author_label": "x", "body": "b"}
        for i, (a, v) in enumerate(itertools.product(Audience, (None, 1, 2)), start=1)
    ]
    with engine.begin() as conn:
        conn.execute(insert(CaseMessage), rows)
        filter_ = audience_filter(standing, CaseMessage.audience, CaseMessage.vendor_org_id)
        seen = set(conn.scalars(select(CaseMessage.id).where(filter_)))
    expected = {
        r["id"]
        for r in rows
        if may_see_message(standing, audience=r["audience"].value, vendor_org_id=r["vendor_org_id"])
    }
    assert seen == expected


def test_read_marks_are_per_user(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    world.open_case(client)
    first = _post(client, world, "coordinator", "one")
    _post(client, world, "coordinator", "two")
    url = f"/api/v1/disclosure/cases/{world.case_id}/messages"
    assert client.get(url, headers=world.headers("vendor_a")).json()["unread"] == 2
    r = client.put(
        f"/api/v1/disclosure/cases/{world.case_id}/read",
        json={"last_read_id": first},
        headers=world.headers("vendor_a"),
    )
    assert r.json() == {"last_read_id": first}
    assert client.get(url, headers=world.headers("vendor_a")).json()["unread"] == 1
    assert client.get(url, headers=world.headers("vendor_b")).json()["unread"] == 2
    inbox = client.get("/api/v1/disclosure/inbox", headers=world.headers("vendor_a")).json()
    assert [(i["ref"], i["unread"]) for i in inbox["items"]] == [(world.case_id, 1)]
    # A mark never moves back.
    client.put(
        f"/api/v1/disclosure/cases/{world.case_id}/read",
        json={"last_read_id": 0},
        headers=world.headers("vendor_a"),
    )
    assert client.get(url, headers=world.headers("vendor_a")).json()["unread"] == 1


def test_triage_and_duplicate_hints(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    first = world.report(client)["id"]
    second = world.report(client, title="SQL injection in search endpoint")["id"]
    unrelated = world.report(client, title="Weak password policy", product="Other", purl=None)["id"]
    case = client.get(f"/api/v1/disclosure/cases/{second}", headers=world.headers("vendor_a"))
    hints = case.json()["duplicate_hints"]
    assert [h["id"] for h in hints] == [first]
    assert 0.6 <= hints[0]["similarity"] <= 1
    r = client.post(
        f"/api/v1/disclosure/cases/{second}/triage",
        json={"action": "duplicate", "reason": "same as the first"},
        headers=world.headers("vendor_a"),
    )
    assert r.status_code == 422
    assert "duplicate_of" in r.json()["message"]
    r = client.post(
        f"/api/v1/disclosure/cases/{second}/triage",
        json={"action": "duplicate", "reason": "same", "duplicate_of": first},
        headers=world.headers("vendor_a"),
    )
    assert r.status_code == 200
    assert r.json()["duplicate_of"] == first
    r = client.post(
        f"/api/v1/disclosure/cases/{unrelated}/triage",
        json={"action": "question", "reason": "not a vulnerability"},
        headers=world.headers("vendor_a"),
    )
    assert r.json()["status"] == "question"
    seen = client.get("/api/v1/disclosure/report", headers=world.headers("reporter")).json()
    assert seen["status"] == "question"
    assert seen["triage_reason"] == "not a vulnerability"
    inbox = client.get("/api/v1/disclosure/inbox", headers=world.headers("vendor_a")).json()
    assert [i["id"] for i in inbox["items"]] == [first]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purl": "not a purl"}, "purl"),
        ({"steps_to_reproduce": "see PoC"}, "steps_to_reproduce"),
        ({"title": ""}, "title"),
        ({"organization": "no-such-org"}, "organization"),
        (
            {
                "attachments": [
                    {"filename": "x.html", "content_type": "text/html", "data_base64": "PGgxPg=="}
                ]
            },
            "attachments.0",
        ),
        (
            {
                "attachments": [
                    {
                        "filename": "x.png",
                        "content_type": "image/png",
                        "data_base64": base64.b64encode(b"<html>").decode(),
                    }
                ]
            },
            "attachments.0",
        ),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_reports_name_their_field(
    client: TestClient, make: Factories, change: dict[str, object], field: str
) -> None:
    World.build(make)
    r = client.post("/api/v1/disclosure/reports", json={**REPORT, **change})
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["field"] == field, r.text


def test_bad_case_input_names_its_field(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    world.open_case(client)
    base = f"/api/v1/disclosure/cases/{world.case_id}"
    for method, path, body, field in (
        ("PUT", "/vendors/vendor-a/status", {"status": "not_affected"}, "justification"),
        ("PUT", "/vendors/vendor-a/status", {"status": "fixed"}, "fixed_versions"),
        ("PUT", "/embargo", {"embargo_at": "2030-01-01T00:00:00"}, "embargo_at"),
        ("PUT", "/embargo", {"embargo_at": "2001-01-01T00:00:00Z"}, "embargo_at"),
        ("POST", "/vendors", {"organization": "nobody-here"}, "organization"),
        ("POST", "/publish", {"cve_id": "CVE-12"}, "cve_id"),
    ):
        r = client.request(method, base + path, json=body, headers=world.headers("coordinator"))
        assert 400 <= r.status_code < 500, r.text
        assert field in (r.json().get("field") or "") + r.json()["message"], r.text


def test_attachments_are_downloads_only_for_participants(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    html_in_text = b"hello <script>alert(1)</script>"
    files = [
        {
            "filename": "../../etc/poc.txt",
            "content_type": "text/plain",
            "data_base64": base64.b64encode(html_in_text).decode(),
        }
    ]
    world.report(client, attachments=files)
    case = client.get(
        f"/api/v1/disclosure/cases/{world.public_id}", headers=world.headers("vendor_a")
    ).json()
    (attachment,) = case["attachments"]
    assert attachment["filename"] == "poc.txt"
    url = f"/api/v1/disclosure/cases/{world.public_id}/attachments/{attachment['id']}"
    r = client.get(url, headers=world.headers("vendor_a"))
    assert r.content == html_in_text
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith('attachment; filename="poc.txt"')
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]
    assert client.get(url, headers=world.headers("other_vendor")).status_code == 404


def test_publication_waits_for_the_embargo_or_every_possibly_affected_vendor(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    embargo = world.agreed_embargo(client)
    base = f"/api/v1/disclosure/cases/{world.case_id}"
    coordinator = world.headers("coordinator")
    r = client.post(f"{base}/publish", json={}, headers=coordinator)
    assert r.status_code == 409
    assert r.json()["error"] == "embargo_active"
    assert r.json()["field"] == "embargo_at"
    stamp = datetime.fromisoformat(embargo).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert stamp in r.json()["message"]
    assert "Vendor A" in r.json()["message"]
    client.post(f"{base}/vendors/vendor-a/agree-release", headers=world.headers("vendor_a"))
    # Vendor B has not replied: never taken as not affected, so it still holds publication.
    r = client.post(f"{base}/publish", json={}, headers=coordinator)
    assert r.status_code == 409
    assert "Vendor B" in r.json()["message"]
    client.put(
        f"{base}/vendors/vendor-b/status",
        json={"status": "not_affected", "justification": "vulnerable_code_not_present"},
        headers=world.headers("vendor_b"),
    )
    r = client.post(f"{base}/publish", json={}, headers=coordinator)
    assert r.status_code == 201, r.text
    assert client.get(base, headers=coordinator).json()["status"] == "published"


def test_a_new_proposal_leaves_the_embargo_in_force_and_its_acceptances(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    first = world.agreed_embargo(client)
    base = f"/api/v1/disclosure/cases/{world.case_id}"
    r = client.put(
        f"{base}/embargo",
        json={"embargo_at": "2099-05-01T09:00:00-04:00"},
        headers=world.headers("vendor_a"),
    )
    vendors = {v["organization"]: v for v in r.json()["vendors"]}
    in_force = datetime.fromisoformat(first).astimezone(UTC)
    assert datetime.fromisoformat(r.json()["embargo_at"]) == in_force
    assert r.json()["embargo_proposed_at"].startswith("2099-05-01T13:00:00")
    assert vendors["vendor-a"]["proposal_accepted"]
    assert not vendors["vendor-b"]["proposal_accepted"]
    assert vendors["vendor-b"]["embargo_accepted"]
    r = client.post(
        f"{base}/vendors/vendor-b/accept-embargo",
        json={"embargo_at": "2099-06-01T00:00:00Z"},
        headers=world.headers("vendor_b"),
    )
    assert r.status_code == 409
    assert "2099-05-01T13:00:00Z" in r.json()["message"]
    kinds = [
        e["kind"] for e in client.get(f"{base}/history", headers=world.headers("vendor_a")).json()
    ]
    assert kinds.count("embargo_changed") == 2
    assert kinds.count("embargo_in_force") == 1
    assert "embargo_accepted" in kinds
    # Vendor B's acceptance puts the proposal in force.
    world.accept(client, "vendor_b", "vendor-b", "2099-05-01T13:00:00Z")
    case = client.get(base, headers=world.headers("vendor_b")).json()
    assert case["embargo_at"].startswith("2099-05-01T13:00:00")
    assert case["embargo_proposed_at"] is None


def test_history_entries_are_provable_from_the_log(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    world.open_case(client)
    events = client.get(
        f"/api/v1/disclosure/cases/{world.case_id}/history", headers=world.headers("vendor_b")
    ).json()
    kinds = [e["kind"] for e in events]
    assert kinds[:4] == ["report_received", "vendor_notified", "case_opened", "vendor_notified"]
    key = client.get("/.well-known/accord-log-key").json()
    verifier = Verifier.parse(key["verifier_key"])
    for event in events:
        proof = client.get(
            f"/api/v1/disclosure/cases/{world.case_id}/history/{event['seq']}",
            headers=world.headers("vendor_b"),
        ).json()
        assert document_digest(proof["document"]) == event["document_sha256"]
        bundle = LogBundle.model_validate(proof["bundle"])
        assert bundle.document is None  # the log holds the digest alone
        bundles.verify_bundle(bundle, verifier=verifier, document_sha256=event["document_sha256"])
    # The reporter proves the same entries through the private link.
    r = client.get("/api/v1/disclosure/report/history/1", headers=world.headers("reporter"))
    assert r.json()["document"]["kind"] == "report_received"


def test_notices_never_carry_embargoed_details(make: Factories) -> None:
    from accord.config import Settings

    settings = Settings(base_url="https://hub.example")
    case = DisclosureCase(
        public_id="11111111-2222-3333-4444-555555555555",
        ref="ACCORD-2026-0042",
        title="Secret RCE title",
        product="SecretProduct",
        purl="pkg:pypi/secret-pkg@1.0",
        description="secret description",
        steps="secret steps",
        contact="r@finder.example",
        embargo_at=datetime(2099, 1, 2, 3, 4, tzinfo=UTC),
        credit="",
        impact="secret impact",
    )
    built = [
        notices.build(settings=settings, case=case, kind=k, what=w, org_ids=(1,))
        for k, w in (("message", "A new message"), ("embargo", "The embargo changed"))
    ]
    reporter = notices.build_for_reporter(settings=settings, case=case, what="A new message")
    assert reporter is not None
    assert reporter.emails == ("r@finder.example",)
    from accord.notifications.services import written
    from accord.web.i18n import Viewer

    # As a webhook (None) and as each language's email writes it.
    readers = [None, *(Viewer(language=lang) for lang in ("en", "es", "ja"))]
    for notice in [*built, reporter]:
        for reader in readers:
            shown = [written(notice.subject, reader), written(notice.text, reader)]
            text = "\n".join([*shown, notice.link])
            for secret in ("Secret", "secret", "2099", "SecretProduct", case.public_id + "x"):
                assert secret not in text
        assert notice.link.startswith("/disclosure/")
    assert "ACCORD-2026-0042" in written(built[0].subject, None)


def test_rate_limits_per_address_and_per_target(client: TestClient, make: Factories) -> None:
    World.build(make)
    statuses = [
        client.post("/api/v1/disclosure/reports", json=REPORT).status_code for _ in range(31)
    ]
    # 20 an hour from one address (ACCORD_PUBLIC_FORM_PER_HOUR) comes first.
    assert statuses[:20] == [201] * 20
    assert statuses[20] == 429
