"""Vendors own their publication: an affected vendor publishes its own advisory from its
case, under the same embargo rule as the coordinators, attributed to it, listed among its
advisories and counted in its progress figures; the advisory ids are explained where shown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from accord.accountability import periods, services
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.disclosure import cases, ids, publishing
from accord.disclosure.models import DisclosureCase
from accord.disclosure.schemas import PublishRequest
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from tests.disclosure.world import World
from tests.factories import Factories, sign_in


def _embargo_over(make: Factories, world: World) -> None:
    with unit_of_work(make.factory) as db:
        db.execute(
            update(DisclosureCase)
            .where(DisclosureCase.ref == world.case_id)
            .values(embargo_at=utcnow() - timedelta(minutes=1))
        )


def _publish(client: TestClient, world: World, role: str, **body: Any) -> Any:
    return client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/publish",
        json=body,
        headers=world.headers(role),
    )


def test_an_affected_vendor_publishes_its_own_advisory_after_the_embargo(
    client: TestClient, make: Factories, db: Session
) -> None:
    world = World.build(make)
    world.open_case(client)
    world.state(client, "vendor-a", "fixed", fixed_versions=["2.2.0"])
    world.agreed_embargo(client)
    early = _publish(client, world, "vendor_a")
    assert early.status_code == 409
    assert early.json()["error"] == "embargo_active"
    _embargo_over(make, world)
    # Vendor B has not said it is affected: it has no advisory of its own to publish.
    refused = _publish(client, world, "vendor_b")
    assert refused.status_code == 409
    assert refused.json()["field"] == "vendor"
    # Nor may vendor B publish vendor A's.
    assert _publish(client, world, "vendor_b", vendor="vendor-a").status_code == 403
    published = _publish(client, world, "vendor_a")
    assert published.status_code == 201, published.text
    ident = published.json()["advisory_id"]
    year, number = world.case_id.split("-")[1:]
    assert ident == f"x_ACCORD-{year}-{number}-vendor-a"
    advisory = client.get(f"/api/v1/advisories/{ident}").json()
    assert advisory["organization"] == "vendor-a"
    osv = client.get(f"/v1/vulns/{ident}").json()
    assert [a["database_specific"]["vendor"] for a in osv["affected"]] == ["vendor-a"]
    # Listed among vendor A's advisories, its publisher named, its id explained.
    sign_in(client, world.people["vendor_a"])
    listing = client.get("/orgs/vendor-a/advisories").text
    assert ident in listing
    page = client.get(f"/advisories/{ident}").text
    assert "Vendor A" in page
    assert "imported from" not in page
    assert f"vendor vendor-a published for its product from disclosure case {year}-{number}" in (
        page
    )
    assert "this hub&#39;s id prefix is ACCORD" in page
    assert "not registered with the OSV database" in listing
    # Counted in vendor A's progress figures.
    db.rollback()
    org = get_org(db, "vendor-a")
    month = periods.of(periods.PeriodKind.MONTH, utcnow())
    figures = services.live(db, period=month, org_ids=[org.id])
    assert figures[org.id]["advisories_published"].value == 1
    # The case is public, and vendor B may still answer and then publish its own.
    world.state(client, "vendor-b", "affected", affected_versions=["1.0.0"])
    own = _publish(client, world, "vendor_b")
    assert own.status_code == 201, own.text
    assert own.json()["advisory_id"] == f"x_ACCORD-{year}-{number}-vendor-b"
    # The case is public now; the coordinators may still publish the case's advisory.
    case = client.get(
        f"/api/v1/disclosure/cases/{world.case_id}", headers=world.headers("coordinator")
    ).json()
    assert case["status"] == "published"
    assert {v["organization"]: v["advisory_id"] for v in case["vendors"]}["vendor-a"] == ident
    again = _publish(client, world, "vendor_a")
    assert again.status_code == 409
    coordinators = _publish(client, world, "coordinator")
    assert coordinators.status_code == 201, coordinators.text
    assert coordinators.json()["advisory_id"] == f"x_ACCORD-{year}-{number}"


def test_the_hubs_advisory_id_prefix_is_a_setting(
    client: TestClient, make: Factories, settings: Settings
) -> None:
    world = World.build(make)
    world.open_case(client)
    world.state(client, "vendor-a", "affected")
    world.state(client, "vendor-b", "affected")
    for role in ("vendor_a", "vendor_b"):
        slug = role.replace("_", "-")
        agreed = client.post(
            f"/api/v1/disclosure/cases/{world.case_id}/vendors/{slug}/agree-release",
            headers=world.headers(role),
        )
        assert agreed.status_code == 200
    hub = settings.model_copy(update={"advisory_id_prefix": "EXAMPLE"})
    with unit_of_work(make.factory) as db:
        access = cases.load(db, world.case_id, actor=SYSTEM, settings=hub, for_update=True)
        data = PublishRequest.model_validate({"vendor": "vendor-b"})
        advisory = publishing.publish_case(db, access=access, data=data, actor=SYSTEM, settings=hub)
        ident = advisory.osv_id
    year, number = world.case_id.split("-")[1:]
    assert ident == f"x_EXAMPLE-{year}-{number}-vendor-b"
    assert client.get(f"/api/v1/advisories/{ident}").json()["organization"] == "vendor-b"
    assert "id prefix is EXAMPLE" in (ids.explain_id(ident, prefix="EXAMPLE") or "")
    # Another hub's ids are not explained as this hub's.
    assert ids.explain_id(ident, prefix="ACCORD") is None


def test_the_case_page_explains_the_advisory_ids(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    world.open_case(client)
    world.state(client, "vendor-a", "affected")
    sign_in(client, world.people["vendor_a"])
    page = client.get(f"/disclosure/cases/{world.case_id}").text
    assert "the advisory of Vendor A for its product" in page
    assert "x_ACCORD-YEAR-NUMBER-VENDOR" in page
