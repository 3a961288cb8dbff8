"""Wire models of the disclosure API (``/api/v1/disclosure``). Unknown fields are an error.

These are what a client sends; what the API answers is in ``reads.py``, re-exported here for
the modules that import both from one place.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError
from packageurl import PackageURL
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from accord.advisories.formats.meta import VexJustification
from accord.disclosure.models import Audience, CaseStatus, CloseReason, VendorStatus
from accord.disclosure.reads import (
    AttachmentRead,
    CaseRead,
    DuplicateHint,
    EventProof,
    EventRead,
    Inbox,
    InboxItem,
    MessagePage,
    MessageRead,
    ReporterView,
    VendorCandidateRead,
    VendorRead,
)
from accord.limits import DbInt
from accord.web.i18n import N_

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50_000)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Version = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
CweId = Annotated[str, StringConstraints(pattern=r"^CWE-[1-9]\d{0,5}$")]
CveId = Annotated[str, StringConstraints(pattern=r"^CVE-\d{4}-\d{4,7}$")]
MIN_STEPS = 20  # characters: "see attachment" is not steps to reproduce


class Strict(BaseModel):
    """Unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def check_purl(value: str | None) -> str | None:
    """A package URL as packageurl-python reads it, normalised; None stays None."""
    if value is None or not value.strip():
        return None
    try:
        return PackageURL.from_string(value.strip()).to_string()
    except ValueError:
        # One sentence of the catalog, said whole in the reader's language (errors.detail_in);
        # the library's own English detail ("purl is missing the required "pkg" scheme
        # component") would stay English on a Spanish or Japanese page.
        if not value.strip().lower().startswith("pkg:"):
            raise ValueError(
                N_("not a package URL: one starts with pkg:, as in pkg:pypi/requests@2.31.0")
            ) from None
        raise ValueError(N_("not a package URL (pkg:type/namespace/name@version)")) from None


def check_cvss(value: str | None) -> str | None:
    """A CVSS 3.1 or 4.0 vector, as the ``cvss`` library writes it back; None stays None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if text.startswith("CVSS:4.0/"):
            return str(CVSS4(text).clean_vector())
        if text.startswith("CVSS:3.1/"):
            return str(CVSS3(text).clean_vector())
    except CVSSError as exc:
        sentence = N_("not a valid CVSS vector")
        raise ValueError(f"{sentence}: {exc}") from None
    raise ValueError(N_("not a CVSS vector: it starts with CVSS:3.1/ or CVSS:4.0/"))


class AttachmentUpload(Strict):
    """A file attached to a report, base64 in JSON (the form sends it as a file)."""

    filename: Line
    content_type: Annotated[str, StringConstraints(max_length=100)]
    data_base64: str

    def data(self) -> bytes:
        """The decoded bytes (the field is checked when the model is built)."""
        return base64.b64decode(self.data_base64, validate=True)

    @field_validator("data_base64")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(N_("not base64")) from None
        return value


class ReportCreate(Strict):
    """A vulnerability report. ``organization`` is the vendor's slug; leave it out when unsure
    and the hub's coordinators receive the report."""

    organization: Slug | None = None
    title: Line
    product: Line
    purl: str | None = Field(default=None, max_length=500, description="e.g. pkg:pypi/django")
    versions: OptionalLine = ""
    description: Annotated[LongText, StringConstraints(min_length=20)]
    steps_to_reproduce: Annotated[LongText, StringConstraints(min_length=MIN_STEPS)]
    proof_of_concept: LongText = ""
    impact: LongText = ""
    credit: OptionalLine = Field(default="", description="How to credit you; empty: anonymous.")
    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] = ""
    name: OptionalLine = Field(default="", description="Your name, if you wish to give it.")
    vendors_see_contact: bool = Field(
        default=False, description="Vendors may see your contact (else coordinators only)."
    )
    vendors_see_name: bool = Field(
        default=False,
        description="Vendors may see your name and credit line (else coordinators only).",
    )
    attachments: Annotated[list[AttachmentUpload], Field(max_length=5)] = []

    @field_validator("purl")
    @classmethod
    def _purl(cls, value: str | None) -> str | None:
        return check_purl(value)


class ReporterAttachments(Strict):
    """Files the reporter adds after sending: the report's own rules, five files in all."""

    attachments: Annotated[list[AttachmentUpload], Field(min_length=1, max_length=5)]


class ReportReceipt(BaseModel):
    """What the reporter gets back, once: the private link and its token."""

    id: str
    status: CaseStatus
    token: str = Field(description="Shown once; send it as X-Accord-Report-Token.")
    link: str = Field(description="The private page to follow the report; shown once.")


class TriageRequest(Strict):
    """Close a report that is not a vulnerability, or turn it into a question."""

    action: Literal["invalid", "spam", "duplicate", "question"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
    duplicate_of: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _duplicate_needs_original(self) -> TriageRequest:
        if self.action == "duplicate" and not self.duplicate_of:
            raise ValueError("duplicate_of: " + N_("a duplicate names the report it duplicates"))
        return self


class CloseRequest(Strict):
    """Close an open case without publishing it: why, and (needed for "other") in words."""

    reason: CloseReason
    note: Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=2000),
        Field(validate_default=True),
    ] = ""

    @field_validator("note")
    @classmethod
    def _other_says_why(cls, note: str, info: ValidationInfo) -> str:
        # A field validator, so that the error names the note (reason is validated first).
        if info.data.get("reason") is CloseReason.OTHER and len(note) < 3:
            raise ValueError(N_('say why the case is closed (the reason is "other")'))
        return note


