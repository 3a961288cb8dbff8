"""Wire models of the notifications domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accord.jobs.models import Job, JobState


class WebhookCreate(BaseModel):
    """A webhook to register."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000)
    description: str = Field(default="", max_length=200)


class WebhookRead(BaseModel):
    """A webhook; its secret is never shown again, only its first characters."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    description: str
    secret_hint: str
    created_at: datetime


class WebhookCreated(WebhookRead):
    """A webhook just registered, with the signing secret (shown this once)."""

    secret: str


class DeliveryRead(BaseModel):
    """One webhook delivery (a job) as the organization's admins see it."""

    id: int
    webhook_id: int
    url: str
    event: str
    delivery_id: str
    state: JobState
    attempts: int
    max_attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    finished_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, job: Job) -> DeliveryRead:
        """The delivery a webhook job carries."""
        payload: dict[str, Any] = job.payload
        waiting = job.state in (JobState.QUEUED, JobState.FAILED)
        return cls(
            id=job.id,
            webhook_id=payload["webhook_id"],
            url=payload["url"],
            event=payload["event"]["kind"],
            delivery_id=payload["delivery_id"],
            state=job.state,
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            created_at=job.created_at,
            next_attempt_at=job.run_at if waiting else None,
            finished_at=job.finished_at,
            last_error=job.last_error,
        )
