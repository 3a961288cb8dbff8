"""The store of the envelopes waiting in the TAXII queue (see :mod:`accord.sharing.queue`).

A side SQLite file (``queue.db``) or the hub's PostgreSQL database: entries put, found by
their status id, taken oldest first by the drainer, their tries counted, set aside after
:data:`MAX_ATTEMPTS`, and forgotten once stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session, defer, sessionmaker

from accord.clock import utcnow
from accord.config import Settings
from accord.db import make_sessionmaker, side_store, unit_of_work
from accord.errors import N_, AccordError
from accord.sharing.models import QueueAttempt, QueuedEnvelope

# The queue's logger, as it was named before the store had a module of its own.
log = logging.getLogger("accord.sharing.queue")

# Tries of one entry before it is set aside: enough for a passing failure (the database
# restarting, a lock timeout) to pass, with the drainer's backoff between them.
MAX_ATTEMPTS = 5
# The reason kept for an entry whose tries left none (the drainer was killed storing it).
DIED_WHILE_STORING = "the drainer process ended while storing it (killed, or out of memory)"


class QueueFull(AccordError):
    """Too many objects wait to be stored; the client should try again later (503)."""

    status_code = 503
    code = "queue_full"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


_SET_ASIDE = select(QueueAttempt.status_uuid).where(QueueAttempt.set_aside_at.is_not(None))


class Queue:
    """The envelopes waiting to be stored, in a store of their own (see :mod:`.queue`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker[Session] = make_sessionmaker(engine)
        self.reader: sessionmaker[Session] = make_sessionmaker(engine, read_only=True)

    @classmethod
    def for_hub(cls, settings: Settings, hub_engine: Engine) -> Queue:
        """The queue of a hub: a side SQLite file, or the hub's PostgreSQL database."""
        return cls(
            side_store(
                settings,
                hub_engine,
                "queue.db",
                QueuedEnvelope.__table__,
                QueueAttempt.__table__,
            )
        )

    def put(self, entry: QueuedEnvelope) -> None:
        """Keep ``entry`` durably: committed when this returns."""
        with unit_of_work(self.sessions) as db:
            db.add(entry)

    def find(self, status_uuid: str) -> QueuedEnvelope | None:
        """The waiting entry acknowledged with this status id, if it still waits."""
        query = select(QueuedEnvelope).where(QueuedEnvelope.status_uuid == status_uuid)
        with self.reader() as db:
            # Not the payload: a client polling its status must not cost a megabyte a read.
            return db.scalar(query.options(defer(QueuedEnvelope.payload)))

    def backlog(self) -> int:
        """How many objects wait to be stored (those set aside do not wait)."""
        query = select(func.coalesce(func.sum(QueuedEnvelope.objects), 0)).where(
            QueuedEnvelope.status_uuid.not_in(_SET_ASIDE)
        )
        with self.reader() as db:
            return int(db.scalar(query) or 0)

    def take(self, limit: int, *, max_attempts: int = MAX_ATTEMPTS) -> list[QueuedEnvelope]:
        """The oldest entries, whole, up to about ``limit`` objects (at least one entry).

        An entry tried before is taken alone, so that the one that fails a batch is found
        and the others are stored; one tried ``max_attempts`` times is set aside here.
        """
        ids: list[int] = []
        count = 0
        worn: list[QueueAttempt] = []
        query = (
            select(QueuedEnvelope.id, QueuedEnvelope.objects, QueueAttempt)
            .outerjoin(QueueAttempt, QueueAttempt.status_uuid == QueuedEnvelope.status_uuid)
            .where(QueueAttempt.set_aside_at.is_(None))
            .order_by(QueuedEnvelope.id)
        )
        with self.reader() as db:
            for entry_id, objects, attempt in db.execute(query):
                tried = attempt is not None and attempt.attempts > 0
                if tried and attempt.attempts >= max_attempts:
                    worn.append(attempt)
                    continue
                if ids and (count + objects > limit or tried):
                    break
                ids.append(entry_id)
                count += objects
                if tried:
                    break  # alone
            chosen = select(QueuedEnvelope).where(QueuedEnvelope.id.in_(ids))
            entries = list(db.scalars(chosen.order_by(QueuedEnvelope.id)))
        for attempt in worn:
            self.set_aside(attempt.status_uuid, attempt.last_error or DIED_WHILE_STORING)
        return entries

    def attempting(self, entries: Sequence[QueuedEnvelope]) -> None:
        """Count a try of each entry, committed before the try (a drainer killed meanwhile
        leaves it counted)."""
        now = utcnow()
        uuids = [e.status_uuid for e in entries]
        with unit_of_work(self.sessions) as db:
            found = {
                a.status_uuid: a
                for a in db.scalars(select(QueueAttempt).where(QueueAttempt.status_uuid.in_(uuids)))
            }
            for uuid in uuids:
                attempt = found.get(uuid)
                if attempt is None:
                    db.add(QueueAttempt(status_uuid=uuid, attempts=1, last_attempt_at=now))
                else:
                    attempt.attempts += 1
                    attempt.last_attempt_at = now

    def failed(
        self, entries: Sequence[QueuedEnvelope], reason: str, *, max_attempts: int = MAX_ATTEMPTS
    ) -> None:
        """Keep why the try of ``entries`` failed; set aside those tried ``max_attempts``
        times (alone, by then: :meth:`take`)."""
        uuids = [e.status_uuid for e in entries]
        with unit_of_work(self.sessions) as db:
            db.execute(
                update(QueueAttempt)
                .where(QueueAttempt.status_uuid.in_(uuids))
                .values(last_error=reason[:2000])
            )
            worn = db.scalars(
                select(QueueAttempt.status_uuid).where(
                    QueueAttempt.status_uuid.in_(uuids), QueueAttempt.attempts >= max_attempts
                )
            ).all()
        for uuid in worn:
            self.set_aside(uuid, reason)

    def set_aside(self, status_uuid: str, reason: str) -> None:
        """No longer try this entry: kept, with the reason, for an operator to look at."""
        with unit_of_work(self.sessions) as db:
            db.execute(
                update(QueueAttempt)
                .where(QueueAttempt.status_uuid == status_uuid, QueueAttempt.set_aside_at.is_(None))
                .values(set_aside_at=utcnow(), last_error=reason[:2000])
            )
        log.error("TAXII queue entry %s set aside after failed tries: %s", status_uuid, reason)

    def set_aside_entries(self) -> list[tuple[QueuedEnvelope, QueueAttempt]]:
        """The entries set aside, oldest first, with their tries and reason (operators)."""
        query = (
            select(QueuedEnvelope, QueueAttempt)
            .join(QueueAttempt, QueueAttempt.status_uuid == QueuedEnvelope.status_uuid)
            .where(QueueAttempt.set_aside_at.is_not(None))
            .options(defer(QueuedEnvelope.payload))
            .order_by(QueuedEnvelope.id)
        )
        with self.reader() as db:
            return [(entry, attempt) for entry, attempt in db.execute(query)]

    def retry(self, status_uuid: str) -> bool:
        """Put a set-aside entry back in line, its tries forgotten; whether there was one."""
        with unit_of_work(self.sessions) as db:
            gone = db.execute(
                delete(QueueAttempt).where(
                    QueueAttempt.status_uuid == status_uuid, QueueAttempt.set_aside_at.is_not(None)
                )
            )
            return bool(getattr(gone, "rowcount", 0))

    def forget(self, entries: Sequence[QueuedEnvelope]) -> None:
        """Remove stored entries, and their tries."""
        if entries:
            ids = [e.id for e in entries]
            uuids = [e.status_uuid for e in entries]
            with unit_of_work(self.sessions) as db:
                db.execute(delete(QueuedEnvelope).where(QueuedEnvelope.id.in_(ids)))
                db.execute(delete(QueueAttempt).where(QueueAttempt.status_uuid.in_(uuids)))

    def clear(self) -> None:
        """Forget every entry (tests)."""
        with unit_of_work(self.sessions) as db:
            db.execute(delete(QueuedEnvelope))
            db.execute(delete(QueueAttempt))

    def wait_for_room(self, *, limit: int, seconds: float) -> None:
        """Return once fewer than ``limit`` objects wait; :class:`QueueFull` after ``seconds``."""
        deadline = time.monotonic() + seconds
        while self.backlog() >= limit:
            if time.monotonic() >= deadline:
                raise QueueFull(
                    N_("too many objects are waiting to be stored; try again later"),
                    retry_after=max(1, int(seconds)),
                )
            time.sleep(0.05)
