"""``accord accountability refresh``: stores figures, queues the repeating job, names a bad
period on one line."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from accord.accountability.models import ComputedFigures
from accord.config import Settings
from accord.jobs.models import Job
from tests.cli.here import accord_here
from tests.factories import Factories


def test_refresh_from_the_command_line(
    settings: Settings, engine: Engine, make: Factories, db: Session
) -> None:
    make.org("Alpha")
    done = accord_here(settings, "accountability", "refresh", "--period", "2026-03")
    assert done.returncode == 0, done.stderr
    assert "2026-03: 1 signatory" in done.stdout
    db.rollback()
    assert db.scalar(select(func.count(ComputedFigures.id))) == 1
    queued = accord_here(settings, "accountability", "refresh", "--every", "60")
    assert queued.returncode == 0, queued.stderr
    db.rollback()
    assert db.scalar(select(Job.payload).where(Job.kind == "accountability.refresh")) == {
        "every_minutes": 60
    }
    bad = accord_here(settings, "accountability", "refresh", "--period", "2026-14")
    assert bad.returncode != 0
    assert "2026-14" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
