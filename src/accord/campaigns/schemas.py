"""Wire models of pledges, endorsements and campaigns (strict: unknown fields are an error)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from accord.campaigns.models import GoalKind
from accord.identity.schemas import Slug, Strict
from accord.transparency.schemas import LogPlace

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)]


class PledgeCreate(Strict):
    """A new pledge and its first text (operators)."""

    slug: Slug
    title: Title
    text: Body


class PledgeVersionCreate(Strict):
    """A new text of a pledge; endorsers of earlier versions keep theirs."""

    title: Title
    text: Body


class CampaignCreate(Strict):
    """A new campaign (operators): ``target`` is the share of signatories, 0 to 1."""

    slug: Slug
    title: Title
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] = ""
    goal: GoalKind
    target: float = Field(gt=0, le=1)
    ends_on: date | None = None


class PledgeVersionRead(LogPlace):
    """One text of a pledge, with its place in the transparency log."""

    number: int
    title: str
    text: str
    published_at: datetime


class EndorserRead(LogPlace):
    """An organization endorsing a pledge now, the version and the date, and where its
    endorsement sits in the log."""

    slug: str
    name: str
    version: int
    endorsed_at: datetime


class PledgeRead(BaseModel):
    """A pledge: its current text, every version, and who endorses it now."""

    slug: str
    title: str
    current: PledgeVersionRead
    versions: list[PledgeVersionRead]
    endorsers: list[EndorserRead]


class SnapshotRead(BaseModel):
    """A campaign's figure on one day."""

    day: date
    met: int
    counted: int


class CampaignRead(BaseModel):
    """A campaign, its figure now (computed from the checks) and its daily history."""

    slug: str
    title: str
    description: str
    goal: GoalKind
    target: float
    ends_on: date | None
    met: int
    counted: int
    share: float | None
    reached: bool
    met_by: list[str]
    history: list[SnapshotRead]
