"""Pages of TAXII objects kept in memory, served only while the rows they were read from are
unchanged.

What a page holds is a function of: the collection's stored objects, the reader's facts the
TLP filter binds (``visibility.parameters``: its organizations, the audiences naming them or
their sharing groups, the remotes it reads for), the normalized query (filters, page size,
cursor, route) and the minute the page is made in (its ``next`` cursor's expiry, see
``cursor.bucket``). The key holds all but the first; the first is a version per collection,
bumped by database triggers on every insert, update and delete of ``sharing_objects``
(migration sharing_0015; kept in shards, summed; on SQLite an insert of objects bumps it once
itself, ``ingest_rows.insert``, migration sharing_0016), so a write from any process (the
drainer, the CLI, another web process) is seen by the next read. The version is read in the page's
own read transaction, before the page, so a page kept under a version is never older than
that version.

The caller's token, the collection's rights and the reader's facts are checked on every
request, from rows kept only while the access version is unchanged (``identity.access_cache``;
read with the page version in one statement, ``versions``): a revoked token, a changed grant
or a removed membership holds from the next request, and a reader whose facts changed has
another key.
A hit saves building the page (the page's statement and fetching its rows: most of a page's
CPU, docs/benchmarks.md).

Bounded: least recently used pages are dropped past ``Settings.taxii_page_cache_bytes``
(their bodies' length; 0 turns the cache off).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy import bindparam, func, select

from accord import prepared
from accord.identity.models import AccessVersion
from accord.sharing import cursor, queries
from accord.sharing.models import Collection, PageVersion

# A page and the answer's body written from it (an envelope, a manifest, a version list).
Rendered = tuple[queries.Page, bytes]
# What a page costs besides its bodies (the key, the Page, its lists), counted against the cap.
_OVERHEAD = 512
_ENTRY_BYTES = 160  # a manifest's or version list's entry

# The sum of the collection's shards (PostgreSQL's writers each bump a shard no other writer
# holds, so that they do not wait on one row; models.PageVersion). The sum is as exact as one
# counter: shards only grow, and every committed change of the collection's objects adds at
# least 1 to some shard, so a snapshot that sees any commit more sees a larger sum, and an
# equal sum means the same committed objects.
_VERSION = select(func.coalesce(func.sum(PageVersion.version), 0)).where(
    PageVersion.collection_id == bindparam("collection_id")
)

# Both versions a kept page's read needs, in one statement, first in its transaction: the
# access version (``identity.access_cache``: the caller's token, the collection's rights and
# the reader's facts kept under it) and the page version of the collection the path names.
_VERSIONS = select(
    select(func.coalesce(func.sum(AccessVersion.version), 0)).scalar_subquery(),
    Collection.id,
    select(func.coalesce(func.sum(PageVersion.version), 0))
    .where(PageVersion.collection_id == Collection.id)
    .scalar_subquery(),
).where((Collection.uuid == bindparam("key")) | (Collection.alias == bindparam("key")))
Versions = tuple[int, int]  # a collection's row id and its page version


def versions(db: prepared.Reads, key: str) -> Versions | None:
    """Read the access version (kept for the rest of ``db``'s transaction) and the page
    version of the collection ``key`` names, in one statement; None when the reading keeps no
    access rows or the key names no single collection (each is then read on its own)."""
    if not isinstance(db, prepared.Reading) or db.access is None or db.access_version is not None:
        return None
    found = prepared.rows(db, _VERSIONS, {"key": key})
    if len(found) != 1:
        return None
    access, collection_id, page = found[0]
    db.access_version = int(access)
    return int(collection_id), int(page)


class PageCache:
    """Least recently used pages, up to ``max_bytes``; safe across worker threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[Hashable, tuple[int, Rendered, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def size(self) -> int:
        """The bytes the kept pages are counted as."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, key: Hashable, version: int) -> Rendered | None:
        """The page kept under ``key`` if it was read at ``version``; one read at another
        version is dropped."""
        with self._lock:
            found = self._pages.get(key)
            if found is None or found[0] != version:
                if found is not None:
                    self._drop(key)
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: Hashable, version: int, rendered: Rendered) -> None:
        """Keep a page and its answer, read at ``version``, dropping the least recently used
        past the cap."""
        page, body = rendered
        size = _OVERHEAD + len(body) + sum(map(len, page.bodies))
        size += _ENTRY_BYTES * len(page.entries)
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._pages:
                self._drop(key)
            self._pages[key] = (version, rendered, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._pages)))

    def clear(self) -> None:
        """Forget every page (tests empty the tables under a running app)."""
        with self._lock:
            self._pages.clear()
            self._bytes = 0

    def _drop(self, key: Hashable) -> None:
        _, _, size = self._pages.pop(key)
        self._bytes -= size


def page(
    cache: PageCache | None,
    db: prepared.Reads,
    request: queries.PageRequest,
    render: Callable[[queries.Page], bytes],
    known: Versions | None = None,
) -> Rendered:
    """``queries.page(db, request)`` and its answer written by ``render`` (one function per
    route, part of the key), from the cache when the collection is unchanged since."""
    if cache is None or cache.max_bytes <= 0:
        _may_query(db, request)
        fresh = queries.page(db, request)
        return fresh, render(fresh)
    filters = request.filters
    if filters.next:
        # A cursor that expired or belongs to another query is refused as a fresh read would.
        digest = filters.digest(request.kind, request.collection_id)
        cursor.decode(request.key, filters.next, query=digest, now=request.now)
    # First the version, then the page: on PostgreSQL each statement of a read committed
    # transaction sees the latest commits, so a page is at least as new as its version.
    # ``known``: read by ``versions`` at the start of the transaction, for the collection
    # the path named; used only if that is the collection the rights resolved.
    if known is not None and known[0] == request.collection_id:
        version = known[1]
    else:
        found = prepared.rows(db, _VERSION, {"collection_id": request.collection_id})
        version = int(found[0][0]) if found else 0
    key = (key_of(request), render)
    kept = cache.get(key, version)
    if kept is not None:
        return kept
    _may_query(db, request)
    result = queries.page(db, request)
    rendered = result, render(result)
    cache.put(key, version, rendered)
    return rendered


def _may_query(db: prepared.Reads, request: queries.PageRequest) -> None:
    """On the event loop a page is read only if it is one object's latest version (one row
    found by the index); any other is read again in a worker thread (``sharing.reading``).
    Every version of one object is not bounded by a few rows: its writer may have stored a
    thousand large ones."""
    filters = request.filters
    if len(filters.ids) != 1 or filters.next or filters.versions != queries.LAST:
        prepared.leave_loop(db)


def key_of(request: queries.PageRequest) -> Hashable:
    """Everything a page depends on but its collection's rows."""
    filters = request.filters
    limit = max(1, min(filters.limit, queries.MAX_LIMIT))
    readers = request.reader.filter_values  # visibility.parameters' values, as tuples
    return (
        request.collection_id,
        request.kind,
        request.with_body,
        filters.added_after,
        filters.ids,
        filters.types,
        filters.versions,
        filters.spec_versions,
        limit,
        filters.next,
        readers,
        request.key,
        cursor.bucket(request.now),
    )
