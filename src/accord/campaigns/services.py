"""Rules for pledges, endorsements and campaigns. Every function takes the session and the
acting :class:`Actor`; none commits. Publishing a pledge's text and endorsing or withdrawing
are publications: each is appended to the transparency log in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from accord.campaigns import goals
from accord.campaigns.models import (
    Campaign,
    CampaignSnapshot,
    Endorsement,
    Pledge,
    PledgeVersion,
)
from accord.campaigns.schemas import CampaignCreate, PledgeCreate, PledgeVersionCreate
from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, Conflict, Message, NotFound
from accord.identity import audit
from accord.identity.models import Organization
from accord.identity.policy import Action, Actor, authorize
from accord.registry import departures
from accord.registry.profiles import utc_iso
from accord.transparency import services as log

HISTORY_DAYS = 90  # the snapshots a campaign's page shows

# -- pledges -------------------------------------------------------------------------------


def list_pledges(db: Session) -> Sequence[Pledge]:
    """Every pledge, newest first, with its versions."""
    query = select(Pledge).options(selectinload(Pledge.versions)).order_by(Pledge.id.desc())
    return db.scalars(query).all()


def get_pledge(db: Session, slug: str) -> Pledge:
    """The pledge ``slug``."""
    found = db.scalar(
        select(Pledge).where(Pledge.slug == slug).options(selectinload(Pledge.versions))
    )
    if found is None:
        raise NotFound(Message(N_("no pledge %(slug)r"), slug=slug), field="pledge")
    return found


def current(pledge: Pledge) -> PledgeVersion:
    """The pledge's newest text."""
    return pledge.versions[-1]


def create_pledge(db: Session, *, data: PledgeCreate, actor: Actor, settings: Settings) -> Pledge:
    """Publish a new pledge with its first text (operators)."""
    authorize(actor, Action.CAMPAIGNS_MANAGE)
    if db.scalar(select(Pledge.id).where(Pledge.slug == data.slug)) is not None:
        raise Conflict(
            Message(N_("the slug %(slug)r is taken; choose another"), slug=data.slug), field="slug"
        )
    pledge = Pledge(slug=data.slug, created_by=actor.label)
    db.add(pledge)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(
            Message(N_("the slug %(slug)r is taken; choose another"), slug=data.slug), field="slug"
        ) from None
    _publish(db, pledge, 1, data.title, data.text, actor, settings)
    return pledge


def publish_version(
    db: Session, *, pledge: Pledge, data: PledgeVersionCreate, actor: Actor, settings: Settings
) -> PledgeVersion:
    """A new text of ``pledge`` (operators); earlier endorsements keep their version."""
    authorize(actor, Action.CAMPAIGNS_MANAGE)
    return _publish(db, pledge, current(pledge).number + 1, data.title, data.text, actor, settings)


def _publish(
    db: Session,
    pledge: Pledge,
    number: int,
    title: str,
    text: str,
    actor: Actor,
    settings: Settings,
) -> PledgeVersion:
    version = PledgeVersion(
        pledge=pledge, number=number, title=title, text=text, published_by=actor.label
    )
    db.add(version)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(N_("another version was published at the same moment; retry")) from None
    version.log_index = log.append(
        db,
        settings=settings,
        entry_type="campaigns.pledge",
        subject_id=pledge.slug,
        document={
            "type": "accord.pledge/v1",
            "pledge": pledge.slug,
            "version": number,
            "title": title,
            "text": text,
            "published_at": utc_iso(version.published_at),
        },
    ).index
    audit.record(
        db, actor=actor, action="pledge.publish", target=f"{pledge.slug}/v{number}",
        details={"title": title},
    )  # fmt: skip
    return version


class Change(Protocol):
    """:func:`endorse` or :func:`withdraw`, as a page calls either."""

    def __call__(
        self,
        db: Session,
        *,
        pledge: Pledge,
        org: Organization,
        actor: Actor,
        settings: Settings,
    ) -> Endorsement: ...


def endorsers(db: Session, pledge: Pledge) -> Sequence[Endorsement]:
    """Who endorses ``pledge`` now (not withdrawn), by organization name."""
    return db.scalars(
        select(Endorsement)
        .join(Organization, Organization.id == Endorsement.organization_id)
        .where(Endorsement.pledge_id == pledge.id, Endorsement.withdrawn_at.is_(None))
        .options(selectinload(Endorsement.organization), selectinload(Endorsement.version))
        .order_by(Organization.name)
    ).all()


def standing(db: Session, pledge: Pledge, org: Organization) -> Endorsement | None:
    """The organization's endorsement of ``pledge`` in force, if any."""
    return db.scalar(
        select(Endorsement).where(
            Endorsement.pledge_id == pledge.id,
            Endorsement.organization_id == org.id,
            Endorsement.withdrawn_at.is_(None),
        )
    )


def endorse(
    db: Session, *, pledge: Pledge, org: Organization, actor: Actor, settings: Settings
) -> Endorsement:
    """``org`` endorses the pledge's current text (its admins). Endorsing an older version
    again moves the endorsement to the current one."""
    authorize(actor, Action.PLEDGE_ENDORSE, org_id=org.id)
    if departures.of(db, org.id) is not None:
        raise Conflict(Message(N_("%(name)s left the accord"), name=org.name), field="organization")
    # Locked, so that two admins endorsing at once leave one endorsement in force.
    db.scalar(select(Organization.id).where(Organization.id == org.id).with_for_update())
    version = current(pledge)
    found = standing(db, pledge, org)
    if found is not None and found.version_id == version.id:
        raise Conflict(
            Message(
                N_("%(name)s already endorses version %(number)s"),
                name=org.name,
                number=version.number,
            ),
            field="organization",
        )
    if found is not None:
        found.withdrawn_at, found.withdrawn_by = utcnow(), actor.label
    endorsement = Endorsement(
        pledge_id=pledge.id, version=version, organization=org, endorsed_by=actor.label
    )
    db.add(endorsement)
    db.flush()
    endorsement.endorsed_log_index = _log_endorsement(
        db, settings, pledge, org, version.number, "endorsed", endorsement.endorsed_at
    )
    audit.record(db, actor=actor, action="pledge.endorse", target=pledge.slug,
                 organization_id=org.id, details={"version": version.number})  # fmt: skip
    return endorsement


