"""Tables of the TAXII queue: envelopes waiting for the drainer, and its tries of each.

Apart from the other sharing tables because they live apart: on SQLite in a side file
(``queue.db``, see ``sharing.queue``), hence no foreign keys; on PostgreSQL in the hub
database. Imported by :mod:`accord.sharing.models`, so the metadata holds them as before.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, UTCDateTime


class QueuedEnvelope(Base):
    """A large envelope checked and acknowledged, waiting for the drainer to store it.

    On SQLite this table lives in a side file (``queue.db``, see ``sharing.queue``), so that
    acknowledging an envelope never waits for the hub database's one write lock; hence no
    foreign keys. ``payload`` holds the valid objects as checked (``queue.encode``).
    """

    __tablename__ = "sharing_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    collection_id: Mapped[int] = mapped_column(Integer)
    producer_org_id: Mapped[int | None] = mapped_column(Integer)
    request_timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    total_count: Mapped[int] = mapped_column(Integer)
    # How many valid objects wait in ``payload``: the backlog is their sum.
    objects: Mapped[int] = mapped_column(Integer)
    failures: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    # The id and version of each object in ``payload``, as JSON: what a pending status lists,
    # read without decoding the payload (a client polls it).
    pendings: Mapped[bytes] = mapped_column(LargeBinary)
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class QueueAttempt(Base):
    """How often the drainer tried to store a queued envelope, and why it last failed.

    Counted before each try (a drainer killed while storing it counts too); an entry tried
    ``queue.MAX_ATTEMPTS`` times is set aside (``set_aside_at``): kept, no longer tried, and
    listed for operators (``accord sharing queue``) with the reason. Beside the queue, in its
    store (``queue.db`` on SQLite), keyed like it by the status id.
    """

    __tablename__ = "sharing_queue_attempts"

    status_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    set_aside_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
