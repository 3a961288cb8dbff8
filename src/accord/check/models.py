"""Tables of the check domain: the signed offline snapshots the hub has built."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.clock import utcnow
from accord.db import Base, UTCDateTime


class Snapshot(Base):
    """One snapshot of the public advisories, logged by its manifest's digest.

    ``fingerprint`` identifies the set of public records (and plain summaries) it holds, so a
    request finds out cheaply whether the newest snapshot is still current.
    """

    __tablename__ = "check_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    log_index: Mapped[int] = mapped_column(Integer)
    records: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Large last: the zip without its log bundle (added when served).
    content: Mapped[bytes] = mapped_column(LargeBinary)
