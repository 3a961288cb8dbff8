"""The job table: one row per piece of background work, kept after it ends."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from accord.clock import utcnow
from accord.db import Base, UTCDateTime, str_enum
from accord.message_records import message_from


class JobState(enum.StrEnum):
    """Where a job stands.

    ``failed`` waits for its next attempt (``run_at``); ``dead`` has used every attempt and
    waits for an operator. Neither is ever deleted, so a failure stays visible.
    """

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    DEAD = "dead"


# States a worker may claim once run_at has come (running: only once its lease expired).
CLAIMABLE = (JobState.QUEUED, JobState.FAILED)


class Job(Base):
    """A unit of background work: a handler's kind and its JSON payload."""

    __tablename__ = "jobs"
    __table_args__ = (
        # The claim query: due jobs in order, and expired leases.
        Index("ix_jobs_state_run_at", "state", "run_at"),
        Index("ix_jobs_organization_id_kind", "organization_id", "kind"),
        # At most one queued job per dedupe key: events coalesce into one pending job.
        Index(
            "ux_jobs_queued_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text("state = 'queued' AND dedupe_key IS NOT NULL"),
            postgresql_where=text("state = 'queued' AND dedupe_key IS NOT NULL"),
        ),
        # Ids are never reused on SQLite either: an audit row names a job by its id.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[JobState] = mapped_column(str_enum(JobState, "job_state"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The English record (logs, the API, the command line) and the same message by its id and
    # values (``accord.message_records``) for the pages to say in their reader's language.
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_said: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Jobs with the same key coalesce while queued (see services.enqueue).
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    # The organization the job serves (a webhook delivery), so that its admins can see it.
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )

    @property
    def last_error_message(self) -> object:
        """The last error as a message its reader's catalog can say (the English record
        where it was kept as plain text)."""
        return message_from(self.last_error_said, self.last_error)
