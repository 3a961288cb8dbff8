"""The accountability figures that read what signatories publish: policy health over the
period, safe harbour stated, and the campaigns' goals met at the period's end."""

from __future__ import annotations

from datetime import UTC, datetime

from accord.accountability import figures, periods
from accord.accountability.rows import ReachCheckRow, Records, SecurityTxtCheckRow

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
