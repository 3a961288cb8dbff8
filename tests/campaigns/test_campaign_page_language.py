"""The campaign page writes its days as the viewer's locale does, through the one formatter."""

from __future__ import annotations

from datetime import UTC, date, datetime

from babel.dates import format_date
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from accord.campaigns import services
from accord.campaigns.models import GoalKind
from accord.campaigns.schemas import CampaignCreate
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from tests.factories import Factories


def test_a_campaign_page_in_spanish_shows_its_days_in_spanish(
    client: TestClient, make: Factories, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    make.org("Signatory One")
    end, then = date(2027, 1, 14), datetime(2026, 11, 3, 12, tzinfo=UTC)
    with unit_of_work(session_factory) as db:
        data = CampaignCreate(slug="txt", title="security.txt", goal=GoalKind.SECURITY_TXT,
                              target=0.5, ends_on=end)  # fmt: skip
        campaign = services.create_campaign(db, data=data, actor=SYSTEM, settings=settings)
        services.snapshot(db, campaign=campaign, at=then)
    client.cookies.set("accord_lang", "es")
    page = client.get("/campaigns/txt").text
    by = format_date(end, "medium", locale="es")  # "14 ene 2027"
    day = format_date(then.date(), "medium", locale="es")
    assert f'Para el <time datetime="2027-01-14">{by}</time>.' in page
    assert f'<td><time datetime="2026-11-03">{day}</time></td>' in page
    assert "2027-01-14<" not in page
    assert ">2026-11-03<" not in page
