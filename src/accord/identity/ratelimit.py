"""Fixed-window rate limits shared by every hub process (sign-in throttling, public forms).

Counts are written in their own short transactions: a request that fails (a wrong password)
rolls its own work back, but its attempt must still count. On SQLite those transactions go to
a side file (``ratelimits.db`` in the data directory): SQLite has one writer at a time, and a
request that already holds the hub database's write lock would otherwise wait on itself. On
PostgreSQL the counters live in the hub database, row-locked, shared by every process.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.config import Settings
from accord.db import make_sessionmaker, side_store, unit_of_work
from accord.errors import RateLimited
from accord.identity.models import RateCounter
from accord.web.i18n import N_


class RateLimiter:
    """Counts hits per bucket in fixed windows, in a store of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.factory: sessionmaker[Session] = make_sessionmaker(engine)
        self.reader: sessionmaker[Session] = make_sessionmaker(engine, read_only=True)

    @classmethod
    def for_hub(cls, settings: Settings, hub_engine: Engine) -> RateLimiter:
        """The limiter for a hub: a side SQLite file, or the hub's PostgreSQL database."""
        return cls(side_store(settings, hub_engine, "ratelimits.db", RateCounter.__table__))

    def count(self, bucket: str, *, window_seconds: int) -> int:
        """How many hits ``bucket`` has in the current window."""
        start = _window_start(utcnow(), window_seconds)
        with self.reader() as db:
            found = db.scalar(
                select(RateCounter.count).where(
                    RateCounter.bucket == bucket, RateCounter.window_start == start
                )
            )
        return found or 0

    def hit(self, bucket: str, *, window_seconds: int) -> int:
        """Count one hit on ``bucket`` and return the window's new total."""
        start = _window_start(utcnow(), window_seconds)
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        upsert = (
            insert(RateCounter)
            .values(bucket=bucket, window_start=start, count=1)
            .on_conflict_do_update(
                index_elements=["bucket", "window_start"],
                set_={"count": RateCounter.count + 1},
            )
            .returning(RateCounter.count)
        )
        with unit_of_work(self.factory) as db:
            total = int(db.execute(upsert).scalar_one())
            # Old windows are worthless; trim them as we go rather than with a separate job.
            db.execute(
                delete(RateCounter).where(RateCounter.window_start < start - timedelta(days=1))
            )
        return total

    def check(self, bucket: str, *, limit: int, window_seconds: int) -> None:
        """Count a hit and raise :class:`RateLimited` once ``bucket`` is over ``limit``."""
        if self.hit(bucket, window_seconds=window_seconds) > limit:
            raise RateLimited(N_("too many requests; try again later"), retry_after=window_seconds)

    def reset(self, bucket: str) -> None:
        """Forget every count of ``bucket`` (after a successful sign-in, for instance)."""
        with unit_of_work(self.factory) as db:
            db.execute(delete(RateCounter).where(RateCounter.bucket == bucket))

    def clear(self) -> None:
        """Forget everything (tests)."""
        with unit_of_work(self.factory) as db:
            db.execute(delete(RateCounter))


def _window_start(now: datetime, window_seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, tz=now.tzinfo)
