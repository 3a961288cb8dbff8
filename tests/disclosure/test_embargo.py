"""The embargo in force against proposals: only what every vendor that may be affected
accepted (or a coordinator decided, where the hub lets coordinators decide) holds back
publication; a proposal changes nothing until it is accepted."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.disclosure import cases, embargo
from accord.identity.policy import SYSTEM
from tests.disclosure.world import World
from tests.factories import Factories, sign_in


def _case(client: TestClient, world: World) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/disclosure/cases/{world.case_id}", headers=world.headers("coordinator")
    )
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def _publish(client: TestClient, world: World, role: str) -> Any:
    return client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/publish", json={}, headers=world.headers(role)
    )


def test_another_vendors_proposal_does_not_end_the_embargo(
    client: TestClient, make: Factories
) -> None:
    # The report of the issue: the coordinator proposed a moment, vendor A (affected) accepted
    # it; vendor B proposed a moment seconds ahead; once it passed, the coordinator published.
    world = World.build(make)
    world.open_case(client)
    world.state(client, "vendor-a", "affected")
    proposed = client.put(
        f"/api/v1/disclosure/cases/{world.case_id}/embargo",
        json={"embargo_at": "2099-07-01T00:00:00Z"},
        headers=world.headers("coordinator"),
    )
    assert proposed.status_code == 200, proposed.text
    world.accept(client, "vendor_a", "vendor-a", "2099-07-01T00:00:00Z")
    soon = (utcnow() + timedelta(seconds=2)).replace(microsecond=0)
    countered = client.put(
        f"/api/v1/disclosure/cases/{world.case_id}/embargo",
        json={"embargo_at": soon.isoformat()},
        headers=world.headers("vendor_b"),
    )
    assert countered.status_code == 200, countered.text
    time.sleep(max(0.0, (soon - utcnow()).total_seconds()) + 1)
    refused = _publish(client, world, "coordinator")
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "embargo_active"
    assert "Vendor A" in refused.json()["message"]
    assert _publish(client, world, "vendor_a").status_code == 409
    assert _case(client, world)["status"] == "open"


def test_the_embargo_in_force_holds_against_a_pending_proposal(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    world.state(client, "vendor-a", "affected")
    agreed = world.agreed_embargo(client, days=40)
    in_force = datetime.fromisoformat(agreed).astimezone(UTC)
    sooner = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    countered = client.put(
        f"/api/v1/disclosure/cases/{world.case_id}/embargo",
        json={"embargo_at": sooner.isoformat()},
        headers=world.headers("vendor_b"),
    )
    assert countered.status_code == 200
    case = _case(client, world)
    assert datetime.fromisoformat(case["embargo_at"]) == in_force
    assert datetime.fromisoformat(case["embargo_proposed_at"]) == sooner
    vendors = {v["organization"]: v for v in case["vendors"]}
    assert vendors["vendor-a"]["embargo_accepted"] is True
    assert vendors["vendor-a"]["proposal_accepted"] is False
    assert vendors["vendor-b"]["proposal_accepted"] is True
    refused = _publish(client, world, "coordinator")
    assert refused.status_code == 409
    assert in_force.strftime("%Y-%m-%dT%H:%M:%SZ") in refused.json()["message"]
    # The page tells the two apart.
    sign_in(client, world.people["vendor_a"])
    page = client.get(f"/disclosure/cases/{world.case_id}").text
    assert 'id="embargo-proposed"' in page
    assert "not in force until every vendor that may be affected accepts it" in page


def test_a_proposal_takes_force_when_the_last_holding_vendor_is_not_affected(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    moment = world.embargo(client)
    world.accept(client, "vendor_a", "vendor-a", moment)
    assert _case(client, world)["embargo_at"] is None
    world.state(client, "vendor-b", "not_affected", justification="vulnerable_code_not_present")
    case = _case(client, world)
    assert datetime.fromisoformat(case["embargo_at"]) == datetime.fromisoformat(moment).astimezone(
        UTC
    )
    assert case["embargo_proposed_at"] is None


def test_a_proposed_moment_that_passed_is_not_accepted(
    client: TestClient, make: Factories, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World.build(make)
    world.open_case(client)
    soon = (utcnow() + timedelta(hours=1)).replace(microsecond=0)
    proposed = client.put(
        f"/api/v1/disclosure/cases/{world.case_id}/embargo",
        json={"embargo_at": soon.isoformat()},
        headers=world.headers("vendor_b"),
    )
    assert proposed.status_code == 200
    # The embargo's rules read the clock through their module: an hour and a second later
    # for them, without a sleep that a loaded machine could outrun.
    monkeypatch.setattr(embargo, "utcnow", lambda: soon + timedelta(seconds=1))
    late = client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/vendors/vendor-a/accept-embargo",
        json={"embargo_at": soon.isoformat()},
        headers=world.headers("vendor_a"),
    )
    assert late.status_code == 409
    assert late.json()["field"] == "embargo_at"
    assert _case(client, world)["embargo_at"] is None


def test_coordinators_decide_only_where_the_hub_lets_them(
    client: TestClient, make: Factories, settings: Settings
) -> None:
    world = World.build(make)
    world.open_case(client)
    moment = datetime(2099, 9, 1, tzinfo=UTC)
    for decide, expected in ((False, None), (True, moment)):
        hub = settings.model_copy(update={"disclosure_coordinators_decide_embargo": decide})
        with unit_of_work(make.factory) as db:
            access = cases.load(db, world.case_id, actor=SYSTEM, settings=hub, for_update=True)
            embargo.propose(
                db, access=access, embargo_at=moment, reason="", actor=SYSTEM, settings=hub
            )
            assert access.case.embargo_at == expected
