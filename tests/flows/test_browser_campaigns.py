"""The public pages of this part of the hub in a real browser, at 1280 and 390 px: the
directory of disclosure policies, a campaign with its history chart, a pledge, and the list of
signatories with one that left. Nothing may overflow the page's width; screenshots go to the
test's temporary folder (set ACCORD_SCREENSHOTS to a folder to keep them)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from accord.campaigns import services
from accord.campaigns.models import CampaignSnapshot, GoalKind
from accord.campaigns.schemas import CampaignCreate, PledgeCreate
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from accord.registry import departures, policy_text
from accord.registry.models import ReachCheck, ReachCheckKind, SecurityTxtCheck
from tests.factories import Factories

DATA = Path(__file__).parent.parent / "data" / "policies"
PAGES = ("/policies", "/campaigns/policies", "/pledges/mercenaries", "/signatories")


def _seed(make: Factories, factory: sessionmaker[Session], settings: Settings) -> None:
    slugs = [make.org(name) for name in ("Acme Widgets", "Harbour Networks", "Quiet Systems")]
    gone = make.org("Former Member GmbH")
    said = policy_text.read((DATA / "written-acme-policy.html").read_bytes(), "text/html")
    now = utcnow()
    with unit_of_work(factory) as db:
        ids = [get_org(db, s).id for s in slugs]
        url = "https://acme-widgets.example/.well-known/security.txt"
        db.add(SecurityTxtCheck(organization_id=ids[0], url=url, fetched_at=now, ok=True,
                                findings=[], fields={}, requested_by="test"))  # fmt: skip
        db.add(ReachCheck(organization_id=ids[0], kind=ReachCheckKind.POLICY, fetched_at=now,
                          url="https://acme-widgets.example/security/vulnerability-disclosure",
                          ok=True, requested_by="test", statements=said))  # fmt: skip
        db.add(ReachCheck(organization_id=ids[1], kind=ReachCheckKind.CSAF, fetched_at=now,
                          url="https://harbour.example/.well-known/csaf/provider-metadata.json",
                          ok=False, requested_by="test"))  # fmt: skip
        services.create_pledge(
            db,
            data=PledgeCreate(slug="mercenaries", title="Principles to limit cyber mercenaries",
                              text="We will not sell offensive capabilities.\n\nWe will say so."),
            actor=SYSTEM, settings=settings,
        )  # fmt: skip
        campaign = services.create_campaign(
            db,
            data=CampaignCreate(slug="policies", title="Two-thirds with a disclosure policy",
                                goal=GoalKind.DISCLOSURE_POLICY, target=0.66),
            actor=SYSTEM, settings=settings,
        )  # fmt: skip
        for back, met in ((6, 0), (5, 0), (4, 1), (2, 1), (1, 1)):
            day = (now - timedelta(days=back)).date()
            db.add(CampaignSnapshot(campaign_id=campaign.id, day=day, met=met, counted=4))
    with unit_of_work(factory) as db:
        pledge = services.get_pledge(db, "mercenaries")
        services.endorse(db, pledge=pledge, org=get_org(db, slugs[0]), actor=SYSTEM,
                         settings=settings)  # fmt: skip
        departures.leave(db, org=get_org(db, gone), confirm=gone, reason="merged into Acme",
                         actor=SYSTEM, settings=settings)  # fmt: skip


@pytest.mark.parametrize("width", [1280, 390])
def test_pages_fit_and_show_their_facts(
    live_hub: str,
    browser: Any,
    make: Factories,
    session_factory: sessionmaker[Session],
    settings: Settings,
    width: int,
    tmp_path: Path,
) -> None:
    _seed(make, session_factory, settings)
    shots = Path(os.environ.get("ACCORD_SCREENSHOTS", tmp_path))
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    for path in PAGES:
        response = page.goto(live_hub + path)
        assert response is not None
        assert response.status == 200, path
        name = path.strip("/").replace("/", "_") or "home"
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than {width}px"
    page.goto(live_hub + "/policies?response_time=yes")
    assert "within 3 business days" in page.inner_text("main")
    page.goto(live_hub + "/campaigns/policies")
    assert page.locator("svg.trend").count() == 1
    page.goto(live_hub + "/signatories")
    assert "left on" in page.inner_text("main")
