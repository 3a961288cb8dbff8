"""Wire models of the registry: the accord, applications, signatures, profiles and checks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from accord.identity.models import OrgKind
from accord.identity.schemas import Email, Name, OrgCreate, OrgRead, Password, Strict, Username
from accord.limits import DbInt
from accord.registry.models import ApplicationStatus
from accord.transparency.schemas import LogPlace

Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
MAX_PRODUCTS = 200


class AccordVersionCreate(Strict):
    """An operator publishes a new text of the accord."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=20, max_length=100_000)
    ]


class AccordVersionRead(BaseModel):
    """One version of the accord's text."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    title: str
    text: str
    published_at: datetime
    published_by: str


class AccordVersionSummary(BaseModel):
    """A version in the list of versions, without its text."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    title: str
    published_at: datetime


class ApplicationCreate(OrgCreate):
    """An organization applies to join: its public fields, a contact and the accord version.

    ``accord_version`` is the number of the version the applicant read and agrees to; it must
    be the current one. ``username`` is the account the applicant would like for its first
    admin, if the operator creates one on approval.
    """

    contact_name: Name
    contact_email: Email
    accord_version: Annotated[DbInt, Field(ge=1)]
    username: Username | None = None


class ApplicationRead(BaseModel):
    """An application as operators see it (contact details included)."""

    id: int
    status: ApplicationStatus
    name: str
    kind: OrgKind
    proposal: dict[str, Any]
    contact_name: str
    contact_email: str
    username: str | None
    accord_version: int
    submitted_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    reason: str
    organization_slug: str | None


class ApplicationReceipt(BaseModel):
    """What a public applicant learns after applying."""

    id: int
    status: ApplicationStatus
    accord_version: int
    submitted_at: datetime


class Approve(Strict):
    """An operator approves: optionally with a note, and with or without a first account."""

    reason: Reason = ""
    create_account: bool = True
    username: Username | None = None
    # The day the organization signed, when that was before this hub recorded it (an operator
    # bringing over a signatory's history, or the demo's fictional one); logged as given.
    # Checked against today by the service, which reads the clock.
    signed_on: date | None = None


class Reject(Strict):
    """An operator rejects; the reason is required and kept with the application."""

    reason: Annotated[Reason, StringConstraints(min_length=3)]


class SignatureRead(LogPlace):
    """One signature: which accord version, when, approved by whom, its place in the log."""

    accord_version: int
    signed_at: datetime
    approved_by: str


class AccountSetup(BaseModel):
    """The first admin's account and the one-time link to set its password, shown once."""

    username: str
    setup_url: str | None
    expires_at: datetime | None


class Decision(BaseModel):
    """The answer to an approval or rejection."""

    application: ApplicationRead
    organization: OrgRead | None = None
    signature: SignatureRead | None = None
    account: AccountSetup | None = None


class FindingRead(BaseModel):
    """One problem found in a security.txt or in how it is served."""

    severity: str
    code: str
    message: str
    line: int | None = None


class CheckRead(BaseModel):
    """The result of one security.txt check."""

    model_config = ConfigDict(from_attributes=True)

    url: str
    final_url: str | None
    fetched_at: datetime
    ok: bool
    status_code: int | None
    signed: bool
    expires_at: datetime | None
    findings: list[FindingRead]
    fields: dict[str, list[str]]


class SignatoryRead(BaseModel):
    """An entry in the public list of signatories or partners."""

    slug: str
    name: str
    kind: OrgKind
    country: str
    profile_url: str
    signed_at: datetime | None
    accord_version: int | None
    left_at: datetime | None = None
    departure: str | None = None  # "left" or "removed"


class DepartureRead(LogPlace):
    """A signatory's departure: it left, or operators removed it (with the reason), with its
    place in the transparency log."""

    kind: str
    reason: str
    departed_at: datetime
    decided_by: str


class Leave(Strict):
    """Leave the accord: ``confirm`` repeats the organization's slug."""

    confirm: str = Field(max_length=200)
    reason: str = Field(default="", max_length=2000)


class Removal(Strict):
    """Remove a signatory (operators): the reason is required and public."""

    reason: str = Field(min_length=1, max_length=2000)


class ProfileRead(BaseModel):
    """An organization's public profile: its fields, signatures and last security.txt check."""

    organization: OrgRead
    signatures: list[SignatureRead]
    security_txt: CheckRead | None
    departure: DepartureRead | None = None


class SetPassword(Strict):
    """Redeem a one-time account set-up link."""

    token: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    password: Password


class ProductDeclaration(Strict):
    """A product an organization ships: its name and a purl without a version."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    purl: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=500)]


class ProductsUpdate(Strict):
    """The organization's whole product list, replacing the one before."""

    products: list[ProductDeclaration] = Field(max_length=MAX_PRODUCTS)


class ProductRead(BaseModel):
    """A declared product as anyone may read it."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    purl: str


class StatementRead(BaseModel):
    """One topic of a policy page: found with its sentence, denied (with the sentence that
    denies it), or not found (no evidence)."""

    found: bool
    denied: bool = False
    evidence: str | None = None
    values: list[str] = []


class FetchRead(BaseModel):
    """The last check of one published document (security.txt, policy page, CSAF metadata)."""

    url: str | None
    ok: bool
    checked_at: datetime
    problem: str | None = None


class PolicyEntryRead(BaseModel):
    """An organization in the directory of disclosure policies."""

    slug: str
    name: str
    kind: OrgKind
    country: str
    profile_url: str
    security_txt: FetchRead | None
    policy: FetchRead | None
    statements: dict[str, StatementRead]
    csaf: FetchRead | None


class PolicyDirectoryRead(BaseModel):
    """One page of the directory of disclosure policies, by name."""

    items: list[PolicyEntryRead]
    total: int = Field(description="Entries meeting the filters, on every page.")
    page: int
    per_page: int
