"""Reading a collection: pages of objects, manifests and versions, filtered and paged in SQL.

Every query carries the reader's visibility filter, so that a page, its ``more`` flag and its
``X-TAXII-Date-Added`` headers are computed over visible rows only. Pages are keyset pages on
``(date_added, row id)``; the ``next`` cursor is signed (``accord.sharing.cursor``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session

from accord import prepared
from accord.sharing import cursor, visibility
from accord.sharing.models import StixObject
from accord.sharing.readers import Reader
from accord.sharing.stix_timestamps import format_timestamp
from accord.sharing.visibility import visible_clause

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True)
class VersionMatch:
    """``match[version]``: ``first``, ``last``, ``all`` and exact timestamps, ORed."""

    first: bool = False
    last: bool = False
    every: bool = False
    at: tuple[datetime, ...] = ()

    def clause(self) -> ColumnElement[bool] | None:
        """The SQL condition, or None when every version matches."""
        if self.every:
            return None
        parts: list[ColumnElement[bool]] = []
        if self.first:
            parts.append(StixObject.is_first.is_(True))
        if self.last:
            parts.append(StixObject.is_latest.is_(True))
        if self.at:
            parts.append(StixObject.version.in_(self.at))
        return or_(*parts) if parts else false()


LAST = VersionMatch(last=True)
ALL = VersionMatch(every=True)


@dataclass(frozen=True)
class Filters:
    """The TAXII filters of one request (TAXII 2.1, section 3.6)."""

    added_after: datetime | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: VersionMatch = LAST
    spec_versions: tuple[str, ...] = ()
    limit: int = DEFAULT_LIMIT
    next: str | None = None

    def digest(self, kind: str, collection_id: int) -> str:
        """What a cursor is tied to: everything but the page size and the position."""
        return cursor.query_digest(
            kind,
            collection_id,
            self.added_after,
            self.ids,
            self.types,
            (self.versions.first, self.versions.last, self.versions.every, self.versions.at),
            self.spec_versions,
        )


@dataclass(frozen=True)
class Entry:
    """One stored object version as a manifest or a version list names it."""

    stix_id: str
    date_added: datetime
    version: datetime


@dataclass(frozen=True)
class Page:
    """A page of visible rows, whether more follow, and the cursor to them.

    An envelope's page holds the objects' stored JSON (``bodies``), a manifest's or version
    list's the ids and versions (``entries``). Only the first and last rows' ``date_added``
    are read as timestamps: they are the page's headers and its cursor.
    """

    bodies: Sequence[str]
    entries: Sequence[Entry]
    more: bool
    next: str | None
    # The oldest and newest date_added on this page, as the driver returns them (SQLite:
    # text; PostgreSQL: naive UTC): ``prepared.timestamp`` reads them.
    first_raw: datetime | str | None = None
    last_raw: datetime | str | None = None
    # The stored rows served, in order (what accountability counts as delivered).
    row_ids: Sequence[int] = ()

    @property
    def empty(self) -> bool:
        """Whether the page lists nothing."""
        return not (self.bodies or self.entries)

    @cached_property
    def date_headers(self) -> Mapping[str, str]:
        """``X-TAXII-Date-Added-First`` and ``-Last`` (TAXII 2.1, 3.4) as sent, or none:
        written once a page, which a kept page is served from many times (read-only: every
        answer of the page shares it, so none may add a header of its own to it)."""
        if self.first_raw is None or self.last_raw is None:
            return _NO_HEADERS
        first = stix_added(self.first_raw)
        last = first if self.last_raw == self.first_raw else stix_added(self.last_raw)
        return MappingProxyType(
            {"X-TAXII-Date-Added-First": first, "X-TAXII-Date-Added-Last": last}
        )

    @cached_property
    def raw_date_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """:attr:`date_headers` as an answer's raw headers (lowercased, encoded), written
        once a page too (``taxii.TaxiiResponse``)."""
        return tuple(
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in self.date_headers.items()
        )


_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


def stix_added(raw: datetime | str) -> str:
    """A date_added column's value, as the driver returns it, written as STIX writes
    timestamps: ``format_timestamp(prepared.timestamp(raw))``. SQLite's text is the one
    SQLAlchemy's DATETIME writes (``2024-01-31 12:00:00.000000``, ``accord.db.UTCDateTime``),
    which is that form but for its separator and suffix: rewritten as text, without the
    parse and the C formatting of ``isoformat`` (a third of a one-object page's writing,
    docs/benchmarks.md); any other value is parsed and formatted."""
    if isinstance(raw, str) and len(raw) == 26 and raw[10] == " " and raw[19] == ".":
        return f"{raw[:10]}T{raw[11:23] if raw.endswith('000') else raw[11:]}Z"
    return format_timestamp(prepared.timestamp(raw))


@dataclass(frozen=True)
class PageRequest:
    """What to page over: a collection, for a reader, with filters, and the cursor key."""

    collection_id: int
    reader: Reader
    filters: Filters
    key: bytes
    now: datetime
    kind: str = "objects"
    with_body: bool = True


def page(db: prepared.Reads, request: PageRequest) -> Page:
    """One page of the visible rows matching the filters, in ``date_added`` order."""
    filters = request.filters
    position = None
    if filters.next:
        digest = filters.digest(request.kind, request.collection_id)
        position = cursor.decode(request.key, filters.next, query=digest, now=request.now)
    limit = max(1, min(filters.limit, MAX_LIMIT))
    statement, params = _statement(request, after=position is not None)
    params["page_limit"] = limit + 1
    if position is not None:
        params["after_date"], params["after_row"] = position.date_added, position.row_id
    # Rows as the driver returns them: (row id, date_added, body) or (row id, date_added,
    # stix id, version). An envelope splices the bodies and converts no timestamp per row.
    found = prepared.rows(db, statement, params)
    more = len(found) > limit
    del found[limit:]
    if not found:
        return Page(bodies=(), entries=(), more=more, next=None)
    first, last = found[0], found[-1]
    if request.with_body:
        bodies, entries = [r[2] for r in found], []
    else:
        bodies = []
        entries = [Entry(r[2], prepared.timestamp(r[1]), prepared.timestamp(r[3])) for r in found]
    next_token = None
    if more:
        next_token = cursor.encode(
            request.key,
            cursor.Position(date_added=prepared.timestamp(last[1]), row_id=int(last[0])),
            query=filters.digest(request.kind, request.collection_id),
            now=request.now,
        )
    return Page(
        bodies=bodies,
        entries=entries,
        more=more,
        next=next_token,
        first_raw=first[1],
        last_raw=last[1],
        row_ids=[int(r[0]) for r in found],
    )


class _Unindexed(ColumnElement[Any]):
    """A column SQLite must not read from an index: ``+column`` (a no-op on the value).

    SQLite plans without statistics and, given ``stix_id IN (...)`` and an ORDER BY that an
    index satisfies, walks that index over the whole collection. The unary plus is its
    documented way to take a term out of index planning; other databases plan by their
    statistics and get the plain column.
    """

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(_Unindexed)
def _plain(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(_Unindexed, "sqlite")
def _plus(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.column, **kw))


def _unindexed(column: Any) -> ColumnElement[Any]:
    return _Unindexed(column)


# A page's statement depends on the request's shape (which filters are present, which of the
# reader's sets are empty), never on its values, which are bound parameters. Statements are
# built once per shape and kept: building one (clauses and cache key) costs several times
# what the database takes to answer it. The shapes are few (a few hundred at most).
_Shape = tuple[Any, ...]
_STATEMENTS: dict[_Shape, Select[Any]] = {}


def _statement(request: PageRequest, *, after: bool) -> tuple[Select[Any], dict[str, Any]]:
    """The page's statement (ordered, limited by ``page_limit``) and its parameters."""
    filters = request.filters
    versions = filters.versions
    shape = (
        request.with_body,
        filters.added_after is not None,
        bool(filters.ids),
        bool(filters.types),
        (versions.first, versions.last, versions.every, bool(versions.at)),
        bool(filters.spec_versions),
        after,
        visibility.shape_of(request.reader),
    )
    statement = _STATEMENTS.get(shape)
    if statement is None:
        statement = _STATEMENTS[shape] = _build(shape)
    # Tuples as the filters hold them (``prepared`` reads a list's items by position).
    params: dict[str, Any] = visibility.parameters(request.reader)
    params["collection_id"] = request.collection_id
    params["added_after"] = filters.added_after
    params["ids"] = filters.ids
    params["types"] = filters.types
    params["at"] = versions.at
    params["spec_versions"] = filters.spec_versions
    return statement, params


