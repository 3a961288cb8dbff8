"""What the authorization matrix needs for the accountability routes: a published report of
the organization under test for an ended period, and an exclusion to lift."""

from __future__ import annotations

from accord.accountability import hub_reports, reports, services
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from tests.authz import World
from tests.factories import Factories

PLACEHOLDERS = ("{period}", "{exclusion_id}")
PERIOD = "2026-Q1"


def prepare(make: Factories, world: World) -> None:
    """Publish a report and the hub report for ``PERIOD`` and exclude another period, to have
    each to reach."""
    with unit_of_work(make.factory) as db:
        org = get_org(db, world.values["slug"])
        reports.publish(
            db,
            actor=SYSTEM,
            settings=make.settings,
            org=org,
            period_key=PERIOD,
            narrative="",
            commitments="",
        )
        hub_reports.publish(
            db, actor=SYSTEM, settings=make.settings, period_key=PERIOD, narrative=""
        )
        found = services.exclude(db, actor=SYSTEM, slug=None, period_key="2024-03", reason="r")
        world.values.update(period=PERIOD, exclusion_id=found.id)