class VendorInvite(Strict):
    """Invite an organization, by its slug or its name, to a case as a vendor."""

    organization: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]


class VendorStatusUpdate(Strict):
    """A vendor's answer. Not affected needs a VEX justification; fixed needs versions."""

    status: VendorStatus
    justification: VexJustification | None = None
    statement: LongText = ""
    purl: str | None = Field(default=None, max_length=500)
    affected_versions: Annotated[list[Version], Field(max_length=100)] = []
    fixed_versions: Annotated[list[Version], Field(max_length=100)] = []

    @field_validator("purl")
    @classmethod
    def _purl(cls, value: str | None) -> str | None:
        return check_purl(value)

    @model_validator(mode="after")
    def _consistent(self) -> VendorStatusUpdate:
        if self.status is VendorStatus.NOT_AFFECTED and self.justification is None:
            raise ValueError("justification: " + N_("not affected needs a VEX justification"))
        if self.status is not VendorStatus.NOT_AFFECTED and self.justification is not None:
            raise ValueError("justification: " + N_("only a not-affected status carries one"))
        if self.status is VendorStatus.FIXED and not self.fixed_versions:
            raise ValueError("fixed_versions: " + N_("fixed needs the versions that fix it"))
        return self


class EmbargoProposal(Strict):
    """A proposed publication moment (any offset; stored in UTC)."""

    embargo_at: AwareDatetime
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


class EmbargoAcceptance(Strict):
    """Accept the embargo now proposed (or the one in force): the moment is repeated, so a
    changed one is refused."""

    embargo_at: AwareDatetime


class MessageCreate(Strict):
    """A message, to exactly the audience chosen. Left out: a reply's parent's audience,
    else everyone. A reply may narrow its thread's audience, never widen it (422)."""

    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    audience: Audience | None = None
    vendor: Slug | None = Field(default=None, description="The vendor of a 'vendor' message.")
    parent_id: DbInt | None = None


class ReporterMessageCreate(Strict):
    """A reporter's message: to everyone in the case, or to the coordinators alone."""

    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    audience: Literal[Audience.ALL, Audience.REPORTER] | None = None
    parent_id: DbInt | None = None


class ReadMarkUpdate(Strict):
    """Everything up to this message id has been read."""

    last_read_id: Annotated[DbInt, Field(ge=0)]


class PublishRequest(Strict):
    """Publish advisories from the case, one per vulnerability. What the advisory says
    (summary, details, CVSS, CWE, CVE) is kept on the vulnerability named, or on
    vulnerability 1; each vulnerability's own description serves the others."""

    vulnerability: Annotated[int, Field(ge=1, le=10_000)] | None = Field(
        default=None,
        description="Publish for this vulnerability alone (its number in the case); "
        "without it, for every vulnerability not yet published.",
    )
    summary: Line | None = None
    details: LongText | None = None
    cvss_v3: Annotated[str, StringConstraints(max_length=300)] | None = Field(
        default=None, description="A CVSS 3.1 or 4.0 vector."
    )
    cwe_ids: Annotated[list[CweId], Field(max_length=20)] = []
    cve_id: CveId | None = None
    vendor: Slug | None = Field(
        default=None,
        description="Publish this vendor's own advisory for its product (a vendor of the "
        "case that is affected or fixed); without it, the coordinators' advisory of the case. "
        "A vendor's member may leave it out when the member's organization is the one vendor.",
    )

    @field_validator("cvss_v3")
    @classmethod
    def _cvss(cls, value: str | None) -> str | None:
        return check_cvss(value)


class TimeZoneUpdate(Strict):
    """An IANA time zone name, such as Europe/Berlin."""

    time_zone: Annotated[str, StringConstraints(max_length=64)]


# The read models stay importable from here, where the routes and pages have always read them.
__all__ = [
    "MIN_STEPS",
    "AttachmentRead",
    "AttachmentUpload",
    "CaseRead",
    "CloseRequest",
    "CveId",
    "CweId",
    "DuplicateHint",
    "EmbargoAcceptance",
    "EmbargoProposal",
    "EventProof",
    "EventRead",
    "Inbox",
    "InboxItem",
    "Line",
    "LongText",
    "MessageCreate",
    "MessagePage",
    "MessageRead",
    "OptionalLine",
    "PublishRequest",
    "ReadMarkUpdate",
    "ReportCreate",
    "ReportReceipt",
    "ReporterAttachments",
    "ReporterMessageCreate",
    "ReporterView",
    "Slug",
    "Strict",
    "TimeZoneUpdate",
    "TriageRequest",
    "VendorCandidateRead",
    "VendorInvite",
    "VendorRead",
    "VendorStatusUpdate",
    "Version",
    "check_cvss",
    "check_purl",
]
