"""Wire models of the hub's advisory management API (``/api/v1/advisories``).

The OSV parts (affected packages, references, credits) use the OSV models; the hub's own
fields (TLP, plain-language summary, CWE ids, CVSS vectors) sit beside them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from accord.advisories import osv
from accord.advisories.models import AdvisoryStatus, Tlp
from accord.transparency.schemas import LogPlace

CweId = Annotated[str, StringConstraints(pattern=r"^CWE-[1-9]\d{0,5}$")]
OsvId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._:-]{2,127}$")]
Vector = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Alias = Annotated[str, StringConstraints(pattern=r"^\S{1,128}$")]


class Strict(BaseModel):
    """Unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class AdvisoryFields(Strict):
    """What a publisher writes; every field optional so that the same shape serves edits."""

    summary: Summary | None = None
    details: Annotated[str, StringConstraints(max_length=50_000)] | None = None
    plain_summary: Annotated[str, StringConstraints(max_length=5_000)] | None = Field(
        default=None, description="For non-specialists: what is affected and what to do."
    )
    aliases: Annotated[list[Alias], Field(max_length=50)] | None = None
    related: Annotated[list[Alias], Field(max_length=50)] | None = None
    affected: Annotated[list[osv.Affected], Field(max_length=500)] | None = None
    references: Annotated[list[osv.Reference], Field(max_length=200)] | None = None
    credits: Annotated[list[osv.Credit], Field(max_length=100)] | None = None
    cwe_ids: Annotated[list[CweId], Field(max_length=20)] | None = None
    cvss_v3: Vector | None = Field(default=None, description="A CVSS 3.1 (or 3.0) vector.")
    cvss_v4: Vector | None = Field(default=None, description="A CVSS 4.0 vector.")
    tlp: Tlp | None = None


class AdvisoryCreate(AdvisoryFields):
    """A new draft. Without ``id`` the hub assigns one (``x_ACCORD-<year>-<n>``)."""

    id: OsvId | None = None
    summary: Summary


class WithdrawRequest(Strict):
    """Why the advisory is withdrawn; OSV puts the rationale in the summary."""

    reason: Summary


class ScoreRead(BaseModel):
    """A CVSS base score."""

    vector: str
    score: float


class VersionRead(LogPlace):
    """One published version, with its place in the transparency log."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    osv_modified: str = Field(serialization_alias="modified")
    document_sha256: str
    published_at: datetime
    published_by: str


class AdvisoryRead(BaseModel):
    """An advisory as the hub shows it: hub fields, the published record and, to its
    publishers, the pending draft."""

    id: str
    status: AdvisoryStatus
    tlp: Tlp
    organization: str | None
    source: str
    summary: str
    plain_summary: str
    cwe_ids: list[str]
    severity: str | None
    cvss_v3: ScoreRead | None
    cvss_v4: ScoreRead | None
    published: datetime | None
    modified: datetime | None
    withdrawn: datetime | None
    versions: list[VersionRead]
    record: dict[str, Any] | None
    draft: dict[str, Any] | None


class AdvisorySummary(BaseModel):
    """A line of a list."""

    id: str
    status: AdvisoryStatus
    tlp: Tlp
    organization: str | None
    summary: str
    severity: str | None
    published: datetime | None
    modified: datetime | None
