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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select

from accord import prepared
from accord.advisories import documents, ecosystems, matching
from accord.advisories.kept_answers import Found, KeptAnswers
from accord.advisories.models import Advisory, AdvisoryStatus, AffectedCommit, AffectedPackage, Tlp
from accord.advisories.visibility import can_read
from accord.identity.policy import Actor

PAGE_SIZE = 1000  # OSV.dev's page size for one query
_CHUNK = 100  # names per statement: short lists keep PostgreSQL on the (ecosystem, name) index
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


class _Row(NamedTuple):
    advisory_id: int
    osv_id: str
    modified: str
    tlp: Tlp
    org: int | None
    variant: str
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
    db: prepared.Reads,
    queries: Sequence[Query],
    *,
    actor: Actor,
    page_size: int | None = None,
    kept: KeptAnswers | None = None,
    version: int = 0,
) -> list[Result]:
    """Answer a batch of queries for ``actor`` (who sees only what TLP lets it see).

    With ``kept``, matches kept at ``version`` (read first in ``db``'s transaction:
    :meth:`KeptAnswers.version`) are used, and those computed are kept.
    """
    page_size = page_size or PAGE_SIZE
    visible = _Visibility(actor)
    results = []
    for query, found in zip(queries, _found(db, queries, kept, version), strict=True):
        # Visibility after matching: every row of one record has the record's TLP and
        # publisher, so a record is left out whole, as when its rows were left out first.
        matches = [
            Match(f.advisory_id, f.osv_id, f.modified)
            for f in found
            if visible(f.tlp, f.organization_id)
        ]
        page = matches[query.offset : query.offset + page_size]
        more = query.offset + page_size < len(matches)
        results.append(Result(page, page_token(query, query.offset + page_size) if more else None))
    return results


def _key(query: Query) -> tuple[str | None, ...]:
    return (query.ecosystem, query.name, query.version, query.commit)


def _found(
    db: prepared.Reads, queries: Sequence[Query], kept: KeptAnswers | None, version: int
) -> list[tuple[Found, ...]]:
    """Every published record each query matches, sorted by id, kept ones or read."""
    found: list[tuple[Found, ...] | None] = [
        kept.matches(version, _key(q)) if kept is not None else None for q in queries
    ]
    missing = [q for q, f in zip(queries, found, strict=True) if f is None]
    if not missing:
        return found  # type: ignore[return-value]  # none is None
    prepared.leave_loop(db)  # on the event loop only what is kept is answered
    packages = {(ecosystems.base(q.ecosystem or ""), q.name) for q in missing if q.name}
    by_package = _package_rows(db, packages)
    by_commit = _commit_rows(db, {q.commit.lower() for q in missing if q.commit})
    for index, query in enumerate(queries):
        if found[index] is not None:
            continue
        if query.commit:
            candidates = by_commit.get(query.commit.lower(), [])
        else:
            key = (ecosystems.base(query.ecosystem or ""), query.name or "")
            candidates = by_package.get(key, [])
        found[index] = matched = _matches(query, candidates)
        if kept is not None:
            kept.keep_matches(version, _key(query), matched)
    return found  # type: ignore[return-value]  # all filled


