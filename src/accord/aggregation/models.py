"""Tables of the CSAF aggregation domain.

``csaf_documents`` keeps every CSAF document the hub took in whole (imported from a file, or
read from a provider), beside the advisory made from it; ``csaf_providers`` the providers the
hub aggregates or lists, with the keys their metadata names; ``csaf_runs`` each pass over a
provider's feeds and ``csaf_failures`` every document refused on the way, with the reason;
``csaf_refusals`` the documents refused as they stand, not to be downloaded again unchanged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.clock import utcnow
from accord.db import Base, UTCDateTime


class CsafProvider(Base):
    """A CSAF provider the hub reads: its metadata URL and what the last pass found."""

    __tablename__ = "csaf_providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    metadata_url: Mapped[str] = mapped_column(String(500), unique=True)
    # "aggregated": its documents are mirrored here; "listed": only named in aggregator.json.
    mode: Mapped[str] = mapped_column(String(20), default="aggregated")
    name: Mapped[str] = mapped_column(String(300), default="")
    namespace: Mapped[str] = mapped_column(String(500), default="")
    role: Mapped[str] = mapped_column(String(40), default="")
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # The armored public keys the metadata named, each {"fingerprint", "url", "armored"}.
    keys: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    provider_metadata: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[str] = mapped_column(String(20), default="new")
    last_message: Mapped[str] = mapped_column(String(1000), default="")


class CsafDocument(Base):
    """A CSAF document kept whole: from a provider (``provider_id``) or a file import."""

    __tablename__ = "csaf_documents"
    __table_args__ = (UniqueConstraint("provider_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("csaf_providers.id", ondelete="CASCADE"), index=True
    )
    advisory_id: Mapped[int] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), unique=True
    )
    url: Mapped[str] = mapped_column(String(1000))
    tracking_id: Mapped[str] = mapped_column(String(300))
    tracking_version: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(400))  # <year>/<file>.json, where mirrored
    sha256: Mapped[str] = mapped_column(String(64))
    sha512: Mapped[str] = mapped_column(String(128))
    # "verified" (by a key the provider's metadata names), "absent" or "not checked" (import).
    signature_status: Mapped[str] = mapped_column(String(20))
    signature_key: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(300))
    # When the provider last said the document changed (changes.csv, ROLIE "updated").
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    signature: Mapped[str | None] = mapped_column(Text)
    document: Mapped[str] = mapped_column(Text)


class CsafRun(Base):
    """One pass over a provider's feeds."""

    __tablename__ = "csaf_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("csaf_providers.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requests: Mapped[int] = mapped_column(Integer, default=0)
    listed: Mapped[int] = mapped_column(Integer, default=0)
    downloaded: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # Refused by an earlier pass and unchanged since: not downloaded (see CsafRefusal).
    refused_unchanged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    message: Mapped[str] = mapped_column(String(1000), default="")


class CsafFailure(Base):
    """A document (or feed) of a provider that a pass refused, and why."""

    __tablename__ = "csaf_failures"
    __table_args__ = (Index("ix_csaf_failures_provider_at", "provider_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("csaf_providers.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("csaf_runs.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(1000))
    # A short code ("hash_mismatch", "signature", "mandatory_test", "too_large", ...).
    code: Mapped[str] = mapped_column(String(40))
    test: Mapped[str | None] = mapped_column(String(20))  # "6.1.1" for a mandatory test
    reason: Mapped[str] = mapped_column(String(1000))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CsafRefusal(Base):
    """A provider's document the last pass that downloaded it refused, remembered with what
    its feed then said of it, so that it is downloaded again only once that changes."""

    __tablename__ = "csaf_refusals"
    __table_args__ = (UniqueConstraint("provider_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("csaf_providers.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(1000))
    # The feed's time for it (changes.csv, ROLIE "updated"), or, for a feed that says no time
    # (index.txt), the SHA-256 its provider published for it.
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_sha256: Mapped[str | None] = mapped_column(String(128))
    code: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
