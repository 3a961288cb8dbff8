"""The accountability API and pages: publishing, downloads, bad input, scorecard, exclusions."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
from html.parser import HTMLParser

import jsonschema
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import figures, periods
from accord.accountability.models import ComputedFigures, ProgressReport
from accord.clock import utcnow
from accord.db import unit_of_work
from accord.identity.models import MemberRole, OrgKind
from accord.identity.services import get_org
from accord.transparency.models import LogRecord
from tests.factories import Factories, csrf_of, sign_in

# Every page's own script (a tab stop for tables that scroll on a phone): not injected content.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)")

ENDED = "2026-Q1"


def _admin(make: Factories) -> tuple[str, dict[str, str]]:
    slug = make.org("Acme")
    admin = make.user("acmeadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    return slug, {"Authorization": f"Bearer {make.token(admin)}"}


def _publish(client: TestClient, slug: str, headers: dict[str, str], **body: str) -> dict:
    response = client.post(
        f"/api/v1/orgs/{slug}/accountability/reports",
        json={"period": ENDED, **body},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_publish_signs_logs_and_supersedes(
    client: TestClient, make: Factories, db: Session
) -> None:
    slug, headers = _admin(make)
    first = _publish(client, slug, headers, narrative="We **fixed** things.", commitments="More.")
    second = _publish(client, slug, headers, narrative="Corrected.")
    assert (first["version"], second["version"]) == (1, 2)
    db.rollback()
    rows = db.scalars(select(ProgressReport).order_by(ProgressReport.version)).all()
    assert rows[0].superseded_at is not None
    assert rows[1].superseded_at is None
    # The first document is unchanged by the second, and names nothing it superseded.
    assert json.loads(rows[0].document)["supersedes"] is None
    assert json.loads(rows[1].document)["supersedes"] == rows[0].document_sha256
    # Each version is in the log under its digest.
    logged = {r.idx for r in db.scalars(select(LogRecord))}
    assert {first["log_index"], second["log_index"]} <= logged
    # The signature opens with the log's published key (Ed25519, via cryptography), and signs
    # the SHA-256 of the exact bytes served as the JSON download.
    key = client.get("/.well-known/accord-log-key").json()
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    body, _, line = second["signature"].partition("\n\n")
    text = body + "\n"  # the signed text ends with its newline
    blob = base64.b64decode(line.split(" ", 2)[2])
    public.verify(blob[4:], text.encode())  # raises InvalidSignature otherwise
    served = client.get(f"/api/v1/accountability/signatories/{slug}/reports/{ENDED}").content
    assert f"sha256:{hashlib.sha256(served).hexdigest()}" in text
    assert hashlib.sha256(served).hexdigest() == second["document_sha256"]
    # Downloads: JSON valid against the published schema; CSV one figure a row.
    schema = client.get("/api/v1/accountability/report.schema.json").json()
    old = client.get(f"/api/v1/accountability/signatories/{slug}/reports/{ENDED}?version=1")
    assert old.status_code == 200
    document = old.json()
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
    assert document["narrative"] == "We **fixed** things."
    current = client.get(f"/api/v1/accountability/signatories/{slug}/reports/{ENDED}").json()
    assert current["version"] == 2
    table = client.get(f"/api/v1/accountability/signatories/{slug}/reports/{ENDED}/csv")
    rows_csv = list(csv.DictReader(io.StringIO(table.text)))
    assert {r["figure"] for r in rows_csv} >= {"reports_received", "ack_median_hours"}
    assert next(r for r in rows_csv if r["figure"] == "reports_received")["value"] == "0"
    # A document that breaks the schema is refused by it (the schema is no formality).
    broken = {**document, "figures": {"made_up": {"value": 1, "records": [], "private_records": 0}}}
    try:
        jsonschema.validate(broken, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("the schema accepted an unknown figure")


def test_cannot_publish_a_period_not_ended(client: TestClient, make: Factories) -> None:
    slug, headers = _admin(make)
    running = periods.of(periods.PeriodKind.QUARTER, utcnow()).key
    response = client.post(
        f"/api/v1/orgs/{slug}/accountability/reports", json={"period": running}, headers=headers
    )
    assert response.status_code == 400
    assert running in response.json()["message"]
    assert response.json()["field"] == "period"


def test_unknown_period_signatory_and_sort_are_named(client: TestClient, make: Factories) -> None:
    slug, _headers = _admin(make)
    bad = client.get("/api/v1/accountability/scorecard?period=2026-13")
    assert bad.status_code == 400
    assert "2026-13" in bad.json()["message"]
    missing = client.get("/api/v1/accountability/signatories/nobody/figures?period=2026-03")
    assert missing.status_code == 404
    assert "nobody" in missing.json()["message"]
    sort = client.get("/api/v1/accountability/scorecard?period=2026-03&sort=height")
    assert sort.status_code == 400
    assert "height" in sort.json()["message"]
    page = client.get("/accountability?period=2026-Q7")
    assert page.status_code == 400
    assert "2026-Q7" in page.text
    no_report = client.get(f"/api/v1/accountability/signatories/{slug}/reports/2025-11")
    assert no_report.status_code == 404
    assert "2025-11" in no_report.json()["message"]
    partner = make.org("Partner Org", kind=OrgKind.PARTNER)
    not_signatory = client.get(f"/api/v1/accountability/signatories/{partner}/figures?period=2026")
    assert not_signatory.status_code == 404


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def test_narrative_markdown_is_rendered_safely(client: TestClient, make: Factories) -> None:
    slug, headers = _admin(make)
    _publish(
        client,
        slug,
        headers,
        narrative="**Bold** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x>",
    )
    page = client.get(f"/accountability/signatories/{slug}/reports/{ENDED}")
    assert page.status_code == 200
    parser = _Text()
    parser.feed(page.text)
    assert "strong" in parser.tags
    assert "img" not in parser.tags
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text
    assert 'href="javascript:' not in page.text


def test_scorecard_sorts_and_shows_exclusions(client: TestClient, make: Factories) -> None:
    for name in ("Alpha", "Beta", "Gamma"):
        make.org(name)
    operator = make.user("op", operator=True)
    op_headers = {"Authorization": f"Bearer {make.token(operator)}"}
    excluded = client.post(
        "/api/v1/accountability/exclusions",
        json={"signatory": "beta", "period": "2026-03", "reason": "Figures under review"},
        headers=op_headers,
    )
    assert excluded.status_code == 201, excluded.text
    rows = client.get(
        "/api/v1/accountability/scorecard?period=2026-03&sort=reports_received"
    ).json()
    beta = next(r for r in rows if r["signatory"] == "beta")
    assert beta["excluded"] == "Figures under review"
    assert beta["values"] == {}
    assert rows[-1]["signatory"] == "beta"  # excluded rows come last
    page = client.get("/accountability?period=2026-03&sort=ack_median_hours&order=asc")
    assert page.status_code == 200
    assert "Not published: Figures under review" in page.text
    assert not INLINE_SCRIPT.search(page.text)  # only the layout's own files (CSP)
    # Another period is not excluded.
    april = client.get("/api/v1/accountability/scorecard?period=2026-04").json()
    assert all(r["excluded"] is None for r in april)
    # Publishing for the excluded period is refused with the reason.
    admin = make.user("betaadmin")
    make.member(admin, "beta", MemberRole.ADMIN)
    refused = client.post(
        "/api/v1/orgs/beta/accountability/reports",
        json={"period": "2026-03"},
        headers={"Authorization": f"Bearer {make.token(admin)}"},
    )
    assert refused.status_code == 409
    assert "Figures under review" in refused.json()["message"]


def test_signatory_page_has_charts_with_text(client: TestClient, make: Factories) -> None:
    slug = make.org("Acme")
    page = client.get(f"/accountability/signatories/{slug}?period=2026-Q1")
    assert page.status_code == 200
    assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 4
    assert "<desc>2024-Q2: " in page.text  # eight quarters up to 2026-Q1, as text
    assert not INLINE_SCRIPT.search(page.text)  # only the layout's own files (CSP)
    methods = client.get("/accountability/methods")
    assert 'id="no_reply_share"' in methods.text


def test_publish_form(client: TestClient, make: Factories, db: Session) -> None:
    slug = make.org("Acme")
    admin = make.user("acmeadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    sign_in(client, admin)
    token = csrf_of(client.get(f"/orgs/{slug}/accountability").text)
    sent = client.post(
        f"/orgs/{slug}/accountability/publish",
        data={"period": ENDED, "narrative": "Hello", "csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert sent.headers["location"].endswith(f"/reports/{ENDED}?version=1")
    db.rollback()
    assert db.scalar(select(ProgressReport.version)) == 1


def test_scorecard_reads_stored_rows_and_sorts_by_value(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    values = {"Alpha": 3, "Beta": None, "Gamma": 10, "Delta": 1}
    slugs = {name: make.org(name) for name in values}
    with unit_of_work(session_factory) as w:
        for name, value in values.items():
            org = get_org(w, slugs[name])
            stored = {d.id: None for d in figures.DEFINITIONS}
            stored["ack_median_hours"] = value
            w.add(
                ComputedFigures(
                    organization_id=org.id, period_key="2025-06",
                    period_start=periods.parse("2025-06").start, values=stored,
                    records={},
                )
            )  # fmt: skip

    def order(query: str) -> list[str]:
        rows = client.get(f"/api/v1/accountability/scorecard?period=2025-06{query}").json()
        return [r["signatory"] for r in rows]

    # Stored rows are read as stored (not recomputed: these values exist nowhere else).
    assert order("&sort=ack_median_hours&order=desc") == ["gamma", "alpha", "delta", "beta"]
    assert order("&sort=ack_median_hours&order=asc") == ["delta", "alpha", "gamma", "beta"]
    assert order("") == ["alpha", "beta", "delta", "gamma"]
    rows = client.get("/api/v1/accountability/scorecard?period=2025-06").json()
    assert rows[3]["values"]["ack_median_hours"] == 10
    page = client.get("/accountability?period=2025-06&sort=ack_median_hours&order=asc").text
    assert page.index("Delta") < page.index("Alpha") < page.index("Gamma") < page.index("Beta")
    assert "10 hours" in page
