"""How the disclosure API's reports, cases, messages, history and inboxes read on the wire
(apart from the input models in ``schemas.py``, which alone check what a client sends)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from accord.disclosure.models import Audience, CaseStatus, CloseReason, VendorStatus
from accord.disclosure.vulnerability_reads import VulnerabilityRead
from accord.transparency.schemas import LogPlace


class VendorCandidateRead(BaseModel):
    """An organization that probably ships the report's package, and why."""

    organization: str
    name: str
    reasons: list[str]


class VendorRead(BaseModel):
    """One vendor's status in a case."""

    organization: str
    name: str
    status: VendorStatus
    justification: str | None
    statement: str
    purl: str | None
    affected_versions: list[str]
    fixed_versions: list[str]
    embargo_accepted: bool = Field(description="It accepted the embargo in force.")
    proposal_accepted: bool = Field(description="It accepted the embargo proposed.")
    embargo_accepted_at: datetime | None = Field(description="The last moment it accepted.")
    release_agreed: bool
    advisory_id: str | None = Field(description="The advisory it published for its product.")


class AttachmentRead(BaseModel):
    """An attachment's description (its bytes are a separate download)."""

    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class DuplicateHint(BaseModel):
    """Another report that may be the same one."""

    id: str
    ref: str | None
    title: str
    status: CaseStatus
    similarity: float


class CaseRead(BaseModel):
    """A report or case as its participants see it."""

    id: str
    ref: str | None
    status: CaseStatus
    organization: str | None
    title: str
    product: str
    purl: str | None
    versions: str
    description: str
    steps_to_reproduce: str
    proof_of_concept: str
    impact: str
    credit: str | None = Field(description="How the reporter is credited; null: not shown.")
    contact: str | None = Field(
        description="The reporter's contact: coordinators, and vendors if the reporter agreed."
    )
    reporter_name: str | None = Field(
        description="The reporter's name: coordinators, and vendors if the reporter agreed."
    )
    triage_reason: str
    close_reason: CloseReason | None = None
    closed_at: datetime | None = None
    inactive: bool = Field(False, description="Open, and nothing happened in it for 60 days.")
    duplicate_of: str | None
    embargo_at: datetime | None = Field(
        description="The embargo in force: accepted by every vendor that may be affected "
        "(or decided by a coordinator, where the hub lets them); publication waits for it."
    )
    embargo_proposed_at: datetime | None = Field(
        description="A proposed embargo, not in force until every vendor that may be "
        "affected accepts it."
    )
    advisory_id: str | None
    log_key: str = Field(
        description="The key of the case's entries in the public log: HMAC-SHA256 under it "
        "of 'disclosure:<case id>:<seq>' is each entry's subject (see docs/transparency.md)."
    )
    revealed: LogPlace | None = Field(
        None,
        description="Once the case is published: the log entry that revealed its key "
        "(its index, and the route of its inclusion proof), after which anyone can link "
        "the case's entries; null before, and for a case published before the hub kept it.",
    )
    created_at: datetime
    language: str | None = Field(
        None,
        description="The language the reporter wrote from and is written to (en, es, ja): "
        "the report form's page, or the Accept-Language of the API's report; null when "
        "none was known.",
    )
    vendors: list[VendorRead]
    attachments: list[AttachmentRead]
    duplicate_hints: list[DuplicateHint]
    you: dict[str, object] = Field(description="Your standing: coordinator, vendor orgs.")


class MessageRead(BaseModel):
    """A message."""

    id: int
    parent_id: int | None
    audience: Audience
    vendor: str | None
    author: str
    from_reporter: bool
    created_at: datetime
    body: str


class MessagePage(BaseModel):
    """Messages, oldest first; ``next_before`` pages back to older ones."""

    messages: list[MessageRead]
    unread: int
    next_before: int | None


class EventRead(BaseModel):
    """A history entry, with where its digest sits in the transparency log."""

    seq: int
    kind: str
    at: datetime
    actor: str
    summary: str
    document_sha256: str
    log_index: int


class EventProof(BaseModel):
    """An event's document and the log bundle proving it was logged (and when)."""

    document: dict[str, object]
    document_sha256: str
    bundle: dict[str, object]


class InboxItem(BaseModel):
    """One report or case in an inbox."""

    id: str
    ref: str | None
    status: CaseStatus
    phase: Literal["open", "published", "closed"]
    triage_reason: str = Field(description="Why a closed report or case was closed.")
    close_reason: CloseReason | None = None
    inactive: bool = False
    title: str
    organization: str | None
    organization_name: str | None
    embargo_at: datetime | None
    updated_at: datetime
    unread: int


class Inbox(BaseModel):
    """Reports and cases of one view, newest activity first."""

    items: list[InboxItem]
    total: int
    page: int
    per_page: int
    view: str


class ReporterView(BaseModel):
    """What the reporter sees through the private link."""

    id: str
    ref: str | None
    status: CaseStatus
    title: str
    product: str
    triage_reason: str
    embargo_at: datetime | None
    advisory_id: str | None
    description: str
    steps_to_reproduce: str
    proof_of_concept: str
    impact: str
    name: str
    contact: str
    credit: str
    vendors_see_contact: bool
    vendors_see_name: bool
    language: str | None = Field(
        None,
        description="The language the reporter wrote from and is written to (en, es, ja): "
        "the report form's page, or the Accept-Language of the API's report; null when "
        "none was known.",
    )
    vendors: list[dict[str, str]]
    vulnerabilities: list[VulnerabilityRead] = Field(
        default=[], description="Each vulnerability of the case, with its aggregate status."
    )
    attachments: list[AttachmentRead]
