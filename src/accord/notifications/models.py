"""An organization's webhooks. Deliveries are jobs (``accord.jobs``), not rows of their own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.clock import utcnow
from accord.db import Base, UTCDateTime


class Webhook(Base):
    """A URL an organization's admins registered to hear of events that concern it.

    ``secret`` is kept as issued, not hashed: the hub needs it to sign every delivery, so a
    hash would be useless (docs/jobs.md says why it is not encrypted either). It is shown
    once, when created; the API and pages show only ``secret_hint``.
    """

    __tablename__ = "webhooks"
    # Never reuse an id on SQLite: a delivery queued for a removed webhook must not reach
    # the next one registered.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    secret: Mapped[str] = mapped_column(String(100))
    secret_hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