class _Visibility:
    """``can_read`` for published rows, asked once per (TLP, publisher) in a batch."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.seen: dict[tuple[Tlp, int | None], bool] = {}

    def __call__(self, tlp: Tlp, organization_id: int | None) -> bool:
        key = (tlp, organization_id)
        if key not in self.seen:
            self.seen[key] = can_read(
                self.actor,
                status=AdvisoryStatus.PUBLISHED,
                tlp=tlp,
                organization_id=organization_id,
            )
        return self.seen[key]


def _matches(query: Query, candidates: Iterable[_Row]) -> tuple[Found, ...]:
    probe = matching.Probe(query.version) if query.version else None
    # "Debian" finds every Debian release; "Debian:12" only that one (as OSV.dev does).
    variant = query.ecosystem if query.ecosystem and ":" in query.ecosystem else None
    found: dict[str, Found] = {}
    for row in candidates:
        if row.osv_id in found or (variant is not None and row.variant != variant):
            continue
        if query.commit and not matching.commit_affected(row.compiled, query.commit):
            continue
        if probe is not None and not matching.is_vulnerable(row.compiled, probe):
            continue
        found[row.osv_id] = Found(row.advisory_id, row.osv_id, row.modified, row.tlp, row.org)
    return tuple(found[k] for k in sorted(found))


_COLUMNS = (
    AffectedPackage.id,
    AffectedPackage.ecosystem,
    AffectedPackage.name,
    AffectedPackage.ecosystem_variant,
    Advisory.id,
    Advisory.osv_id,
    Advisory.osv_modified,
    Advisory.tlp,
    Advisory.organization_id,
    Advisory.document_sha256,
)


# Built once: constructing a statement costs more than running it for one package.
_PACKAGE_ROWS = (
    select(*_COLUMNS)
    .join(Advisory, Advisory.id == AffectedPackage.advisory_id)
    .where(
        AffectedPackage.ecosystem == bindparam("ecosystem"),
        AffectedPackage.name.in_(bindparam("names", expanding=True)),
        Advisory.status == AdvisoryStatus.PUBLISHED,
    )
)
_COMMIT_ROWS = (
    select(AffectedCommit.commit_hash, *_COLUMNS)
    .join(Advisory, Advisory.id == AffectedCommit.advisory_id)
    .join(AffectedPackage, AffectedPackage.advisory_id == Advisory.id)
    .where(
        AffectedCommit.commit_hash.in_(bindparam("hashes", expanding=True)),
        Advisory.status == AdvisoryStatus.PUBLISHED,
    )
)
_ENTRIES = select(AffectedPackage.id, AffectedPackage.entry).where(
    AffectedPackage.id.in_(bindparam("ids", expanding=True))
)


def _package_rows(
    db: prepared.Reads, packages: set[tuple[str, str]]
) -> dict[tuple[str, str], list[_Row]]:
    # One statement per ecosystem and chunk of names, each answered from the
    # (ecosystem, name) index: only the queried packages' rows are read.
    names_by_ecosystem: dict[str, list[str]] = defaultdict(list)
    for ecosystem, name in sorted(packages, key=str):
        if name:
            names_by_ecosystem[ecosystem].append(name)
    raw: list[Any] = []
    for ecosystem, names in names_by_ecosystem.items():
        for start in range(0, len(names), _CHUNK):
            chunk = names[start : start + _CHUNK]
            raw += prepared.typed_rows(db, _PACKAGE_ROWS, {"ecosystem": ecosystem, "names": chunk})
    grouped: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for _, key, row in _build(db, raw):
        grouped[key].append(row)
    return grouped


def _commit_rows(db: prepared.Reads, commits: set[str]) -> dict[str, list[_Row]]:
    hashes = sorted(commits)
    raw: list[Any] = []
    for start in range(0, len(hashes), _CHUNK):
        chunk = hashes[start : start + _CHUNK]
        raw += prepared.typed_rows(db, _COMMIT_ROWS, {"hashes": chunk})
    grouped: dict[str, list[_Row]] = defaultdict(list)
    for index, _, row in _build(db, [r[1:] for r in raw]):
        grouped[raw[index][0]].append(row)
    return grouped


def _build(db: prepared.Reads, raw: Sequence[Any]) -> Iterator[tuple[int, tuple[str, str], _Row]]:
    """The rows, compiled (whoever may read them: visibility is the caller's, applied to
    what matched); the (large) entry text is fetched only if not cached."""
    missing = sorted({r[0] for r in raw if (r[0], r[9]) not in _compiled})
    entries: dict[int, str] = {}
    for start in range(0, len(missing), _CHUNK):
        chunk = missing[start : start + _CHUNK]
        entries.update(
            (row_id, entry) for row_id, entry in prepared.rows(db, _ENTRIES, {"ids": chunk})
        )
    for index, r in enumerate(raw):
        row_id, ecosystem, name, variant, advisory_id, osv_id, modified, tlp, org, digest = r
        if (row_id, digest) not in _compiled and row_id not in entries:
            continue  # the row was replaced meanwhile
        compiled = _compile(row_id, digest, entries.get(row_id, ""))
        row = _Row(advisory_id, osv_id, modified, tlp, org, variant, compiled)
        yield index, (ecosystem, name), row
