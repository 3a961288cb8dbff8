"""Tables of the identity domain."""

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
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.clock import utcnow
from accord.db import Base, UTCDateTime, str_enum


class OrgKind(enum.StrEnum):
    """How an organization takes part: it signed the accord, or it partners without signing."""

    SIGNATORY = "signatory"
    PARTNER = "partner"


class OrgType(enum.StrEnum):
    """What sort of organization it is."""

    VENDOR = "vendor"
    CSIRT = "csirt"
    NGO = "ngo"
    GOVERNMENT = "government"
    ACADEMIA = "academia"
    OTHER = "other"


class MemberRole(enum.StrEnum):
    """A user's role inside one organization."""

    ADMIN = "admin"
    MEMBER = "member"


class TokenScope(enum.StrEnum):
    """What an API token may do. Each scope includes the ones before it."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class Organization(Base):
    """A company, CSIRT, NGO, agency or university taking part in the hub."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind, "org_kind"))
    org_type: Mapped[OrgType] = mapped_column(str_enum(OrgType, "org_type"))
    country: Mapped[str] = mapped_column(String(2))
    website: Mapped[str] = mapped_column(String(500))
    security_contact: Mapped[str] = mapped_column(String(500))
    disclosure_policy_url: Mapped[str | None] = mapped_column(String(500))
    security_txt_url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The organization's UUID in the CVE Program's services, if it is a CNA: CVE JSON 5
    # exports name it as the assigner and provider.
    cve_org_id: Mapped[str | None] = mapped_column(String(36))
    # Set by its admins: members without a second factor may do nothing but enrol one.
    require_second_factor: Mapped[bool] = mapped_column(Boolean, default=False)

    memberships: Mapped[list[Membership]] = relationship(back_populates="organization")


class User(Base):
    """A person with an account. Operators run the hub; others act through organizations."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # An operator without a second factor may work without one until then; set at the first
    # sign-in (accord.identity.access.start_session).
    second_factor_grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The language chosen with the switch while signed in (web.i18n.LANGUAGES); emails to the
    # user are written in it. None: none chosen yet, English.
    language: Mapped[str | None] = mapped_column(String(16))

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")


class Membership(Base):
    """A user's role in an organization."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MemberRole] = mapped_column(str_enum(MemberRole, "member_role"))

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship(back_populates="memberships")


class AccessVersion(Base):
    """How many times the rows a caller's access is read from changed (tokens, users,
    memberships, collections and their grants, groups, audiences, remotes: migration
    identity_0007's triggers, whoever writes), the sum of its shards; what a process keeps of
    them is used only at the version it was read at (``identity.access_cache``). Rows only
    grow: a version never comes back."""

    __tablename__ = "access_versions"

    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


class ApiToken(Base):
    """A bearer token for the API. Only the SHA-256 of the secret is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[TokenScope] = mapped_column(str_enum(TokenScope, "token_scope"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class WebSession(Base):
    """A signed-in browser. Kept in the database so that any hub process can serve it.

    A *pending* session is half a sign-in: the password was right, the second factor is still
    to come. It stands for nobody (``session_actor`` ignores it) and expires in minutes.
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    # When this browser last proved a second factor (sign-in or step-up); None: never.
    factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    ip_address: Mapped[str | None] = mapped_column(String(64))
    # The WebAuthn challenge this browser was last given (base64url), spent by its answer.
    challenge: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship()


class BootstrapToken(Base):
    """A one-time link that lets the first operator create an account."""

    __tablename__ = "bootstrap_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RateCounter(Base):
    """A fixed-window counter shared by every hub process (login throttling, public forms)."""

    __tablename__ = "rate_counters"
    __table_args__ = (UniqueConstraint("bucket", "window_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(200))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(Integer, default=0)


class AuditEvent(Base):
    """One privileged action. Rows are only ever inserted, in the transaction of the change."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64))
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    target: Mapped[str] = mapped_column(String(200), default="")
    ip_address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FactorKind(enum.StrEnum):
    """A second factor's kind."""

    TOTP = "totp"
    WEBAUTHN = "webauthn"


class SecondFactor(Base):
    """A user's second factor: a TOTP secret (RFC 6238) or a WebAuthn credential."""

    __tablename__ = "second_factors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FactorKind] = mapped_column(str_enum(FactorKind, "factor_kind"))
    name: Mapped[str] = mapped_column(String(100))
    # A TOTP factor counts once its first code was right (the user's app holds the secret).
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Sealed (identity/sealing.py): the database alone does not give the person's codes.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    # The last RFC 6238 time step accepted: a code of that step or an earlier one is a replay.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    credential_id: Mapped[str | None] = mapped_column(String(1400), unique=True)
    public_key: Mapped[str | None] = mapped_column(Text)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)


class RecoveryCode(Base):
    """A one-time code that stands in for a lost second factor; only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Invitation(Base):
    """A one-time link by which an organization's admin asks someone to join it.

    Only the SHA-256 of the link's secret is kept. The link is good once, until it expires,
    unless an admin revokes it first; it is for the address it was sent to.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[MemberRole] = mapped_column(str_enum(MemberRole, "member_role"))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship()
