"""What a caller's access is read from, kept by the process while it is unchanged.

Every TAXII read and OSV query looks up its caller's token (its user, memberships and
organizations), the collection's rights (the collection, its grants, their sharing groups)
and the reader's TLP facts (groups, audiences, peer remotes): four small statements whose
answers seldom change. Database triggers on every one of those tables bump one version
(``AccessVersion``, migration identity_0007) on every insert, update and delete, whoever
writes (another web process, the drainer, the CLI). A request reads that version once, in its
own read transaction, before the statements it would run; a statement's rows kept at the same
version are exactly what the statement would answer now, and any other version drops them.
So a revoked token, a disabled account, a removed membership, a withdrawn grant or a changed
audience holds from the next request in every process, as without the cache, and the checks
on the rows (a token's expiry, the second factor's grace, the policy) still run on every
request, against the clock of that request.

Only rows are kept, never a decision; only in a bare :class:`accord.prepared.Reading` (the hot
reads), never in a session. Bounded: least recently used statements' rows past ``max_entries``
are dropped; 0 keeps nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.sql.elements import ClauseElement

from accord import prepared
from accord.identity.models import AccessVersion

Rows = list[tuple[Any, ...]]
_V = TypeVar("_V")
# The sum of the shards (each writer of PostgreSQL bumps one no other holds): shards only
# grow, so an equal sum means no committed change between (as sharing.page_cache's version).
_VERSION = select(func.coalesce(func.sum(AccessVersion.version), 0))


class AccessCache:
    """Rows of access statements by statement and parameters, with the version they were
    read at; safe across worker threads."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._rows: OrderedDict[Hashable, tuple[int, Rows]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        # Values built from kept rows, with the version they were built at (``built``).
        self._built: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._rows)

    def clear(self) -> None:
        """Forget every row (tests empty the tables, the version's included, under an app)."""
        with self._lock:
            self._rows.clear()
            self._built.clear()

    def version(self, db: prepared.Reading) -> int:
        """The access version as ``db``'s transaction sees it, read once a transaction."""
        if db.access_version is None:
            found = prepared.rows(db, _VERSION, {})
            db.access_version = int(found[0][0]) if found else 0
        return db.access_version

    def rows(
        self,
        db: prepared.Reading,
        statement: ClauseElement,
        params: Mapping[str, Any],
        *,
        typed: bool,
    ) -> Rows:
        """``statement``'s rows for ``params``, kept ones if read at the current version.

        The version is read before the statement: on PostgreSQL each statement of a read
        committed transaction sees the latest commits, so rows kept under a version are never
        older than it; a change committed after it has bumped it again.
        """
        if self.max_entries <= 0:
            return _read(db, statement, params, typed=typed)
        version = self.version(db)
        key = (id(statement), typed, *map(_hashable, params.items()))
        with self._lock:
            kept = self._rows.get(key)
            if kept is not None and kept[0] == version:
                self._rows.move_to_end(key)
                self.hits += 1
                return kept[1]
            self.misses += 1
        fresh = _read(db, statement, params, typed=typed)
        with self._lock:
            self._rows[key] = (version, fresh)
            self._rows.move_to_end(key)
            while len(self._rows) > self.max_entries:
                self._rows.popitem(last=False)
        return fresh

    def built(self, db: prepared.Reading, key: Hashable, build: Callable[[], _V]) -> _V:
        """The value ``build`` makes of rows this cache keeps (a collection's grants, a
        reader's facts), kept with the access version it was built at and given again while
        ``db``'s transaction reads that version: its rows, and so the value, are the same.

        Only facts are kept, never a decision: the policy still decides on every request with
        them. ``key`` names everything ``build`` reads besides those tables' rows. Rebuilding
        them on every request (the rows' look-up here, then sets and dataclasses) cost a kept
        TAXII page more than its version statement (docs/benchmarks.md, "The reads' own work").
        """
        if self.max_entries <= 0:
            return build()
        version = self.version(db)
        with self._lock:
            kept = self._built.get(key)
            if kept is not None and kept[0] == version:
                # Least recently used out first, as the rows: callers that come and go (an
                # unknown token, a collection that is not there) push out only each other.
                self._built.move_to_end(key)
                self.hits += 1
                return kept[1]  # type: ignore[no-any-return]
            self.misses += 1
        value = build()  # reads its rows after the version, as ``rows`` does
        with self._lock:
            self._built[key] = (version, value)
            self._built.move_to_end(key)
            while len(self._built) > self.max_entries:
                self._built.popitem(last=False)
        return value


class Built:
    """Values built from kept rows (a caller's credential from its token's rows), reused while
    :meth:`AccessCache.rows` serves those very rows and until a time the builder names.

    Kept by the rows' list itself: rows read at another access version, or read afresh, are
    another list, so a value is reused only for the rows it was built from, never for
    another's or a changed one's. ``until``: when the same rows would build another value
    (a token's expiry, the end of a second factor's grace), checked against each request's
    clock. Bounded: emptied past ``max_entries``.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._built: dict[Hashable, tuple[Rows, datetime, Any]] = {}

    def get(self, rows: Rows, key: Hashable, now: datetime) -> Any:
        """The value kept under ``key`` if built from ``rows`` and ``now`` is before its end."""
        found = self._built.get(key)
        if found is not None and found[0] is rows and now < found[1]:
            return found[2]
        return None

    def keep(self, rows: Rows, key: Hashable, until: datetime, value: _V) -> _V:
        """Keep ``value``, built from ``rows``, until ``until``; return it."""
        if len(self._built) >= self.max_entries:
            self._built.clear()
        self._built[key] = (rows, until, value)
        return value


# One per process: the rows it checks are by identity, whichever cache served them.
BUILT = Built()


def _read(
    db: prepared.Reading, statement: ClauseElement, params: Mapping[str, Any], *, typed: bool
) -> Rows:
    found = prepared.prepared(statement, db)
    return found.typed_rows(db, params) if typed else found.rows(db, params)


def _hashable(item: tuple[str, Any]) -> Hashable:
    name, value = item
    return (name, tuple(value)) if isinstance(value, list | tuple | set | frozenset) else item