def _build(shape: _Shape) -> Select[Any]:
    with_body, added_after, ids, types, versions, spec_versions, after, reader = shape
    # An envelope needs only the JSON and the sort key; a manifest or version list, no JSON.
    columns: list[Any] = [StixObject.id, StixObject.date_added]
    if with_body:
        columns.append(StixObject.body)
    else:
        columns += [StixObject.stix_id, StixObject.version]
    query = select(*columns).where(
        StixObject.collection_id == bindparam("collection_id"),
        visibility.shaped_clause(reader),
    )
    if added_after:
        query = query.where(StixObject.date_added > bindparam("added_after"))
    if ids:
        query = query.where(StixObject.stix_id.in_(bindparam("ids", expanding=True)))
    if types:
        query = query.where(StixObject.stix_type.in_(bindparam("types", expanding=True)))
    first, last, every, at = versions
    if not every:
        parts: list[ColumnElement[bool]] = []
        if first:
            parts.append(StixObject.is_first.is_(True))
        if last:
            parts.append(StixObject.is_latest.is_(True))
        if at:
            parts.append(StixObject.version.in_(bindparam("at", expanding=True)))
        query = query.where(or_(*parts) if parts else false())
    if spec_versions:
        query = query.where(StixObject.spec_version.in_(bindparam("spec_versions", expanding=True)))
    if after:
        query = query.where(
            tuple_(StixObject.date_added, StixObject.id)
            > tuple_(
                bindparam("after_date", type_=StixObject.date_added.type),
                bindparam("after_row", type_=Integer),
            )
        )
    # With ids to match, the (collection, id, version) index finds the few rows; without, the
    # (collection, date_added, id) index walks them in page order.
    order = _unindexed(StixObject.date_added) if ids else StixObject.date_added
    return query.order_by(order, StixObject.id).limit(bindparam("page_limit", type_=Integer))


