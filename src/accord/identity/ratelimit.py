"""Fixed-window rate limits kept in the database, so every hub process shares the counts.

Counting happens in its own short transaction: a request that fails (a wrong password, say)
rolls its own work back, but its attempt must still count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.db import unit_of_work
from accord.errors import RateLimited
from accord.identity.models import RateCounter


def _window_start(now: datetime, window_seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, tz=now.tzinfo)


def count(factory: sessionmaker[Session], bucket: str, *, window_seconds: int) -> int:
    """How many hits ``bucket`` has in the current window."""
    start = _window_start(utcnow(), window_seconds)
    with unit_of_work(factory) as db:
        found = db.scalar(
            select(RateCounter.count).where(
                RateCounter.bucket == bucket, RateCounter.window_start == start
            )
        )
    return found or 0


def hit(factory: sessionmaker[Session], bucket: str, *, window_seconds: int) -> int:
    """Count one hit on ``bucket`` and return the window's new total."""
    now = utcnow()
    start = _window_start(now, window_seconds)
    with unit_of_work(factory) as db:
        dialect = db.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        upsert = (
            insert(RateCounter)
            .values(bucket=bucket, window_start=start, count=1)
            .on_conflict_do_update(
                index_elements=["bucket", "window_start"],
                set_={"count": RateCounter.count + 1},
            )
            .returning(RateCounter.count)
        )
        total = int(db.execute(upsert).scalar_one())
        # Old windows are worthless; trim them as we go rather than with a separate job.
        db.execute(delete(RateCounter).where(RateCounter.window_start < start - timedelta(days=1)))
    return total


def check(factory: sessionmaker[Session], bucket: str, *, limit: int, window_seconds: int) -> None:
    """Count a hit and raise :class:`RateLimited` once ``bucket`` is over ``limit``."""
    if hit(factory, bucket, window_seconds=window_seconds) > limit:
        raise RateLimited("too many requests; try again later", retry_after=window_seconds)


def reset(factory: sessionmaker[Session], bucket: str) -> None:
    """Forget every count of ``bucket`` (after a successful sign-in, for instance)."""
    with unit_of_work(factory) as db:
        db.execute(delete(RateCounter).where(RateCounter.bucket == bucket))
