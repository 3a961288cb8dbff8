"""Fixed-window rate limits shared by every hub process (sign-in throttling, public forms).

Counts are written in their own short transactions: a request that fails (a wrong password)
rolls its own work back, but its attempt must still count. On SQLite those transactions go to
a side file (``ratelimits.db`` in the data directory): SQLite has one writer at a time, and a
request that already holds the hub database's write lock would otherwise wait on itself. On
PostgreSQL the counters live in the hub database, row-locked, shared by every process.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
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


# -- sign-in throttling ----------------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    """A bucket of failed sign-ins and how many it may hold in a window."""

    bucket: str
    limit: int


def login_throttles(settings: Settings, *, username: str, ip_address: str | None) -> list[Throttle]:
    """The limits a sign-in attempt counts against: this address on this account, then this
    address on every account (looser, against one address trying many accounts).

    No limit counts an account's failures from every address: then anyone could lock anyone
    out (a PSIRT's member, before a disclosure) with a few wrong passwords. Guessing from many
    addresses is slowed by argon2 and each address's own limits.
    """
    address = address_key(ip_address)
    return [
        Throttle(f"login:pair:{address}:{username.lower()}", settings.login_failures_per_window),
        Throttle(f"login:address:{address}", settings.login_address_failures_per_window),
    ]


def factor_throttles(settings: Settings, *, user_id: int, ip_address: str | None) -> list[Throttle]:
    """The limits a wrong second-factor code (TOTP or recovery) counts against: the account,
    whatever the address, then the address.

    Unlike passwords, per account: whoever reaches this step knows the password, and a
    million six-digit codes must not be tried from a million addresses. The owner, locked out
    for a window, is the one who learns their password is known.
    """
    return [
        Throttle(f"factor:account:{user_id}", settings.login_failures_per_window),
        Throttle(
            f"factor:address:{address_key(ip_address)}", settings.login_address_failures_per_window
        ),
    ]


def address_key(ip_address: str | None) -> str:
    """The key of a client address: an IPv6 client's /64 network, which one subscriber
    usually holds whole (so that its 2^64 addresses are not 2^64 budgets), else the address."""
    if not ip_address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(ip_address)
    except ValueError:
        return ip_address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