def envelope_json(result: Page) -> bytes:
    """A TAXII envelope of the page's objects, their stored JSON spliced in unparsed."""
    # ``json.dumps({"more": ..., "next": ...})`` without its closing brace, written directly:
    # the encoder's setup cost a one-object envelope as much as the rest of its writing.
    head = '{"more": true' if result.more else '{"more": false'
    if result.next:
        head += ', "next": ' + json.dumps(result.next)
    if not result.bodies:
        return (head + "}").encode() if result.more else b"{}"
    return (head + ',"objects":[' + ",".join(result.bodies) + "]}").encode()


def visible_versions(
    db: Session,
    *,
    collection_id: int,
    reader: Reader,
    stix_id: str,
    versions: VersionMatch,
    spec_versions: Sequence[str] = (),
) -> list[StixObject]:
    """The versions of one object the reader may see, matching ``versions`` and, if given,
    ``spec_versions`` (the filters TAXII 2.1 allows on DELETE, section 5.7)."""
    query = select(StixObject).where(
        StixObject.collection_id == collection_id,
        StixObject.stix_id == stix_id,
        visible_clause(reader),
    )
    clause = versions.clause()
    if clause is not None:
        query = query.where(clause)
    if spec_versions:
        query = query.where(StixObject.spec_version.in_(spec_versions))
    return list(db.scalars(query))


def visible_count(db: Session, *, collection_id: int, reader: Reader) -> int:
    """How many objects (latest versions) of a collection the reader may see."""
    return (
        db.scalar(
            select(func.count(StixObject.id)).where(
                and_(
                    StixObject.collection_id == collection_id,
                    StixObject.is_latest.is_(True),
                    visible_clause(reader),
                )
            )
        )
        or 0
    )
