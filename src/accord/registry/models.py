"""Tables of the registry: the accord's versions, applications, signatures and checks."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
from accord.identity.models import Organization, OrgKind, User
from accord.message_records import message_from


class ApplicationStatus(enum.StrEnum):
    """Where an application to join stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class DepartureKind(enum.StrEnum):
    """How a signatory stopped being one."""

    LEFT = "left"  # its admins left
    REMOVED = "removed"  # operators removed it, with a reason


class AccordVersion(Base):
    """One published text of the accord. Versions are never edited, only superseded."""

    __tablename__ = "accord_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200))
    published_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class AccordTranslation(Base):
    """A version's text in another language, added by an operator: read beside the signed
    English text, never instead of it (the signature is on the English)."""

    __tablename__ = "accord_translations"
    __table_args__ = (UniqueConstraint("accord_version_id", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    accord_version_id: Mapped[int] = mapped_column(
        ForeignKey("accord_versions.id", ondelete="CASCADE")
    )
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    added_by: Mapped[str] = mapped_column(String(200))


class Application(Base):
    """An organization's request to join, kept after the decision as its record.

    ``proposal`` holds the proposed organization exactly as validated on submission, so that
    approval creates what the applicant asked for and nothing else.
    """

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        str_enum(ApplicationStatus, "application_status"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind, "application_kind"))
    proposal: Mapped[dict[str, Any]] = mapped_column(JSON)
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(320))
    username: Mapped[str | None] = mapped_column(String(64))
    accord_version_id: Mapped[int] = mapped_column(ForeignKey("accord_versions.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )

    accord_version: Mapped[AccordVersion] = relationship()
    organization: Mapped[Organization | None] = relationship()


class Signature(Base):
    """An organization's signature of one accord version, recorded when it was approved."""

    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("organization_id", "accord_version_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    accord_version_id: Mapped[int] = mapped_column(ForeignKey("accord_versions.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_by: Mapped[str] = mapped_column(String(200))
    approved_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL")
    )
    # Its entry in the transparency log, known when it was appended (None: published before
    # the hub kept it; its entry is found by the document's SHA-256).
    log_index: Mapped[int | None] = mapped_column(BigInteger)

    organization: Mapped[Organization] = relationship()
    accord_version: Mapped[AccordVersion] = relationship()


class AccountSetupLink(Base):
    """A one-time link that lets an approved applicant choose the first admin's password.

    Only the SHA-256 of the secret is kept; the link is shown once, to the approving operator.
    """

    __tablename__ = "account_setup_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class SecurityTxtCheck(Base):
    """One fetch and parse of an organization's security.txt (RFC 9116), kept as history."""

    __tablename__ = "securitytxt_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(500))
    final_url: Mapped[str | None] = mapped_column(String(2000))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    fields: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(String(200))


class DeclaredProduct(Base):
    """A product an organization declares it ships, named by a purl without a version.

    ``ecosystem`` and ``package`` hold the purl the way the advisories' package index keys a
    package (OSV ecosystem, normalised name), so that a report's purl finds the organizations
    that ship it with one indexed look-up. Purl types with no OSV ecosystem key as
    ``purl:<type>`` and ``namespace/name``.
    """

    __tablename__ = "declared_products"
    __table_args__ = (
        UniqueConstraint("organization_id", "ecosystem", "package"),
        Index("ix_declared_products_package", "ecosystem", "package", "organization_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    purl: Mapped[str] = mapped_column(String(500))
    ecosystem: Mapped[str] = mapped_column(String(100))
    package: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)


class ReachCheckKind(enum.StrEnum):
    """What a reachability check fetched."""

    POLICY = "policy"  # the disclosure policy (security.txt Policy:, else the declared URL)
    CSAF = "csaf"  # the CSAF provider metadata (security.txt CSAF:, else the well-known URL)


class ReachCheck(Base):
    """One fetch of a signatory's disclosure policy or CSAF provider metadata, kept as history.

    ``url`` is None when there was nothing to fetch (no policy URL anywhere): the check
    is kept, failed with ``problem`` ``no_url``, so that a missing policy counts as missing.
    """

    __tablename__ = "registry_reach_checks"
    __table_args__ = (Index("ix_registry_reach_checks_org_kind", "organization_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[ReachCheckKind] = mapped_column(str_enum(ReachCheckKind, "reach_check_kind"))
    url: Mapped[str | None] = mapped_column(String(2000))
    final_url: Mapped[str | None] = mapped_column(String(2000))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    problem: Mapped[str | None] = mapped_column(String(50))
    # The English record (the API, the audit) and the same message by its id and values
    # (``accord.message_records``) for the profile page to say in its reader's language.
    message: Mapped[str | None] = mapped_column(Text)
    message_said: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(String(200))
    # For a fetched policy page: what a reporter needs, each topic found or not, with the
    # sentence found as evidence (``policy_text.read``); None before it was read.
    statements: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    @property
    def said_message(self) -> object:
        """The message as its reader's catalog can say it (the English record where it was
        kept as plain text)."""
        return message_from(self.message_said, self.message)


class Departure(Base):
    """A signatory's departure from the accord: it left, or operators removed it.

    Its signatures stay (history is not rewritten); the departure says from when they no
    longer hold. One per organization: a departed signatory applies again to come back.
    """

    __tablename__ = "registry_departures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[DepartureKind] = mapped_column(str_enum(DepartureKind, "departure_kind"))
    reason: Mapped[str] = mapped_column(Text, default="")
    departed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Its entry in the transparency log, known when it was appended (None: published before
    # the hub kept it; its entry is found by the document's SHA-256).
    log_index: Mapped[int | None] = mapped_column(BigInteger)

    organization: Mapped[Organization] = relationship()
