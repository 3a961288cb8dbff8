"""Tables of the advisories domain.

An advisory keeps its OSV record canonically (RFC 8785 JSON, as published) plus columns the
hub filters on. Every published version stays in ``advisory_versions``. Two index tables let
a query touch only the queried package's advisories: ``advisory_packages`` (ecosystem,
normalized name) and ``advisory_commits`` (affecting git commits).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
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
from accord.identity.models import Organization


class AdvisoryStatus(enum.StrEnum):
    """Where an advisory is in its life."""

    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Tlp(enum.StrEnum):
    """Traffic Light Protocol 2.0: who may read it. CLEAR is public."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"


class Advisory(Base):
    """One advisory: its current published OSV record, a pending draft, and hub fields."""

    __tablename__ = "advisories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    osv_id: Mapped[str] = mapped_column(String(128), unique=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[AdvisoryStatus] = mapped_column(str_enum(AdvisoryStatus, "advisory_status"))
    tlp: Mapped[Tlp] = mapped_column(str_enum(Tlp, "advisory_tlp"), default=Tlp.CLEAR)
    source: Mapped[str] = mapped_column(String(300), default="hub")
    summary: Mapped[str] = mapped_column(String(1000), default="")
    aliases: Mapped[str] = mapped_column(String(2000), default="")
    cwe_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    cvss_v3_vector: Mapped[str | None] = mapped_column(String(200))
    cvss_v3_score: Mapped[float | None] = mapped_column(Float)
    cvss_v4_vector: Mapped[str | None] = mapped_column(String(300))
    cvss_v4_score: Mapped[float | None] = mapped_column(Float)
    severity: Mapped[str | None] = mapped_column(String(10), index=True)
    osv_modified: Mapped[str | None] = mapped_column(String(40))
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Large texts last: SQLite reads the small columns before them without their overflow pages.
    plain_summary: Mapped[str] = mapped_column(Text, default="")
    document: Mapped[str | None] = mapped_column(Text)
    draft: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization | None] = relationship()
    versions: Mapped[list[AdvisoryVersion]] = relationship(
        back_populates="advisory", order_by="AdvisoryVersion.number", cascade="all, delete-orphan"
    )


class AdvisoryVersion(Base):
    """One published version of an advisory, kept forever (history and proofs)."""

    __tablename__ = "advisory_versions"
    __table_args__ = (UniqueConstraint("advisory_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    advisory_id: Mapped[int] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    osv_modified: Mapped[str] = mapped_column(String(40))
    document: Mapped[str] = mapped_column(Text)
    document_sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200))
    # Its entry in the transparency log, known when it was appended (None: published before
    # the hub kept it; its entry is found by the document's SHA-256).
    log_index: Mapped[int | None] = mapped_column(BigInteger)

    advisory: Mapped[Advisory] = relationship(back_populates="versions")


class AffectedPackage(Base):
    """Index: one row per ``affected`` entry of a published advisory, by package."""

    __tablename__ = "advisory_packages"
    # Covering the look-up: a query reads the index alone, never the (large) entries.
    __table_args__ = (
        Index(
            "ix_advisory_packages_package", "ecosystem", "name", "advisory_id", "ecosystem_variant"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    advisory_id: Mapped[int] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), index=True
    )
    ecosystem: Mapped[str] = mapped_column(String(100))
    ecosystem_variant: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(300))
    entry: Mapped[str] = mapped_column(Text)


class AffectedCommit(Base):
    """Index: git commits a published advisory names as vulnerable."""

    __tablename__ = "advisory_commits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    advisory_id: Mapped[int] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), index=True
    )
    commit_hash: Mapped[str] = mapped_column(String(64), index=True)


class QueryVersion(Base):
    """How many times what OSV queries read changed (advisories, their package and commit
    rows: migration advisories_0003's triggers, whoever writes), the sum of its shards;
    answers a process keeps are used only at the version they were read at
    (``advisories.kept_answers``). Rows only grow: a version never comes back."""

    __tablename__ = "advisory_query_versions"

    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
