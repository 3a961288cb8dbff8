"""Pledges and campaigns as the API and the pages show them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord.campaigns import services
from accord.campaigns.models import Campaign, Pledge, PledgeVersion
from accord.campaigns.schemas import (
    CampaignRead,
    EndorserRead,
    PledgeRead,
    PledgeVersionRead,
    SnapshotRead,
)


def version_read(version: PledgeVersion) -> PledgeVersionRead:
    """One text of a pledge."""
    return PledgeVersionRead(
        number=version.number,
        title=version.title,
        text=version.text,
        published_at=version.published_at,
        log_index=version.log_index,
    )


def pledge_read(db: Session, pledge: Pledge) -> PledgeRead:
    """A pledge with its versions and endorsers now."""
    latest = services.current(pledge)
    return PledgeRead(
        slug=pledge.slug,
        title=latest.title,
        current=version_read(latest),
        versions=[version_read(v) for v in pledge.versions],
        endorsers=[
            EndorserRead(
                slug=e.organization.slug,
                name=e.organization.name,
                version=e.version.number,
                endorsed_at=e.endorsed_at,
                log_index=e.endorsed_log_index,
            )
            for e in services.endorsers(db, pledge)
        ],
    )


def campaign_read(db: Session, campaign: Campaign) -> CampaignRead:
    """A campaign with its figure now and its history."""
    now = services.figure(db, campaign)
    progress = now["progress"]
    return CampaignRead(
        slug=campaign.slug,
        title=campaign.title,
        description=campaign.description,
        goal=campaign.goal,
        target=campaign.target,
        ends_on=campaign.ends_on,
        met=len(progress.met),
        counted=progress.counted,
        share=progress.share,
        reached=now["reached"],
        met_by=list(progress.met),
        history=[
            SnapshotRead(day=s.day, met=s.met, counted=s.counted)
            for s in services.history(db, campaign)
        ],
    )
