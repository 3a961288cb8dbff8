"""Tables of pledges (texts organizations endorse beside the accord, versioned, each with its
endorsers) and campaigns (a measurable goal across the signatories, with its history)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.clock import utcnow
from accord.db import Base, UTCDateTime, str_enum
from accord.identity.models import Organization


class Pledge(Base):
    """A text other than the accord that organizations endorse one by one (principles on
    cyber mercenaries, say). Its text lives in versions, never edited, only superseded."""

    __tablename__ = "campaign_pledges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    versions: Mapped[list[PledgeVersion]] = relationship(
        back_populates="pledge", order_by="PledgeVersion.number"
    )


class PledgeVersion(Base):
    """One published text of a pledge."""

    __tablename__ = "campaign_pledge_versions"
    __table_args__ = (UniqueConstraint("pledge_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("campaign_pledges.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200))
    # Its entry in the transparency log, known when it was appended (None: published before
    # the hub kept it; its entry is found by the document's SHA-256).
    log_index: Mapped[int | None] = mapped_column(BigInteger)

    pledge: Mapped[Pledge] = relationship(back_populates="versions")


class Endorsement(Base):
    """An organization's endorsement of one version of a pledge; withdrawing keeps the row
    (``withdrawn_at``), so the list of who endorsed what, when, stays whole. Endorsing again
    after a withdrawal is a new row."""

    __tablename__ = "campaign_endorsements"
    __table_args__ = (Index("ix_campaign_endorsements_pledge_org", "pledge_id", "organization_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("campaign_pledges.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("campaign_pledge_versions.id"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    endorsed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    endorsed_by: Mapped[str] = mapped_column(String(200))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))
    # The entries of its endorsement and of its withdrawal in the transparency log, known
    # when each was appended (None: logged before the hub kept them, or not withdrawn).
    endorsed_log_index: Mapped[int | None] = mapped_column(BigInteger)
    withdrawn_log_index: Mapped[int | None] = mapped_column(BigInteger)

    organization: Mapped[Organization] = relationship()
    version: Mapped[PledgeVersion] = relationship()


class GoalKind(enum.StrEnum):
    """What a campaign counts, each read from the registry's stored checks."""

    DISCLOSURE_POLICY = "disclosure_policy"  # its policy page was reachable
    SECURITY_TXT = "security_txt"  # its security.txt was valid (RFC 9116)
    CSAF_PROVIDER = "csaf_provider"  # its CSAF provider metadata was valid
    SAFE_HARBOUR = "safe_harbour"  # its policy page stated safe harbour


class Campaign(Base):
    """A goal across the signatories: ``target`` (a share, 0 to 1) of them meeting ``goal``,
    optionally by ``ends_on``."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    goal: Mapped[GoalKind] = mapped_column(str_enum(GoalKind, "campaign_goal"))
    target: Mapped[float] = mapped_column(Float)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class CampaignSnapshot(Base):
    """A campaign's figure on one day (UTC), as computed from the checks then: its history."""

    __tablename__ = "campaign_snapshots"
    __table_args__ = (UniqueConstraint("campaign_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    met: Mapped[int] = mapped_column(Integer)
    counted: Mapped[int] = mapped_column(Integer)  # the signatories at that moment
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
