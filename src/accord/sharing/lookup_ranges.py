"""The address ranges stored in the look-up index, kept by the process: a look-up of an
address seeks only the ranges holding it that are stored, not one at every prefix length
stored (most of them held nothing: a third of a look-up's keys, and of its seeks).

Kept under the hub's objects version: the sum of every collection's page version
(``models.PageVersion``), which database triggers raise on every insert, update and delete
of ``sharing_objects``, whoever writes, and which never goes back. An index entry is
written and deleted only with its object (``ingest_rows.insert``; ``ON DELETE CASCADE``),
so an equal sum means the same stored ranges.

A wrong set would hide a real hit, so the set is read only from committed rows, in a
transaction of its own (``prepared.Reading``), and used only by a look-up whose transaction
reads the same version and has written nothing: on SQLite a transaction that wrote holds the
write lock, so nothing else committed since it began, and its own changes put its version
above any committed one; on PostgreSQL its transaction id must be unassigned
(``txid_current_if_assigned``), as its own uncommitted changes could add up, with others'
commits, to a committed sum. Otherwise the look-up seeks every prefix length, as it did.

On PostgreSQL (read committed) a range committed between the version's statement and the
hits' may go unseen: the look-up answers as of its version, as one begun a moment earlier
would. One look-up reads the set at a time; the others meanwhile seek every prefix length
rather than wait. The set is kept per database (the engine's URL).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select, func, select, true
from sqlalchemy.orm import Session

from accord import prepared
from accord.sharing import lookup
from accord.sharing.models import Observable, PageVersion

Pair = tuple[str, str]

# Past this many ranges the set is not kept (memory: some 150 bytes a range), nor read whole;
# look-ups then seek every prefix length stored.
MAX_RANGES = 500_000
# A stale set is read again at most this often: reading it scans the index (some 100 to 200
# ms for a million entries); between two reads a look-up seeks every prefix length.
REREAD_SECONDS = 5.0
# Once past MAX_RANGES, how long before counting again: the count seldom falls back.
REREAD_TOO_MANY_SECONDS = 300.0

_SUM = func.coalesce(func.sum(PageVersion.version), 0)
_RANGE_KINDS = tuple(sorted(lookup.NETWORK_KINDS.values()))
_VERSION = select(_SUM)
# One more than kept: past MAX_RANGES the rows are not read whole.
_RANGES = (
    select(Observable.kind, Observable.value)
    .where(Observable.kind.in_(_RANGE_KINDS))
    .limit(MAX_RANGES + 1)
)


@dataclass(frozen=True)
class Ranges:
    """The ranges stored at one version, and their prefix lengths by kind."""

    version: int
    pairs: frozenset[Pair]
    lengths: dict[str, list[int]]


class _Kept:
    """The set kept for one database (its engine's URL): a process may hold several."""

    def __init__(self) -> None:
        self.ranges: Ranges | None = None
        self.read_at = float("-inf")
        self.too_many = False
        self.lock = threading.Lock()


_KEPT: dict[str, _Kept] = {}
_KEPT_LOCK = threading.Lock()


def _kept_for(engine: Engine) -> _Kept:
    key = str(engine.url)
    found = _KEPT.get(key)
    if found is None:
        with _KEPT_LOCK:
            found = _KEPT.setdefault(key, _Kept())
    return found


def clear() -> None:
    """Forget the kept sets (for tests, whose emptied tables take versions back)."""
    with _KEPT_LOCK:
        _KEPT.clear()


def _version_statement(dialect: str) -> Select[Any]:
    """The objects' version as the transaction sees it, and whether it has written nothing
    (PostgreSQL; on SQLite a transaction that wrote has a version no commit has)."""
    found = _VERSION_STATEMENTS.get(dialect)
    if found is None:
        clean = func.txid_current_if_assigned().is_(None) if dialect == "postgresql" else true()
        found = _VERSION_STATEMENTS[dialect] = select(select(_SUM).scalar_subquery(), clean)
    return found


_VERSION_STATEMENTS: dict[str, Select[Any]] = {}


def stored(db: Session) -> Ranges | None:
    """The ranges stored as ``db``'s transaction sees them, if the kept set is of its version
    (read again when stale, at most every ``REREAD_SECONDS``); None when it cannot be used."""
    bind = db.get_bind()
    version, clean = tuple(db.execute(_version_statement(bind.dialect.name)).one())
    if not clean:
        return None
    engine = bind if isinstance(bind, Engine) else bind.engine
    kept_for = _kept_for(engine)
    kept = kept_for.ranges
    if kept is not None and kept.version == version:
        return kept
    # One look-up reads the set; the others meanwhile seek every prefix length rather than
    # wait for it (its read checks a connection out and scans the index).
    if not kept_for.lock.acquire(blocking=False):
        return None
    try:
        now = time.monotonic()
        wait = REREAD_TOO_MANY_SECONDS if kept_for.too_many else REREAD_SECONDS
        if now - kept_for.read_at < wait:
            return None
        kept_for.read_at = now
        fresh, too_many = _read(engine)
        kept_for.too_many = too_many
        if fresh is not None or too_many:
            kept_for.ranges = fresh
    finally:
        kept_for.lock.release()
    return fresh if fresh is not None and fresh.version == version else None


def _read(engine: Engine) -> tuple[Ranges | None, bool]:
    """The committed ranges and their version, read in one snapshot of their own (None when
    the version moved while they were read: PostgreSQL's statements each see the latest
    commits), and whether there were more than ``MAX_RANGES`` (then none are kept)."""
    with prepared.Reading(engine) as reading:
        before = prepared.rows(reading, _VERSION, {})[0][0]
        found = prepared.rows(reading, _RANGES, {})
        after = prepared.rows(reading, _VERSION, {})[0][0]
    if len(found) > MAX_RANGES:
        return None, True
    if before != after:
        return None, False
    lengths: dict[str, set[int]] = {}
    for kind, value in found:
        lengths.setdefault(kind, set()).add(lookup.prefix_length(value))
    return (
        Ranges(
            version=int(before),
            pairs=frozenset((kind, value) for kind, value in found),
            lengths={kind: sorted(n) for kind, n in lengths.items()},
        ),
        False,
    )
