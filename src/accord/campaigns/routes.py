"""The pledges and campaigns API, under ``/api/v1``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from accord.campaigns import services
from accord.campaigns.schemas import (
    CampaignCreate,
    CampaignRead,
    PledgeCreate,
    PledgeRead,
    PledgeVersionCreate,
)
from accord.campaigns.views import campaign_read, pledge_read
from accord.identity.policy import Action, Actor
from accord.transparency.schemas import (
    LOG_INDEX_HEADER,
    LOG_PROOF_RELATION,
    inclusion_proof_path,
)
from accord.web.deps import DbSession, OrgAccess, SettingsDep, guard, org_guard

router = APIRouter(tags=["campaigns"])

Public = Annotated[Actor, guard(Action.PUBLIC_READ)]
Manager = Annotated[Actor, guard(Action.CAMPAIGNS_MANAGE)]
Endorser = Annotated[OrgAccess, org_guard(Action.PLEDGE_ENDORSE)]


@router.get("/pledges", response_model=list[PledgeRead])
def pledges(db: DbSession, _: Public) -> list[PledgeRead]:
    """Every pledge, its texts and its endorsers now."""
    return [pledge_read(db, p) for p in services.list_pledges(db)]


@router.post("/pledges", response_model=PledgeRead, status_code=201)
def create_pledge(
    data: PledgeCreate, db: DbSession, settings: SettingsDep, actor: Manager
) -> PledgeRead:
    """Publish a new pledge with its first text (operators)."""
    pledge = services.create_pledge(db, data=data, actor=actor, settings=settings)
    return pledge_read(db, services.get_pledge(db, pledge.slug))


@router.get("/pledges/{pledge}", response_model=PledgeRead)
def pledge(pledge: str, db: DbSession, _: Public) -> PledgeRead:
    """One pledge."""
    return pledge_read(db, services.get_pledge(db, pledge))


@router.post("/pledges/{pledge}/versions", response_model=PledgeRead, status_code=201)
def publish_version(
    pledge: str, data: PledgeVersionCreate, db: DbSession, settings: SettingsDep, actor: Manager
) -> PledgeRead:
    """Publish a new text of the pledge (operators)."""
    found = services.get_pledge(db, pledge)
    services.publish_version(db, pledge=found, data=data, actor=actor, settings=settings)
    db.refresh(found)
    return pledge_read(db, found)


@router.put("/orgs/{slug}/pledges/{pledge}", status_code=204)
def endorse(pledge: str, db: DbSession, settings: SettingsDep, access_: Endorser) -> Response:
    """The organization endorses the pledge's current text (its admins)."""
    found = services.get_pledge(db, pledge)
    done = services.endorse(
        db, pledge=found, org=access_.org, actor=access_.actor, settings=settings
    )
    return _logged(done.endorsed_log_index)


@router.delete("/orgs/{slug}/pledges/{pledge}", status_code=204)
def withdraw(pledge: str, db: DbSession, settings: SettingsDep, access_: Endorser) -> Response:
    """The organization withdraws its endorsement (its admins)."""
    found = services.get_pledge(db, pledge)
    done = services.withdraw(
        db, pledge=found, org=access_.org, actor=access_.actor, settings=settings
    )
    return _logged(done.withdrawn_log_index)


def _logged(index: int | None) -> Response:
    """No body (204), as before; the event's log index and its inclusion proof's route in
    headers, as other publications answer them in their bodies (``LogPlace``)."""
    answer = Response(status_code=204)
    if index is not None:
        answer.headers[LOG_INDEX_HEADER] = str(index)
        answer.headers["Link"] = f'<{inclusion_proof_path(index)}>; rel="{LOG_PROOF_RELATION}"'
    return answer


@router.get("/campaigns", response_model=list[CampaignRead])
def campaigns(db: DbSession, _: Public) -> list[CampaignRead]:
    """Every campaign with its figure now and its history."""
    return [campaign_read(db, c) for c in services.list_campaigns(db)]


@router.post("/campaigns", response_model=CampaignRead, status_code=201)
def create_campaign(
    data: CampaignCreate, db: DbSession, settings: SettingsDep, actor: Manager
) -> CampaignRead:
    """Start a campaign (operators)."""
    found = services.create_campaign(db, data=data, actor=actor, settings=settings)
    return campaign_read(db, found)


@router.get("/campaigns/{campaign}", response_model=CampaignRead)
def campaign(campaign: str, db: DbSession, _: Public) -> CampaignRead:
    """One campaign, its figure computed now from the checks, and its daily history."""
    return campaign_read(db, services.get_campaign(db, campaign))
