"""The OSV 1.7 wire model (https://ossf.github.io/osv-schema/), field names as in the spec.

These models describe what the hub reads from publishers and serves to clients. Python names
that would shadow builtins or read badly carry the spec's name as an alias, so each OSV field
name appears once, here. Stored records are validated against the official JSON schema as
well (``validation``); these models add the hub's stricter authoring rules.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from accord.errors import N_
from accord.limits import BoundedJson

Text = Annotated[str, StringConstraints(max_length=20_000)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)]

RangeType = Literal["GIT", "SEMVER", "ECOSYSTEM"]
SeverityType = Literal["CVSS_V2", "CVSS_V3", "CVSS_V4", "Ubuntu"]
ReferenceType = Literal[
    "ADVISORY",
    "ARTICLE",
    "DETECTION",
    "DISCUSSION",
    "REPORT",
    "FIX",
    "INTRODUCED",
    "GIT",
    "PACKAGE",
    "EVIDENCE",
    "WEB",
]
CreditType = Literal[
    "FINDER",
    "REPORTER",
    "ANALYST",
    "COORDINATOR",
    "REMEDIATION_DEVELOPER",
    "REMEDIATION_REVIEWER",
    "REMEDIATION_VERIFIER",
    "TOOL",
    "SPONSOR",
    "OTHER",
]


class OsvModel(BaseModel):
    """Base of the OSV models: unknown fields are refused; on output, None fields and the
    fields the input did not give (an empty ``versions`` list) are left out, so that a
    record read and written again says what it said."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_osv(self) -> dict[str, Any]:
        """The JSON object as OSV spells it."""
        return self.model_dump(by_alias=True, exclude_none=True, exclude_unset=True, mode="json")


class Package(OsvModel):
    """``affected[].package``: the ecosystem defines how ``name`` reads."""

    ecosystem: Short
    name: Short
    purl: Short | None = None


class Event(OsvModel):
    """One event of a range: exactly one of the four keys."""

    introduced: Short | None = None
    fixed: Short | None = None
    last_affected: Short | None = None
    limit: Short | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Event:
        present = [k for k in ("introduced", "fixed", "last_affected", "limit") if getattr(self, k)]
        if len(present) != 1:
            raise ValueError(
                N_("an event has exactly one of introduced, fixed, last_affected, limit")
            )
        return self


class Range(OsvModel):
    """``affected[].ranges[]``."""

    range_type: RangeType = Field(alias="type")
    repo: Url | None = None
    events: Annotated[list[Event], Field(min_length=1, max_length=500)]
    database_specific: BoundedJson | None = None


class Severity(OsvModel):
    """``severity[]``: a scoring method and its vector or rating."""

    severity_type: SeverityType = Field(alias="type")
    score: Short


class Affected(OsvModel):
    """``affected[]``: one package and its affected versions."""

    package: Package
    severity: list[Severity] | None = None
    ranges: Annotated[list[Range], Field(max_length=100)] = []
    versions: Annotated[list[Short], Field(max_length=20_000)] = []
    ecosystem_specific: BoundedJson | None = None
    database_specific: BoundedJson | None = None


class Reference(OsvModel):
    """``references[]``."""

    reference_type: ReferenceType = Field(alias="type")
    url: Url


class Credit(OsvModel):
    """``credits[]``."""

    name: Short
    contact: Annotated[list[Short], Field(max_length=20)] = []
    credit_type: CreditType | None = Field(default=None, alias="type")


class Vulnerability(OsvModel):
    """A whole OSV record, as ``GET /v1/vulns/{id}`` answers it."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    schema_version: str | None = None
    id: str
    modified: str
    published: str | None = None
    withdrawn: str | None = None
    aliases: list[str] | None = None
    upstream: list[str] | None = None
    related: list[str] | None = None
    summary: str | None = None
    details: str | None = None
    severity: list[Severity] | None = None
    affected: list[Affected] | None = None
    references: list[Reference] | None = None
    credits: list[Credit] | None = None
    database_specific: BoundedJson | None = None