def withdraw(
    db: Session, *, pledge: Pledge, org: Organization, actor: Actor, settings: Settings
) -> Endorsement:
    """``org`` withdraws its endorsement (its admins); the record of it stays."""
    authorize(actor, Action.PLEDGE_ENDORSE, org_id=org.id)
    found = standing(db, pledge, org)
    if found is None:
        raise Conflict(
            Message(N_("%(name)s does not endorse this pledge"), name=org.name),
            field="organization",
        )
    found.withdrawn_at, found.withdrawn_by = utcnow(), actor.label
    db.flush()
    found.withdrawn_log_index = _log_endorsement(
        db, settings, pledge, org, found.version.number, "withdrawn", found.withdrawn_at
    )
    audit.record(db, actor=actor, action="pledge.withdraw", target=pledge.slug,
                 organization_id=org.id, details={"version": found.version.number})  # fmt: skip
    return found


def _log_endorsement(
    db: Session,
    settings: Settings,
    pledge: Pledge,
    org: Organization,
    number: int,
    event: str,
    at: datetime,
) -> int:
    """Log an endorsement's event; its index in the log."""
    return log.append(
        db,
        settings=settings,
        entry_type="campaigns.endorsement",
        subject_id=f"{pledge.slug}/{org.slug}",
        document={
            "type": "accord.endorsement/v1",
            "pledge": pledge.slug,
            "version": number,
            "organization": {"slug": org.slug, "name": org.name},
            "event": event,
            "at": utc_iso(at),
        },
    ).index


# -- campaigns -----------------------------------------------------------------------------


def list_campaigns(db: Session) -> Sequence[Campaign]:
    """Every campaign, newest first."""
    return db.scalars(select(Campaign).order_by(Campaign.id.desc())).all()


def get_campaign(db: Session, slug: str) -> Campaign:
    """The campaign ``slug``."""
    found = db.scalar(select(Campaign).where(Campaign.slug == slug))
    if found is None:
        raise NotFound(Message(N_("no campaign %(slug)r"), slug=slug), field="campaign")
    return found


def create_campaign(
    db: Session, *, data: CampaignCreate, actor: Actor, settings: Settings
) -> Campaign:
    """Start a campaign (operators); its first snapshot is taken now."""
    authorize(actor, Action.CAMPAIGNS_MANAGE)
    if db.scalar(select(Campaign.id).where(Campaign.slug == data.slug)) is not None:
        raise Conflict(
            Message(N_("the slug %(slug)r is taken; choose another"), slug=data.slug), field="slug"
        )
    campaign = Campaign(
        slug=data.slug,
        title=data.title,
        description=data.description,
        goal=data.goal,
        target=data.target,
        ends_on=data.ends_on,
        created_by=actor.label,
    )
    db.add(campaign)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(
            Message(N_("the slug %(slug)r is taken; choose another"), slug=data.slug), field="slug"
        ) from None
    audit.record(db, actor=actor, action="campaign.create", target=campaign.slug,
                 details={"goal": data.goal.value, "target": data.target})  # fmt: skip
    snapshot(db, campaign=campaign, at=utcnow())
    from accord.campaigns import handlers  # the job module imports these services

    handlers.schedule(db, settings=settings)
    return campaign


def day_end(day: date) -> datetime:
    """The last moment of a UTC day: a day's snapshot counts the checks made by then."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC) - timedelta(microseconds=1)


def snapshot(db: Session, *, campaign: Campaign, at: datetime) -> CampaignSnapshot:
    """Store (or replace) the campaign's figure for ``at``'s UTC day, counted at ``at``."""
    day = at.astimezone(UTC).date()
    found = goals.progress(db, goal=campaign.goal, at=at)
    row = db.scalar(
        select(CampaignSnapshot).where(
            CampaignSnapshot.campaign_id == campaign.id, CampaignSnapshot.day == day
        )
    )
    if row is None:
        row = CampaignSnapshot(campaign_id=campaign.id, day=day)
        db.add(row)
    row.met, row.counted, row.taken_at = len(found.met), found.counted, utcnow()
    db.flush()
    return row


def history(db: Session, campaign: Campaign, *, days: int = HISTORY_DAYS) -> list[CampaignSnapshot]:
    """The campaign's snapshots of the last ``days`` days, oldest first."""
    since = utcnow().date() - timedelta(days=days)
    return list(
        db.scalars(
            select(CampaignSnapshot)
            .where(CampaignSnapshot.campaign_id == campaign.id, CampaignSnapshot.day >= since)
            .order_by(CampaignSnapshot.day)
        )
    )


def reached(campaign: Campaign, progress: goals.Progress) -> bool:
    """Whether the campaign's target share is met."""
    return progress.share is not None and progress.share >= campaign.target


def figure(db: Session, campaign: Campaign) -> dict[str, Any]:
    """The campaign's figure now, for the page and the API."""
    found = goals.progress(db, goal=campaign.goal, at=utcnow())
    return {"progress": found, "reached": reached(campaign, found)}
