"""A signatory's report as PDF: read back with pypdf, the figures are in it, and the
narrative is printed as plain text (nothing in it becomes markup, a link or a script)."""

from __future__ import annotations

import io

import pypdf
from fastapi.testclient import TestClient

from accord.identity.models import MemberRole
from tests.factories import Factories

ENDED = "2026-Q1"


def test_signatory_report_pdf_has_the_figures_and_the_narrative_as_text(
    client: TestClient, make: Factories
) -> None:
    slug = make.org("Acme Pdf")
    admin = make.user("pdfadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    narrative = (
        "We fixed things.\n\n<img src=x onerror=alert(1)> [site](javascript:alert(1))"
        "\n\nSeñal: ünïcode ✓"
    )
    published = client.post(
        f"/api/v1/orgs/{slug}/accountability/reports",
        json={"period": ENDED, "narrative": narrative, "commitments": "Answer in 48 h."},
        headers=make.bearer(admin),
    )
    assert published.status_code == 201, published.text
    response = client.get(f"/api/v1/accountability/signatories/{slug}/reports/{ENDED}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f"accord-report-{slug}-{ENDED}-v1.pdf" in response.headers["content-disposition"]
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert reader.metadata is not None
    assert "Acme Pdf" in str(reader.metadata.title)
    text = " ".join(page.extract_text() for page in reader.pages)
    # Every figure's title and its value as the page writes it (no case: 0 reports).
    assert "Reports received" in text
    assert "Median time to acknowledge" in text
    assert "no data" in text
    assert "Answer in 48 h." in text
    assert published.json()["document_sha256"] in text
    # The narrative as typed; Latin-1 kept, the rest replaced, never an error.
    assert "<img src=x onerror=alert(1)>" in text
    assert "[site](javascript:alert(1))" in text
    assert "Señal: ünïcode ?" in text
    for page in reader.pages:
        assert "/Annots" not in page
    assert b"/JavaScript" not in response.content
    assert b"/URI" not in response.content
    missing = client.get(f"/api/v1/accountability/signatories/{slug}/reports/2025-Q1/pdf")
    assert missing.status_code == 404
    assert "2025-Q1" in missing.json()["message"]
