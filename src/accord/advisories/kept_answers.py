"""What OSV queries found, kept by the process while the advisories it was read from are
unchanged.

A query's matches are a function of the query (ecosystem, name, version, commit) and of the
published advisories, their package and commit rows; which of them a caller is answered is
the caller's visibility, applied to the kept matches on every request (``querying.run``), so
nothing kept is a decision about a caller. Database triggers on those three tables bump one
version (``QueryVersion``, migration advisories_0003) on every insert, update and delete,
whoever writes (another web process, an import from the CLI). A query reads that version
first in its own read transaction; matches and records kept at the same version are what it
would read now, and any other version drops them all. So a record withdrawn, made AMBER or
replaced is answered as such from the next query in every process, as without the cache.

On PostgreSQL each statement of a read committed transaction sees the latest commits: the
version is read before the rows, so rows kept under a version are never older than it, and a
change committed after it has bumped it again.

Bounded: past ``max_bytes`` (records' bytes plus a fixed cost per match) everything kept is
dropped and built again; 0 keeps nothing.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Hashable, Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import func, select

from accord import prepared
from accord.advisories.models import QueryVersion, Tlp

# The sum of the shards (each writer of PostgreSQL bumps one no other holds): shards only
# grow, so an equal sum means no committed change between (as identity.access_cache's).
_VERSION = select(func.coalesce(func.sum(QueryVersion.version), 0))
_MATCH_BYTES = 200  # what a kept match costs besides records, counted against the cap
_ENTRY_BYTES = 100  # a dictionary's slot and the kept tuple of matches


class Found(NamedTuple):
    """A published advisory a query matched, before the caller's visibility."""

    advisory_id: int
    osv_id: str
    modified: str
    tlp: Tlp
    organization_id: int | None


class KeptAnswers:
    """Matches by query and records by advisory, with the version they were read at; safe
    across worker threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._version: int | None = None
        self._matches: dict[Hashable, tuple[Found, ...]] = {}
        self._documents: dict[int, bytes] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        """Forget everything (tests empty the tables, the version's included, under an app)."""
        with self._lock:
            self._reset(None)

    def version(self, db: prepared.Reads) -> int:
        """The query version as ``db``'s transaction sees it: read before anything kept is
        used or read."""
        found = prepared.rows(db, _VERSION, {})
        return int(found[0][0]) if found else 0

    def matches(self, version: int, key: Hashable) -> tuple[Found, ...] | None:
        """The matches kept for ``key`` at ``version``, if any."""
        with self._lock:
            if self._version != version:
                self.misses += 1
                return None
            found = self._matches.get(key)
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
            return found

    def keep_matches(self, version: int, key: Hashable, found: Sequence[Found]) -> None:
        """Keep what a query matched, read at ``version``."""
        with self._lock:
            if self._adopt(version):
                self._matches[key] = tuple(found)
                self._grow(_ENTRY_BYTES + _MATCH_BYTES * len(found) + _size_of(key))

    def documents(self, version: int, ids: Iterable[int]) -> tuple[dict[int, bytes], list[int]]:
        """The records kept at ``version`` of ``ids``, and the ids not kept."""
        kept: dict[int, bytes] = {}
        missing: list[int] = []
        with self._lock:
            current = self._version == version
            for advisory_id in ids:
                found = self._documents.get(advisory_id) if current else None
                if found is None:
                    missing.append(advisory_id)
                else:
                    kept[advisory_id] = found
        return kept, missing

    def keep_documents(self, version: int, documents: dict[int, bytes]) -> None:
        """Keep records read at ``version``."""
        with self._lock:
            if self._adopt(version):
                self._documents.update(documents)
                self._grow(sum(len(d) for d in documents.values()))

    def _adopt(self, version: int) -> bool:
        # Kept values always belong to one version; a newer one read by any request drops
        # them. One read at an older version (a transaction begun before a commit) is not
        # kept, so the kept ones never go back to what an older snapshot read.
        if self.max_bytes <= 0:
            return False
        if self._version is None or version > self._version:
            self._reset(version)
        return self._version == version

    def _grow(self, size: int) -> None:
        self._bytes += size
        if self._bytes > self.max_bytes:
            self._reset(self._version)

    def _reset(self, version: int | None) -> None:
        self._version = version
        self._matches = {}
        self._documents = {}
        self._bytes = 0


def _size_of(key: Hashable) -> int:
    """What a key holds in memory: a query's names and versions are the caller's, up to the
    request's limits each, and a batch of unique ones must not outgrow the cap."""
    if isinstance(key, tuple):
        return sys.getsizeof(key) + sum(sys.getsizeof(part) for part in key)
    return sys.getsizeof(key)
