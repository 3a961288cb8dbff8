"""Wire models of the jobs domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from accord.jobs.models import JobState


class JobRead(BaseModel):
    """A job as operators see it, payload and last error included."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    state: JobState
    attempts: int
    max_attempts: int
    run_at: datetime
    created_at: datetime
    finished_at: datetime | None
    last_error: str | None
    locked_by: str | None
    locked_until: datetime | None
    organization_id: int | None
    payload: dict[str, Any]
