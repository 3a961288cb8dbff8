"""Tables of the accountability domain.

``accountability_figures`` holds the figures computed per (signatory, period), refreshed by
the ``accountability.refresh`` job, so that pages read one row per signatory instead of
recomputing. ``progress_reports`` and ``accountability_hub_reports`` hold published reports (one
signatory's, the whole hub's): a row is never changed after it is written, except to note the
version that superseded it. ``accountability_exclusions``
holds an operator's decision to keep a signatory or a period out of publication, with the
reason shown in its place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.clock import utcnow
from accord.db import Base, UTCDateTime


class ComputedFigures(Base):
    """Every figure of one signatory for one period, as last computed."""

    __tablename__ = "accountability_figures"
    __table_args__ = (
        UniqueConstraint("organization_id", "period_key"),
        Index("ix_accountability_figures_period", "period_key", "organization_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    period_key: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # {figure id: value}: what the scorecard reads, small enough to read 500 of per request.
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    # {figure id: [record refs]}: read for one signatory's page only.
    records: Mapped[dict[str, list[str]]] = mapped_column(JSON, deferred=True)


class HubFigures(Base):
    """The hub-wide aggregates of one period, as last computed from the stored figures: what
    the trend charts of the scorecard and the hub page read (eight rows, not 4,000)."""

    __tablename__ = "accountability_hub_figures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_key: Mapped[str] = mapped_column(String(10), unique=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # {figure id: {"median", "total", "reporting"}}
    aggregates: Mapped[dict[str, Any]] = mapped_column(JSON)


class PublishedDocument:
    """The columns every published report shares: the canonical document, its digest, the
    signed note and where the transparency log holds it. Never changed once written, except
    ``superseded_at`` when a newer version is published."""

    version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200))
    document_sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)  # a signed note of the digest
    log_index: Mapped[int] = mapped_column(Integer)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    document: Mapped[str] = mapped_column(Text)  # canonical JSON, as signed and logged


class ProgressReport(PublishedDocument, Base):
    """One published version of a signatory's progress report for a period."""

    __tablename__ = "progress_reports"
    __table_args__ = (UniqueConstraint("organization_id", "period_key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    period_key: Mapped[str] = mapped_column(String(10))


class HubReport(PublishedDocument, Base):
    """One published version of the hub-wide report (every signatory) for a period."""

    __tablename__ = "accountability_hub_reports"
    __table_args__ = (UniqueConstraint("period_key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_key: Mapped[str] = mapped_column(String(10))


class Exclusion(Base):
    """An operator keeps a signatory, a period, or one signatory's period out of publication."""

    __tablename__ = "accountability_exclusions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    period_key: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
