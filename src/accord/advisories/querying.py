"""The OSV query engine behind ``/v1/query`` and ``/v1/querybatch``.

A batch is answered with one indexed look-up of every package it names (and one of every
commit), so its cost follows the queried packages' advisories, not the database's size.
Matching runs on compiled ``affected`` entries, cached per index row (rows are immutable).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.advisories import documents, ecosystems, matching
from accord.advisories.models import Advisory, AdvisoryStatus, AffectedCommit, AffectedPackage, Tlp
from accord.advisories.visibility import can_read
from accord.identity.policy import Actor

PAGE_SIZE = 1000  # OSV.dev's page size for one query
_CHUNK = 500  # names per SQL statement: well under every database's parameter limit
_CACHE_LIMIT = 200_000


class InvalidPageToken(ValueError):
    """A page token this query did not hand out."""


@dataclass(frozen=True)
class Query:
    """One OSV query, checked and normalized (see ``osv_api`` for the wire shape)."""

    ecosystem: str | None = None
    name: str | None = None
    version: str | None = None
    commit: str | None = None
    offset: int = 0

    @property
    def fingerprint(self) -> str:
        """What a page token is bound to: the query without its page."""
        text = json.dumps([self.ecosystem, self.name, self.version, self.commit])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Match:
    """An advisory a query found."""

    advisory_id: int
    osv_id: str
    modified: str


@dataclass
class Result:
    """The answer to one query: a page of matches and the token of the next page."""

    matches: list[Match] = field(default_factory=list)
    next_page_token: str | None = None


def page_token(query: Query, offset: int) -> str:
    """An opaque token for the page starting at ``offset``; any hub process can read it."""
    raw = json.dumps({"o": offset, "f": query.fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_page_token(token: str, query: Query) -> int:
    """The offset a token stands for; :class:`InvalidPageToken` if it is not this query's."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        offset = data["o"]
        fingerprint = data["f"]
    except (ValueError, KeyError, TypeError):
        raise InvalidPageToken(token) from None
    if not isinstance(offset, int) or offset < 0 or fingerprint != query.fingerprint:
        raise InvalidPageToken(token)
    return offset


@dataclass(frozen=True)
class _Row:
    advisory_id: int
    osv_id: str
    modified: str
    tlp: Tlp
    organization_id: int | None
    ecosystem: str
    variant: str
    name: str
    compiled: matching.CompiledAffected


_compiled: dict[tuple[int, str], matching.CompiledAffected] = {}


def _compile(row_id: int, digest: str, entry: str) -> matching.CompiledAffected:
    cache_key = (row_id, digest)
    found = _compiled.get(cache_key)
    if found is None:
        if len(_compiled) >= _CACHE_LIMIT:
            _compiled.clear()  # a crude bound; a full cache is rebuilt in a second
        found = _compiled[cache_key] = matching.compile_affected(documents.loads(entry))
    return found


def run(
    db: Session, queries: Sequence[Query], *, actor: Actor, page_size: int | None = None
) -> list[Result]:
    """Answer a batch of queries for ``actor`` (who sees only what TLP lets it see)."""
    page_size = page_size or PAGE_SIZE
    by_package = _package_rows(db, {(q.ecosystem or "", q.name) for q in queries if q.name})
    by_commit = _commit_rows(db, {q.commit.lower() for q in queries if q.commit})
    seen: dict[tuple[Tlp, int | None], bool] = {}

    def visible(row: _Row) -> bool:
        key = (row.tlp, row.organization_id)
        if key not in seen:
            seen[key] = can_read(
                actor,
                status=AdvisoryStatus.PUBLISHED,
                tlp=row.tlp,
                organization_id=row.organization_id,
            )
        return seen[key]

    results = []
    for query in queries:
        if query.commit:
            candidates = by_commit.get(query.commit.lower(), [])
        else:
            key = (ecosystems.base(query.ecosystem or ""), query.name or "")
            candidates = by_package.get(key, [])
        matches = _matches(query, candidates, visible)
        page = matches[query.offset : query.offset + page_size]
        more = query.offset + page_size < len(matches)
        results.append(Result(page, page_token(query, query.offset + page_size) if more else None))
    return results


