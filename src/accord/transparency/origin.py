"""The log's origin: its name in every checkpoint and the name of the key that signs them.

C2SP tlog-checkpoint names a log by its origin, and monitors pin a log by it, so a log keeps
one origin for life. The hub derives it from its configured public address
(``ACCORD_BASE_URL``, else ``http://ACCORD_HOST:ACCORD_PORT``): :func:`keys.origin_for`. The
first append stores it in the head row; from then on a configured address giving another
origin is refused (:class:`OriginChanged`) at start and at every append, rather than signing
under a name the operator no longer configures. A log with no entries has promised nothing
and takes the configured origin instead.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.errors import ConfigError
from accord.transparency import keys, store
from accord.transparency.models import LogCheckpoint, LogHead


class OriginChanged(ConfigError):
    """The configured public address does not give the origin the log was started under."""

    def __init__(self, *, stored: str, configured: str) -> None:
        address = stored.removesuffix("/log")
        super().__init__(
            f"the transparency log's origin is {stored!r}, but the configured public address "
            f"gives {configured!r}: a log keeps its origin for life (its monitors pin it), so "
            f"the hub will not sign under another. Set ACCORD_BASE_URL to the address this log "
            f"was started under (http(s)://{address}) for every command, `accord serve` and "
            "`accord advisories import` alike",
            field="ACCORD_BASE_URL",
        )


def locked_head(db: Session, *, settings: Settings) -> LogHead:
    """The head row, locked (see :func:`store.lock_head`), once its origin is the configured one."""
    configured = keys.origin_for(settings)
    head = store.lock_head(db, origin=configured)
    if head.origin != configured:
        _adopt(db, head, configured)
    return head


def check(db: Session, *, settings: Settings) -> None:
    """At start: refuse a public address that does not give the log's origin.

    An empty log takes the configured origin (in ``db``'s transaction).
    """
    head = store.read_head(db)
    if head is not None and head.origin != keys.origin_for(settings):
        locked_head(db, settings=settings)


def current(db: Session, *, settings: Settings) -> str:
    """The origin the log signs under: the stored one once it holds entries."""
    head = store.read_head(db)
    if head is not None and head.size > 0:
        return head.origin
    return keys.origin_for(settings)


def _adopt(db: Session, head: LogHead, configured: str) -> None:
    if head.size > 0:
        raise OriginChanged(stored=head.origin, configured=configured)
    # Nothing logged yet: only a checkpoint of size 0 was signed under the old name.
    db.execute(delete(LogCheckpoint).where(LogCheckpoint.size == 0))
    head.origin = configured
