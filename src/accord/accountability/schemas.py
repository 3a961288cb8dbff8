"""Wire models of the accountability domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.accountability.figures import Value


class Strict(BaseModel):
    """Unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


class DefinitionRead(BaseModel):
    """A figure's definition, as the methods page shows it."""

    id: str
    group: str
    title: str
    unit: str
    text: str
    sortable: bool
    sources: list[str] = []  # the records it reads


class FigureRead(BaseModel):
    """A figure's value and the records behind it that anyone may see."""

    value: Value
    records: list[str]
    private_records: int


class SignatoryFigures(BaseModel):
    """One signatory's figures for one period (or why they are not published)."""

    signatory: str
    name: str
    period: str
    computed_at: datetime | None
    excluded: str | None
    figures: dict[str, FigureRead]


class ScorecardRow(BaseModel):
    """One signatory on the scorecard: figure values only (records: its figures)."""

    signatory: str
    name: str
    period: str
    computed_at: datetime | None
    excluded: str | None
    values: dict[str, Value]


class PublishRequest(Strict):
    """Publish a progress report for an ended period."""

    period: str = Field(max_length=10)
    narrative: str = Field(default="", max_length=50_000)
    commitments: str = Field(default="", max_length=10_000)


class PublishedRead(BaseModel):
    """A published report version: where it sits in the log and how it was signed."""

    model_config = ConfigDict(from_attributes=True)

    period_key: str
    version: int
    published_at: datetime
    published_by: str
    document_sha256: str
    signature: str
    log_index: int
    superseded_at: datetime | None


class ReportRead(PublishedRead):
    """A published version of a signatory's report."""


class ExclusionCreate(Strict):
    """Keep a signatory, a period, or both together, out of publication."""

    signatory: str | None = Field(default=None, max_length=64)
    period: str | None = Field(default=None, max_length=10)
    reason: str = Field(min_length=1, max_length=2000)


class ExclusionRead(BaseModel):
    """An exclusion and its reason, which is public."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    organization_id: int | None
    period_key: str | None
    reason: str
    created_by: str
    created_at: datetime


class RefreshRequest(Strict):
    """Queue a refresh of the stored figures."""

    periods: list[str] | None = Field(default=None, max_length=40)
    every_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)


class RefreshQueued(BaseModel):
    """The refresh job queued."""

    job_id: int


class HubPublishRequest(Strict):
    """Publish the hub-wide report for an ended period (operators)."""

    period: str = Field(max_length=10)
    narrative: str = Field(default="", max_length=50_000)


class HubReportRead(PublishedRead):
    """A published version of the hub report."""
