"""The hub-wide report: aggregates worked out by hand from a scripted history, publishing
(signed, logged, superseded), downloads (JSON, CSV, PDF read back with pypdf), bad input."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from datetime import UTC, datetime

import jsonschema
import pypdf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import figures, hub, periods, services
from accord.accountability.models import HubFigures, HubReport
from accord.clock import utcnow
from accord.db import unit_of_work
from accord.identity.models import Organization
from accord.identity.services import get_org
from accord.registry.models import SecurityTxtCheck
from accord.transparency.models import LogRecord
from tests.factories import Factories, csrf_of, sign_in

ENDED = "2026-Q1"


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _operator(make: Factories) -> dict[str, str]:
    return make.bearer(make.user("hubop", operator=True))


def test_aggregates_by_unit_worked_by_hand() -> None:
    by_id = figures.BY_ID
    # Counts: the median of the known values (1, 3, 4 -> 3) and their total (8).
    assert hub.aggregate(by_id["reports_received"], [3, None, 1, 4]) == hub.Aggregate(3, 8, 3)
    # Durations: the median of an even count is the mean of the middle two; no total.
    ack = hub.aggregate(by_id["ack_median_hours"], [10.0, 40.0, None, 20.0, 30.0])
    assert ack == hub.Aggregate(25.0, None, 4)
    # Yes/no: how many said yes; a median of 0s and 1s says nothing.
    assert hub.aggregate(by_id["securitytxt_current"], [1, 0, 1, None]) == hub.Aggregate(None, 2, 3)
    # Counts by TLP: summed level by level.
    tlp = hub.aggregate(by_id["objects_shared_by_tlp"], [{"CLEAR": 2, "RED": 1}, {"CLEAR": 1}])
    assert tlp == hub.Aggregate(None, {"CLEAR": 3, "RED": 1}, 2)
    # Nothing known: no data, never 0.
    assert hub.aggregate(by_id["reports_received"], [None, None]) == hub.Aggregate(None, None, 0)


def test_every_figure_belongs_to_exactly_one_principle() -> None:
    listed = [key for p in hub.PRINCIPLES for key in p.figure_ids]
    assert sorted(listed) == sorted(d.id for d in figures.DEFINITIONS)
    assert len(hub.PRINCIPLES) == 4


def _history(make: Factories, session_factory: sessionmaker[Session]) -> dict[str, str]:
    """Three signatories and their security.txt checks, at known moments:

    - Alpha joined 2025-06-01; checked 2026-01-10, valid, expires 2026-12-31: current, 1/1 ok;
    - Beta joined 2026-02-15 (in the quarter); checked 2026-02-01 invalid, then 2026-03-05
      valid but expiring 2026-03-20, before the quarter's end: not current, 1/2 ok;
    - Gamma joined 2026-05-01, after the quarter: left out, whatever it did.
    """
    slugs = {name: make.org(name) for name in ("Alpha", "Beta", "Gamma")}
    joined = {"Alpha": "2025-06-01", "Beta": "2026-02-15", "Gamma": "2026-05-01"}
    checks = {
        "Alpha": [("2026-01-10", True, "2026-12-31")],
        "Beta": [("2026-02-01", False, None), ("2026-03-05", True, "2026-03-20")],
        "Gamma": [("2026-03-01", True, "2027-01-01")],
    }
    with unit_of_work(session_factory) as db:
        for name, slug in slugs.items():
            org = get_org(db, slug)
            db.execute(
                update(Organization)
                .where(Organization.id == org.id)
                .values(created_at=z(joined[name] + " 00:00"))
            )
            for fetched, ok, expires in checks[name]:
                db.add(
                    SecurityTxtCheck(
                        organization_id=org.id,
                        url="https://example.org/.well-known/security.txt",
                        fetched_at=z(fetched + " 12:00"),
                        ok=ok,
                        expires_at=z(expires + " 00:00") if expires else None,
                        findings=[],
                        fields={},
                        requested_by="test",
                    )
                )
    return slugs


def _figure(document: dict, principle: str, figure: str) -> dict:
    found = next(p for p in document["principles"] if p["id"] == principle)
    return found["figures"][figure]  # type: ignore[no-any-return]


def test_hub_figures_from_a_scripted_history(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    _history(make, session_factory)
    response = client.get(f"/api/v1/accountability/hub?period={ENDED}")
    assert response.status_code == 200, response.text
    document = response.json()
    schema = client.get("/api/v1/accountability/hub-report.schema.json").json()
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
    assert document["version"] is None
    # Alpha and Beta had signed by 1 April; Beta joined in the quarter; Gamma came later.
    assert document["signatories"] == {
        "at_end": 2,
        "joined": 1,
        "left": 0,
        "reported": 2,
        "excluded": [],
    }
    # Alpha current, Beta not: one yes of two. Checks passed: Alpha 1.0, Beta 0.5 -> 0.75.
    assert _figure(document, "stronger_defense", "securitytxt_current") == {
        "median": None,
        "total": 1,
        "reporting": 2,
    }
    ok_share = _figure(document, "stronger_defense", "securitytxt_ok_share")
    assert ok_share == {"median": 0.75, "total": None, "reporting": 2}
    # No case reached either: 0 reports each (a count, so known), no durations.
    assert _figure(document, "collective_action", "reports_received") == {
        "median": 0,
        "total": 0,
        "reporting": 2,
    }
    assert _figure(document, "collective_action", "ack_median_hours")["reporting"] == 0
    # Trends: 2024-Q2 to 2026-Q1; nobody had signed before 2025-Q2, then totals of 0.
    points = document["trends"]["reports_received"]
    assert (points[0]["period"], points[-1]["period"]) == ("2024-Q2", ENDED)
    assert [p["value"] for p in points] == [None] * 4 + [0] * 4


def test_an_excluded_signatory_is_left_out_and_named(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    slugs = _history(make, session_factory)
    headers = _operator(make)
    excluded = client.post(
        "/api/v1/accountability/exclusions",
        json={"signatory": slugs["Beta"], "period": ENDED, "reason": "Data under review"},
        headers=headers,
    )
    assert excluded.status_code == 201, excluded.text
    document = client.get(f"/api/v1/accountability/hub?period={ENDED}").json()
    assert document["signatories"]["reported"] == 1
    assert document["signatories"]["excluded"] == [
        {"slug": slugs["Beta"], "name": "Beta", "reason": "Data under review"}
    ]
    ok_share = _figure(document, "stronger_defense", "securitytxt_ok_share")
    assert ok_share == {"median": 1.0, "total": None, "reporting": 1}
    page = client.get(f"/accountability/hub?period={ENDED}")
    assert "Data under review" in page.text


def test_publishing_signs_logs_and_supersedes(
    client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    _history(make, session_factory)
    headers = _operator(make)
    url = "/api/v1/accountability/hub/reports"
    first = client.post(url, json={"period": ENDED, "narrative": "First."}, headers=headers)
    second = client.post(url, json={"period": ENDED, "narrative": "Second."}, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    db.rollback()
    rows = db.scalars(select(HubReport).order_by(HubReport.version)).all()
    assert rows[0].superseded_at is not None
    assert rows[1].superseded_at is None
    old = client.get(f"{url}/{ENDED}?version=1")
    current = client.get(f"{url}/{ENDED}")
    # The first document is as it was signed; the second names its digest.
    assert hashlib.sha256(old.content).hexdigest() == rows[0].document_sha256
    assert current.json()["supersedes"] == rows[0].document_sha256
    assert current.json()["narrative"] == "Second."
    schema = client.get("/api/v1/accountability/hub-report.schema.json").json()
    jsonschema.validate(current.json(), schema, format_checker=jsonschema.FormatChecker())
    # Both versions are in the transparency log under their digests, with their entry type.
    logged = {r.idx: r for r in db.scalars(select(LogRecord))}
    for row in rows:
        assert row.log_index in logged
    # The signed note opens with the log's key and names the served document's digest.
    key = client.get("/.well-known/accord-log-key").json()
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    body, _, line = second.json()["signature"].partition("\n\n")
    public.verify(base64.b64decode(line.split(" ", 2)[2])[4:], (body + "\n").encode())
    assert f"accountability:hub:{ENDED}:2" in body
    assert f"sha256:{hashlib.sha256(current.content).hexdigest()}" in body
    # The page lists both versions with their downloads.
    page = client.get(f"/accountability/hub?period={ENDED}")
    assert f"/api/v1/accountability/hub/reports/{ENDED}/pdf?version=2" in page.text
    assert "superseded" in page.text


def test_hub_csv_and_pdf_carry_the_figures(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    _history(make, session_factory)
    narrative = "<script>alert(1)</script> [click](javascript:alert(1)) **bold**"
    published = client.post(
        "/api/v1/accountability/hub/reports",
        json={"period": ENDED, "narrative": narrative},
        headers=_operator(make),
    )
    assert published.status_code == 201, published.text
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/api/v1/accountability/hub/reports/{ENDED}/csv").text)
        )
    )
    by_figure = {(r["section"], r["figure"], r["period"]): r for r in rows}
    assert by_figure[("signatories", "at_end", ENDED)]["total"] == "2"
    assert by_figure[("signatories", "left", ENDED)]["total"] == "0"
    share = by_figure[("figures", "securitytxt_ok_share", ENDED)]
    assert (share["principle"], share["median"], share["reporting"]) == (
        "stronger_defense",
        "0.75",
        "2",
    )
    assert by_figure[("trend", "reports_received", "2024-Q2")]["total"] == ""
    assert by_figure[("trend", "reports_received", ENDED)]["total"] == "0"
    response = client.get(f"/api/v1/accountability/hub/reports/{ENDED}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Share of security.txt checks passed" in text
    assert "75.0 %" in text
    assert "Stronger defense" in text
    # The narrative's Markdown is rendered (emphasis), but raw HTML and links are text.
    assert "<script>alert(1)</script>" in text
    assert "[click](javascript:alert(1))" in text
    assert "**bold**" not in text
    assert "bold" in text
    for page in reader.pages:
        assert "/Annots" not in page
    assert b"/JavaScript" not in response.content
    assert b"/URI" not in response.content


def test_publishing_refuses_a_period_not_ended_and_names_what_is_unknown(
    client: TestClient, make: Factories
) -> None:
    headers = _operator(make)
    running = periods.of(periods.PeriodKind.QUARTER, utcnow()).key
    url = "/api/v1/accountability/hub/reports"
    refused = client.post(url, json={"period": running}, headers=headers)
    assert refused.status_code == 400
    assert (refused.json()["field"], running in refused.json()["message"]) == ("period", True)
    unknown = client.post(url, json={"period": "2026-Q5"}, headers=headers)
    assert unknown.status_code == 400
    assert "2026-Q5" in unknown.json()["message"]
    bad = client.get("/api/v1/accountability/hub?period=20x6")
    assert bad.status_code == 400
    assert "20x6" in bad.json()["message"]
    page = client.get("/accountability/hub?period=2026-13")
    assert page.status_code == 400
    assert "2026-13" in page.text
    missing = client.get(f"{url}/2025-Q3")
    assert missing.status_code == 404
    assert "2025-Q3" in missing.json()["message"]
    for suffix in ("csv", "pdf"):
        assert client.get(f"{url}/2025-Q3/{suffix}").status_code == 404
    version = client.get(f"{url}/2025-Q3?version=4")
    assert version.status_code == 404
    assert "version 4" in version.json()["message"]
    form = client.post("/api/v1/accountability/hub/reports", json={"period": ENDED})
    assert form.status_code == 401  # anonymous: operators only


def test_a_period_excluded_as_a_whole_is_not_published(client: TestClient, make: Factories) -> None:
    headers = _operator(make)
    client.post(
        "/api/v1/accountability/exclusions",
        json={"period": ENDED, "reason": "Records restored from backup"},
        headers=headers,
    )
    refused = client.post(
        "/api/v1/accountability/hub/reports", json={"period": ENDED}, headers=headers
    )
    assert refused.status_code == 409
    assert "Records restored from backup" in refused.json()["message"]


def test_trends_read_stored_hub_aggregates_and_exclusions_drop_them(
    client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    slugs = _history(make, session_factory)
    quarter = periods.parse(ENDED)
    with unit_of_work(session_factory) as w:
        services.refresh(w, period=quarter)
        hub.store(w, period=quarter)
    with unit_of_work(session_factory) as w:
        row = w.scalars(select(HubFigures).where(HubFigures.period_key == ENDED)).one()
        assert row.aggregates["securitytxt_ok_share"] == {
            "median": 0.75,
            "total": None,
            "reporting": 2,
        }
        # Marked, to see that the charts read the stored row rather than recomputing.
        row.aggregates = {
            **row.aggregates,
            "reports_received": {**row.aggregates["reports_received"], "total": 99},
        }
    found = hub.trends(db, end=quarter)
    assert found["reports_received"][-1] == (quarter, 99.0)
    html = client.get(f"/accountability?period={ENDED}").text
    assert "2026-Q1 99" in html
    # An exclusion changes what the aggregates count: the stored row goes, and the charts
    # compute from the stored figures again (0 reports, the true total).
    client.post(
        "/api/v1/accountability/exclusions",
        json={"signatory": slugs["Alpha"], "period": ENDED, "reason": "Audit"},
        headers=_operator(make),
    )
    db.rollback()
    assert db.scalars(select(HubFigures)).all() == []
    assert hub.trends(db, end=quarter)["reports_received"][-1] == (quarter, 0.0)


def test_operators_publish_from_the_admin_page(
    client: TestClient, make: Factories, db: Session
) -> None:
    operator = make.user("formop", operator=True)
    sign_in(client, operator)
    page = client.get("/admin/accountability")
    assert 'action="/admin/accountability/hub/publish"' in page.text
    sent = client.post(
        "/admin/accountability/hub/publish",
        data={"period": ENDED, "narrative": "From the form.", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/accountability/hub?period={ENDED}"
    db.rollback()
    (row,) = db.scalars(select(HubReport)).all()
    assert (row.period_key, row.version) == (ENDED, 1)
    assert operator.username in row.published_by
