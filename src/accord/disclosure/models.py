"""Tables of the disclosure domain.

A report and the case it may become are one row of ``disclosure_cases``: a report arrives
with a random public id (a UUID) and becomes a case when a vendor or coordinator opens it,
gaining an id of the form ``ACCORD-2026-0001``. Vendors, messages, read marks and history
hang off that row, so nothing is copied when a report becomes a case.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.clock import utcnow
from accord.db import Base, UTCDateTime, str_enum
from accord.identity.models import Organization


class CaseStatus(enum.StrEnum):
    """Where a report or case is: triage outcomes, an open case, or its end."""

    REPORTED = "reported"
    INVALID = "invalid"
    SPAM = "spam"
    DUPLICATE = "duplicate"
    QUESTION = "question"
    OPEN = "open"
    PUBLISHED = "published"
    CLOSED = "closed"  # an opened case ended without publication, with a CloseReason


OPEN_STATUSES = (CaseStatus.REPORTED, CaseStatus.OPEN)


class CloseReason(enum.StrEnum):
    """Why a coordinator closed an opened case without publishing it."""

    FIXED_NO_ADVISORY = "fixed_no_advisory"
    NOT_A_VULNERABILITY = "not_a_vulnerability"
    DUPLICATE = "duplicate"
    WITHDRAWN = "withdrawn"  # by the reporter
    OTHER = "other"  # the free text says why


class VendorStatus(enum.StrEnum):
    """One vendor's answer. ``no_reply`` is never read as "not affected"."""

    NO_REPLY = "no_reply"
    ACKNOWLEDGED = "acknowledged"
    AFFECTED = "affected"
    NOT_AFFECTED = "not_affected"
    FIXED = "fixed"


class Audience(enum.StrEnum):
    """Who may read a message (coordinators read every message)."""

    ALL = "all"  # every participant, the reporter included
    REPORTER = "reporter"  # the reporter and the coordinators
    VENDOR = "vendor"  # one vendor and the coordinators
    VENDORS = "vendors"  # every vendor and the coordinators
    COORDINATORS = "coordinators"


