"""What the authorization matrix needs for the campaigns routes: a pledge and a campaign."""

from __future__ import annotations

from accord.campaigns import services
from accord.campaigns.models import GoalKind
from accord.campaigns.schemas import CampaignCreate, PledgeCreate
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from tests.authz import World
from tests.factories import Factories

PLACEHOLDERS = ("{pledge}", "{campaign}")
PLEDGE_BODY = {"slug": "new-pledge", "title": "A new pledge", "text": "We will do better."}
VERSION_BODY = {"title": "The pledge, restated", "text": "We will do better still."}
CAMPAIGN_BODY = {
    "slug": "new-campaign",
    "title": "Policies",
    "goal": "disclosure_policy",
    "target": 0.66,
}
CAMPAIGN_FORM = {
    "slug": "form-campaign",
    "title": "Policies",
    "goal": "security_txt",
    "target": "66",
}


def prepare(make: Factories, world: World) -> None:
    """A pledge and a campaign to reach."""
    with unit_of_work(make.factory) as db:
        services.create_pledge(
            db,
            data=PledgeCreate(slug="mercenaries", title="Principles", text="No mercenaries."),
            actor=SYSTEM,
            settings=make.settings,
        )
        services.create_campaign(
            db,
            data=CampaignCreate(
                slug="harbour", title="Safe harbour", goal=GoalKind.SAFE_HARBOUR, target=0.5
            ),
            actor=SYSTEM,
            settings=make.settings,
        )
    world.values.update(pledge="mercenaries", campaign="harbour")
