"""The accountability figures that read what signatories publish: policy health over the
period, safe harbour stated, and the campaigns' goals met at the period's end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import figures, periods
from accord.accountability.rows import ReachCheckRow, Records, SecurityTxtCheckRow
from accord.campaigns import services
from accord.campaigns.models import GoalKind
from accord.campaigns.schemas import CampaignCreate
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from accord.registry.models import ReachCheck, ReachCheckKind, SecurityTxtCheck
from tests.factories import Factories

Q2 = periods.parse("2026-Q2")


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def reach(n: int, kind: str, at: str, ok: bool, harbour: bool = False) -> ReachCheckRow:
    return ReachCheckRow(f"{kind}-check:{n}", 1, kind, z(at), ok, harbour)


def test_policy_health_safe_harbour_and_goals_met() -> None:
    records = Records(
        checks=(SecurityTxtCheckRow("securitytxt:1", 1, z("2026-05-01"), True, None),),
        reach_checks=(
            reach(1, "policy", "2026-03-30", False),  # before the period: not in the share
            reach(2, "policy", "2026-04-10", True, harbour=False),
            reach(3, "policy", "2026-06-20", True, harbour=True),
            reach(4, "policy", "2026-07-02", False),  # after the end: read by neither
            reach(5, "csaf", "2026-05-05", False),
        ),
        campaign_goals=("csaf_provider", "safe_harbour", "security_txt"),
    )
    found = figures.compute(records, Q2)
    assert found["policy_ok_share"].value == 1.0
    assert found["policy_ok_share"].records == ("policy-check:2", "policy-check:3")
    assert found["policy_safe_harbour"].value == 1
    assert found["policy_safe_harbour"].records == ("policy-check:3",)
    # security.txt valid and safe harbour stated: two of the three goals; no CSAF provider.
    assert found["campaign_goals_met"].value == 2


def test_every_definition_names_its_sources() -> None:
    for definition in figures.DEFINITIONS:
        assert definition.reads, definition.id
    assert "security.txt" in " ".join(figures.BY_ID["campaign_goals_met"].reads)


def test_the_stored_checks_and_campaigns_give_the_signatory_s_figures(
    make: Factories,
    settings: Settings,
    session_factory: sessionmaker[Session],
    client: TestClient,
) -> None:
    """Read from the database as the refresh job reads them: the period's checks, the last
    one before it, and the campaigns started by its end."""
    slug = make.org("Checked Corp")
    now = utcnow()
    year = periods.parse(str(now.year))
    inside = year.start + (now - year.start) / 2
    before = year.start - timedelta(days=1)
    harbour = {"safe_harbour": {"found": True, "denied": False, "evidence": "Safe harbor."}}
    with unit_of_work(session_factory) as db:
        org_id = get_org(db, slug).id
        url = "https://x.example/p"
        db.add_all([
            SecurityTxtCheck(organization_id=org_id, url=url, fetched_at=inside, ok=True,
                             findings=[], fields={}, requested_by="test"),
            ReachCheck(organization_id=org_id, kind=ReachCheckKind.POLICY, url=url,
                       fetched_at=before, ok=True, requested_by="test"),  # before: not shared
            ReachCheck(organization_id=org_id, kind=ReachCheckKind.POLICY, url=url,
                       fetched_at=inside - timedelta(hours=1), ok=False, requested_by="test"),
            ReachCheck(organization_id=org_id, kind=ReachCheckKind.POLICY, url=url,
                       fetched_at=inside, ok=True, requested_by="test", statements=harbour),
        ])  # fmt: skip
        for goal in (GoalKind.SECURITY_TXT, GoalKind.SAFE_HARBOUR, GoalKind.CSAF_PROVIDER):
            data = CampaignCreate(slug=goal.value.replace("_", "-"), title=goal.value, goal=goal,
                                  target=0.5)  # fmt: skip
            services.create_campaign(db, data=data, actor=SYSTEM, settings=settings)
    answer = client.get(f"/api/v1/accountability/signatories/{slug}/figures?period={year.key}")
    assert answer.status_code == 200, answer.text
    shown = {key: figure["value"] for key, figure in answer.json()["figures"].items()}
    assert shown["securitytxt_ok_share"] == 1.0
    assert shown["policy_ok_share"] == 0.5  # of the two checks within the year
    assert shown["policy_safe_harbour"] == 1
    # security.txt valid and safe harbour stated; no CSAF provider checked: 2 of 3 goals.
    assert shown["campaign_goals_met"] == 2
    # The year before: no campaign had started, and its one policy check passed.
    earlier = client.get(
        f"/api/v1/accountability/signatories/{slug}/figures?period={now.year - 1}"
    ).json()["figures"]
    assert earlier["campaign_goals_met"]["value"] == 0
    assert earlier["policy_ok_share"]["value"] == 1.0