class DisclosureCase(Base):
    """A report, and the case it becomes."""

    __tablename__ = "disclosure_cases"
    __table_args__ = (
        UniqueConstraint("year", "number"),
        Index("ix_disclosure_cases_target", "target_org_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    ref: Mapped[str | None] = mapped_column(String(32), unique=True)
    year: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[CaseStatus] = mapped_column(
        str_enum(CaseStatus, "disclosure_case_status"), index=True
    )
    target_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200))
    product: Mapped[str] = mapped_column(String(200))
    purl: Mapped[str | None] = mapped_column(String(500), index=True)
    versions: Mapped[str] = mapped_column(String(500), default="")
    credit: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(320), default="")
    # The reporter's own name, and whether vendors (not only coordinators) may see it and the
    # contact: the reporter chooses; coordinators only unless they said otherwise.
    reporter_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    vendors_see_contact: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    vendors_see_name: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The language of the page the report was sent from: the reporter, who has no account,
    # is emailed in it (web.i18n.LANGUAGES; None for reports sent before it was kept).
    language: Mapped[str | None] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Why a closed report or case was closed, in words (for a closed case: optional beside
    # its close_reason, except with "other").
    triage_reason: Mapped[str] = mapped_column(Text, default="")
    close_reason: Mapped[CloseReason | None] = mapped_column(
        str_enum(CloseReason, "disclosure_close_reason")
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("disclosure_cases.id", ondelete="SET NULL")
    )
    # The embargo in force: the last moment every vendor that may be affected accepted (or a
    # coordinator decided, where the hub lets coordinators decide). Only this one holds back
    # publication; a proposal changes nothing until it is accepted (see ``embargo``).
    embargo_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    embargo_proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The coordinators' advisory of the case; each vendor's own is on its CaseVendor row.
    advisory_id: Mapped[str | None] = mapped_column(String(128))
    # The key of the case's entries in the public log (``history.subject``): given to the
    # participants, and published with the case so that anyone can then link them.
    log_key: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The log entry that revealed ``log_key`` when the case was published (``history.reveal``).
    reveal_log_index: Mapped[int | None] = mapped_column(BigInteger)
    # Large texts last.
    description: Mapped[str] = mapped_column(Text)
    steps: Mapped[str] = mapped_column(Text)
    proof_of_concept: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")

    target: Mapped[Organization | None] = relationship()


class CaseSequence(Base):
    """The last case number handed out in a year (incremented atomically)."""

    __tablename__ = "disclosure_sequences"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class CaseVendor(Base):
    """A vendor taking part in a case, with its own status and embargo answer."""

    __tablename__ = "disclosure_vendors"
    __table_args__ = (
        UniqueConstraint("case_id", "organization_id"),
        Index("ix_disclosure_vendors_org", "organization_id", "case_id"),
        # Accountability figures read the vendors notified in a period (their cohort).
        Index("ix_disclosure_vendors_invited_at", "invited_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("disclosure_cases.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    status: Mapped[VendorStatus] = mapped_column(
        str_enum(VendorStatus, "disclosure_vendor_status"), default=VendorStatus.NO_REPLY
    )
    justification: Mapped[str | None] = mapped_column(String(60))
    statement: Mapped[str] = mapped_column(Text, default="")
    purl: Mapped[str | None] = mapped_column(String(500))
    affected_versions: Mapped[list[str]] = mapped_column(JSON, default=list)
    fixed_versions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The embargo date this vendor accepted (None: not accepted the current one).
    embargo_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # This vendor agrees that the case may be published before the embargo ends.
    release_agreed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The advisory this vendor published for its own product from the case.
    advisory_id: Mapped[str | None] = mapped_column(String(128))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization: Mapped[Organization] = relationship()


class CaseMessage(Base):
    """A message in a case, for the audience its author chose (a reply's is its parent's
    or narrower)."""

    __tablename__ = "disclosure_messages"
    __table_args__ = (
        Index("ix_disclosure_messages_case", "case_id", "id"),
        # The newest messages of each thread (audience, vendor) without a sort.
        Index("ix_disclosure_messages_thread", "case_id", "audience", "vendor_org_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("disclosure_cases.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("disclosure_messages.id", ondelete="SET NULL")
    )
    audience: Mapped[Audience] = mapped_column(str_enum(Audience, "disclosure_audience"))
    # The vendor of a VENDOR message.
    vendor_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    author_label: Mapped[str] = mapped_column(String(200))
    from_reporter: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    body: Mapped[str] = mapped_column(Text)


class ReadMark(Base):
    """How far one user has read a case's messages (a high-water mark of message ids)."""

    __tablename__ = "disclosure_read_marks"
    __table_args__ = (UniqueConstraint("user_id", "case_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_cases.id", ondelete="CASCADE"), index=True
    )
    last_read_id: Mapped[int] = mapped_column(Integer, default=0)


class CaseEvent(Base):
    """One entry of a case's history, with the digest the transparency log holds for it."""

    __tablename__ = "disclosure_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("disclosure_cases.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    actor_label: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    summary: Mapped[str] = mapped_column(String(500))
    # Who may see the entry: a message's event is as private as the message.
    audience: Mapped[Audience] = mapped_column(
        str_enum(Audience, "disclosure_event_audience"), default=Audience.ALL
    )
    vendor_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    document_sha256: Mapped[str] = mapped_column(String(64))
    log_index: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)  # canonical JSON, as digested


class Attachment(Base):
    """A file the reporter attached; served only as a download, only to participants."""

    __tablename__ = "disclosure_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_cases.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class TimeZonePreference(Base):
    """A user's chosen time zone for dates on disclosure pages (IANA name)."""

    __tablename__ = "disclosure_time_zones"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    time_zone: Mapped[str] = mapped_column(String(64))


class CaseDelivery(Base):
    """A notification job sent to a vendor about a case, so that the case's pages can say
    whether the vendor was notified, is still queued, or could not be told."""

    __tablename__ = "disclosure_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_cases.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    # None: the organization had nobody to email and no webhook when it was invited.
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))


class ProductStatus(enum.StrEnum):
    """A vendor's status for one product and one vulnerability (VEX's four, and no reply).

    ``no_reply`` is never read as ``not_affected``: CSAF carries no status for it."""

    NO_REPLY = "no_reply"
    UNDER_INVESTIGATION = "under_investigation"
    AFFECTED = "affected"
    NOT_AFFECTED = "not_affected"
    FIXED = "fixed"


class CaseVulnerability(Base):
    """One vulnerability of a case (a case holds one or more; number 1 is the report's)."""

    __tablename__ = "disclosure_vulnerabilities"
    __table_args__ = (UniqueConstraint("case_id", "ordinal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("disclosure_cases.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(200))
    # A CVSS 3.1 or 4.0 vector as the ``cvss`` library writes it back (validated on input).
    cvss_vector: Mapped[str | None] = mapped_column(String(300))
    cwe_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    cve_id: Mapped[str | None] = mapped_column(String(20))
    # The coordinators' advisory of this vulnerability (for number 1, also the case's).
    advisory_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Empty: the advisory takes the report's description and impact.
    details: Mapped[str] = mapped_column(Text, default="")


class VulnerabilityStatus(Base):
    """One vendor's status for one of its products and one vulnerability of the case.

    The vendor's participation (embargo, release agreement, its overall answer) stays on its
    :class:`CaseVendor` row; a missing row here reads as "no reply yet"."""

    __tablename__ = "disclosure_product_statuses"
    __table_args__ = (
        UniqueConstraint("vulnerability_id", "vendor_id", "product"),
        Index("ix_disclosure_product_statuses_vendor", "vendor_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vulnerability_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_vulnerabilities.id", ondelete="CASCADE")
    )
    vendor_id: Mapped[int] = mapped_column(ForeignKey("disclosure_vendors.id", ondelete="CASCADE"))
    product: Mapped[str] = mapped_column(String(200))
    purl: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[ProductStatus] = mapped_column(
        str_enum(ProductStatus, "disclosure_product_status"), default=ProductStatus.NO_REPLY
    )
    justification: Mapped[str | None] = mapped_column(String(60))
    affected_versions: Mapped[list[str]] = mapped_column(JSON, default=list)
    fixed_versions: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    statement: Mapped[str] = mapped_column(Text, default="")
