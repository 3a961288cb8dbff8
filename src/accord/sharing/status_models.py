"""The table of TAXII statuses: the outcome of each POST of an envelope, kept for its poster
to poll (TAXII 2.1, section 4.3).

Imported by :mod:`accord.sharing.models`, so the metadata holds it as before; ``sharing.statuses``
reads and answers it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.clock import utcnow
from accord.db import Base, UTCDateTime


class TaxiiStatus(Base):
    """The outcome of one POST of an envelope (TAXII 2.1, section 4.3.1)."""

    __tablename__ = "sharing_statuses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_collections.id", ondelete="CASCADE")
    )
    request_timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    total_count: Mapped[int] = mapped_column(Integer)
    success_count: Mapped[int] = mapped_column(Integer)
    failure_count: Mapped[int] = mapped_column(Integer)
    # The successes and the failures as the status resource writes them (JSON arrays, written
    # once when the status is kept): a poll splices them into its answer rather than decoding
    # and encoding again an entry for each object of the envelope (migration sharing_0017).
    successes: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[str | None] = mapped_column(Text)
    # The two lists of a status kept before sharing_0017, decoded to answer it; ``{}`` since.
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