def _matches(
    query: Query, candidates: Iterable[_Row], visible: Callable[[_Row], bool]
) -> list[Match]:
    probe = matching.Probe(query.version) if query.version else None
    found: dict[str, Match] = {}
    for row in candidates:
        if row.osv_id in found or not visible(row):
            continue
        if query.name and not _same_package(query, row):
            continue
        if query.commit and not matching.commit_affected(row.compiled, query.commit):
            continue
        if probe is not None and not matching.is_vulnerable(row.compiled, probe):
            continue
        found[row.osv_id] = Match(row.advisory_id, row.osv_id, row.modified)
    return [found[k] for k in sorted(found)]


def _same_package(query: Query, row: _Row) -> bool:
    # "Debian" finds every Debian release; "Debian:12" only that one (as OSV.dev does).
    if query.ecosystem and ":" in query.ecosystem:
        return row.variant == query.ecosystem
    return row.ecosystem == ecosystems.base(query.ecosystem or "") and row.name == query.name


_COLUMNS = (
    AffectedPackage.id,
    AffectedPackage.ecosystem,
    AffectedPackage.ecosystem_variant,
    AffectedPackage.name,
    Advisory.id,
    Advisory.osv_id,
    Advisory.osv_modified,
    Advisory.tlp,
    Advisory.organization_id,
    Advisory.document_sha256,
)


def _package_rows(
    db: Session, packages: set[tuple[str, str | None]]
) -> dict[tuple[str, str], list[_Row]]:
    wanted = {(ecosystems.base(e), n) for e, n in packages if n}
    names = sorted({n for _, n in wanted})
    raw: list[Any] = []
    for start in range(0, len(names), _CHUNK):
        raw += db.execute(
            select(*_COLUMNS)
            .join(Advisory, Advisory.id == AffectedPackage.advisory_id)
            .where(
                AffectedPackage.name.in_(names[start : start + _CHUNK]),
                Advisory.status == AdvisoryStatus.PUBLISHED,
            )
        ).all()
    rows = _build(db, [r for r in raw if (r[1], r[3]) in wanted])
    grouped: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for row in rows:
        grouped[(row.ecosystem, row.name)].append(row)
    return grouped


def _commit_rows(db: Session, commits: set[str]) -> dict[str, list[_Row]]:
    hashes = sorted(commits)
    raw: list[Any] = []
    for start in range(0, len(hashes), _CHUNK):
        raw += db.execute(
            select(AffectedCommit.commit_hash, *_COLUMNS)
            .join(Advisory, Advisory.id == AffectedCommit.advisory_id)
            .join(AffectedPackage, AffectedPackage.advisory_id == Advisory.id)
            .where(
                AffectedCommit.commit_hash.in_(hashes[start : start + _CHUNK]),
                Advisory.status == AdvisoryStatus.PUBLISHED,
            )
        ).all()
    rows = _build(db, [r[1:] for r in raw])
    grouped: dict[str, list[_Row]] = defaultdict(list)
    for commit, row in zip((r[0] for r in raw), rows, strict=True):
        grouped[commit].append(row)
    return grouped


def _build(db: Session, raw: Sequence[Any]) -> list[_Row]:
    # Fetch the (large) entry text only for rows not compiled yet.
    missing = sorted({r[0] for r in raw if (r[0], r[9]) not in _compiled})
    entries: dict[int, str] = {}
    for start in range(0, len(missing), _CHUNK):
        entries.update(
            db.execute(
                select(AffectedPackage.id, AffectedPackage.entry).where(
                    AffectedPackage.id.in_(missing[start : start + _CHUNK])
                )
            ).all()
        )
    return [
        _Row(
            advisory_id=r[4],
            osv_id=r[5],
            modified=r[6],
            tlp=r[7],
            organization_id=r[8],
            ecosystem=r[1],
            variant=r[2],
            name=r[3],
            compiled=_compile(r[0], r[9], entries.get(r[0], "")),
        )
        for r in raw
        if (r[0], r[9]) in _compiled or r[0] in entries  # a row deleted meanwhile is skipped
    ]
