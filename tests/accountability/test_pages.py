"""The accountability pages in English and Spanish, with numbers in the viewer's format, and
the scorecard's hub-wide trend charts (SVG with a title, a description and a caption)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import figures, periods, services, views
from accord.accountability.models import ComputedFigures
from accord.db import unit_of_work
from accord.identity.models import MemberRole
from tests.factories import Factories

ENDED = "2026-Q1"


def _published(client: TestClient, make: Factories) -> str:
    slug = make.org("Acme Pages")
    admin = make.user("pagesadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    response = client.post(
        f"/api/v1/orgs/{slug}/accountability/reports",
        json={"period": ENDED, "narrative": "Hello."},
        headers=make.bearer(admin),
    )
    assert response.status_code == 201, response.text
    hub = client.post(
        "/api/v1/accountability/hub/reports",
        json={"period": ENDED},
        headers=make.bearer(make.user("pagesop", operator=True)),
    )
    assert hub.status_code == 201, hub.text
    return slug


SPANISH = {
    "/accountability?period={p}": ["Cuadro de rendición de cuentas", "Tendencias de todos"],
    "/accountability/hub?period={p}": ["El acuerdo en 2026-Q1", "Defensa más sólida"],
    "/accountability/methods": ["Cómo se calculan las cifras", "La cohorte es cada caso"],
    "/accountability/signatories/{slug}?period={p}": ["Tendencias por trimestre", "sin datos"],
    "/accountability/signatories/{slug}/reports/{p}": ["informe de progreso", "Prueba"],
}
ENGLISH = {
    "/accountability?period={p}": ["Accountability scorecard", "Trends across all"],
    "/accountability/hub?period={p}": ["The accord in 2026-Q1", "Stronger defense"],
    "/accountability/methods": ["How the figures are computed", "The cohort is every case"],
    "/accountability/signatories/{slug}?period={p}": ["Trends by quarter", "no data"],
    "/accountability/signatories/{slug}/reports/{p}": ["progress report", "Proof"],
}


@pytest.mark.parametrize(("language", "expected"), [("es", SPANISH), ("en", ENGLISH)])
def test_pages_render_in_both_languages(
    client: TestClient, make: Factories, language: str, expected: dict[str, list[str]]
) -> None:
    slug = _published(client, make)
    for template, texts in expected.items():
        url = template.format(p=ENDED, slug=slug)
        response = client.get(url, headers={"Accept-Language": language})
        assert response.status_code == 200, url
        assert response.headers["content-language"] == language
        for text in texts:
            assert text in response.text, (url, text)
    # The English words stay out of the Spanish pages.
    if language == "es":
        page = client.get(f"/accountability/hub?period={ENDED}", headers={"Accept-Language": "es"})
        assert "Stronger defense" not in page.text
        assert "Median of the signatories" not in page.text


def test_numbers_follow_the_viewer_locale(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    slug = make.org("Acme Numbers")
    period = periods.parse(ENDED)
    with unit_of_work(session_factory) as db:
        (org,) = [o for o in services.signatories(db) if o.slug == slug]
        services.refresh(db, period=period, org_ids=[org.id])
    with unit_of_work(session_factory) as db:
        row = db.scalars(select(ComputedFigures).where(ComputedFigures.period_key == ENDED)).one()
        row.values = {**row.values, "no_reply_share": 0.125, "ack_median_hours": 1234.5}
    english = client.get(f"/accountability?period={ENDED}").text
    spanish = client.get(f"/accountability?period={ENDED}", headers={"Accept-Language": "es"}).text
    assert "12.5 %" in english
    # A time in natural units, in the reader's language (Babel), not "1,234.5 h".
    assert "7 weeks" in english
    assert "12,5 %" in spanish
    assert "7 semanas" in spanish


def test_scorecard_charts_hub_trends_with_text_alternatives(
    client: TestClient, make: Factories
) -> None:
    make.org("Acme Charts")
    html = client.get(f"/accountability?period={ENDED}").text
    charts = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(charts) == 5
    for svg in charts:
        assert 'role="img"' in svg
        assert re.search(r"<title>[^<]+, all signatories, by quarter", svg)
        assert re.search(r"<desc>2024-Q2: [^<]+2026-Q1: [^<]+\.</desc>", svg)
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html, flags=re.S)
    assert len(captions) == 5
    assert captions[0].startswith("Reports received, all signatories, by quarter (total): 2024-Q2")
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script (CSP)


def test_scorecard_shows_a_few_figures_and_every_one_a_click_away(
    client: TestClient, make: Factories
) -> None:
    make.org("Acme Few")
    sortable = [d for d in figures.DEFINITIONS if d.sortable]

    def headings(query: str) -> list[str]:
        page = client.get(f"/accountability?period={ENDED}{query}").text
        head = page.split('<table class="scorecard">')[1].split("</thead>")[0]
        return re.findall(r"sort=([a-z0-9_]+)&amp;", head)

    few = headings("")
    assert few == [d.id for d in sortable if d.id in views.SCORECARD_FIGURES]
    assert len(few) < len(sortable)
    assert f"Show all {len(sortable)} figures" in client.get(f"/accountability?period={ENDED}").text
    assert headings("&all=1") == [d.id for d in sortable]
    # Sorting by a figure outside the few shows its column too.
    assert "csaf_share" in headings("&sort=csaf_share&order=desc")
