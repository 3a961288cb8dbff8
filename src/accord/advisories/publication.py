"""Publication: the one place where a published version of an advisory comes into being.

Imports, publishers' drafts and withdrawals all end in :func:`publish`, which stores the
version, makes it current and re-indexes the advisory's packages, in the caller's
transaction, and appends it to the transparency log in the same transaction: a version
without its log entry, or an entry without its version, cannot exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from accord.accountability import events
from accord.advisories import documents, ecosystems, matching, scoring, validation
from accord.advisories.errors import BadRecord
from accord.advisories.models import (
    Advisory,
    AdvisoryStatus,
    AdvisoryVersion,
    AffectedCommit,
    AffectedPackage,
    Tlp,
)
from accord.config import Settings
from accord.errors import N_, Message
from accord.identity.policy import Actor
from accord.transparency import services as log
from accord.transparency.commitments import keyed_subject


def publish(
    db: Session,
    *,
    advisory: Advisory,
    record: dict[str, Any],
    actor: Actor,
    settings: Settings,
    sign: bool | None = None,
) -> AdvisoryVersion:
    """Make ``record`` the advisory's new published version; return the stored version.

    Its log entry waits for the log's cadence like every publication (``sign``: see
    ``transparency.services.append``); its index is kept with the version (``log_index``),
    and its inclusion proof answers once a signed checkpoint covers it.

    The record must be valid against the OSV schema and its CVSS vectors must score; else
    :class:`BadRecord` and nothing changes.
    """
    problem = validation.problem(record)
    if problem is not None:
        raise BadRecord(
            Message(N_("invalid OSV record: %(problem)s"), problem=problem),
            field=problem.partition(":")[0],
        )
    if record["id"] != advisory.osv_id:
        raise BadRecord(N_("the record's id is not the advisory's"), field="id")
    v3, v4 = scoring.from_record(record)
    text = documents.canonical(record)
    digest = documents.sha256(text)
    first = advisory.document is None  # never published: no versions, no index rows yet
    number = 1 if first else _last_number(db, advisory) + 1
    version = AdvisoryVersion(
        advisory_id=advisory.id,
        number=number,
        osv_modified=record["modified"],
        document=text,
        document_sha256=digest,
        published_by=actor.label,
    )
    db.add(version)
    # Public (CLEAR) records go into the log whole; restricted ones by digest alone, so the
    # log proves they existed and were not altered without revealing them; nor does it name
    # them: the subject is committed under the record itself, which only its readers hold.
    public = advisory.tlp is Tlp.CLEAR
    subject = f"{advisory.osv_id}@{number}"
    version.log_index = log.append(
        db,
        settings=settings,
        entry_type="advisory.version",
        subject_id=subject if public else restricted_subject(text, subject),
        document=record if public else None,
        document_sha256=None if public else digest,
        sign=sign,
    ).index
    _make_current(advisory, record, text, digest, v3, v4)
    _reindex(db, advisory, record, first=first)
    events.recorded(db, settings=settings)
    return version


def log_indexes(db: Session, versions: Sequence[AdvisoryVersion]) -> dict[int, int]:
    """Each version's index in the log, by number: kept with the version since the hub keeps
    it, found by the document's digest for one published before (when it is signed)."""
    found: dict[int, int] = {}
    for v in versions:
        if v.log_index is not None:
            found[v.number] = v.log_index
        elif records := log.records_for_document(db, v.document_sha256):
            found[v.number] = records[0].idx
    return found


def restricted_subject(text: str, opening: str) -> str:
    """The log subject of a restricted version: ``opening`` (``<id>@<number>``) committed
    under the version's canonical record ``text`` (see ``transparency.commitments``)."""
    return keyed_subject("advisory", key=text.encode(), opening=opening)


def _last_number(db: Session, advisory: Advisory) -> int:
    query = select(func.max(AdvisoryVersion.number)).where(
        AdvisoryVersion.advisory_id == advisory.id
    )
    return db.scalar(query) or 0


def _make_current(
    advisory: Advisory,
    record: dict[str, Any],
    text: str,
    digest: str,
    v3: scoring.Score | None,
    v4: scoring.Score | None,
) -> None:
    withdrawn = record.get("withdrawn")
    advisory.status = AdvisoryStatus.WITHDRAWN if withdrawn else AdvisoryStatus.PUBLISHED
    advisory.document = text
    advisory.document_sha256 = digest
    advisory.summary = (record.get("summary") or "")[:1000]
    advisory.aliases = " ".join(record.get("aliases") or [])[:2000]
    advisory.osv_modified = record["modified"]
    advisory.modified_at = documents.parse_timestamp(record["modified"], field="modified")
    published = record.get("published")
    advisory.published_at = (
        documents.parse_timestamp(published, field="published") if published else None
    )
    advisory.withdrawn_at = (
        documents.parse_timestamp(withdrawn, field="withdrawn") if withdrawn else None
    )
    cwe = (record.get("database_specific") or {}).get("cwe_ids")
    if isinstance(cwe, list) and all(isinstance(c, str) for c in cwe):
        advisory.cwe_ids = cwe[:20]
    advisory.cvss_v3_vector, advisory.cvss_v3_score = (v3.vector, v3.score) if v3 else (None, None)
    advisory.cvss_v4_vector, advisory.cvss_v4_score = (v4.vector, v4.score) if v4 else (None, None)
    advisory.severity = scoring.highest(v3, v4)


def _reindex(db: Session, advisory: Advisory, record: dict[str, Any], *, first: bool) -> None:
    # Index rows are replaced, never edited: the matcher caches compiled rows by their id.
    if not first:
        db.execute(delete(AffectedPackage).where(AffectedPackage.advisory_id == advisory.id))
        db.execute(delete(AffectedCommit).where(AffectedCommit.advisory_id == advisory.id))
    if advisory.status is not AdvisoryStatus.PUBLISHED:
        return  # a withdrawn advisory answers by id, never to a query
    packages: list[dict[str, Any]] = []
    commits: set[str] = set()
    for entry in record.get("affected") or []:
        package = entry.get("package")
        if package is None:
            continue
        ecosystem = package["ecosystem"]
        packages.append(
            {
                "advisory_id": advisory.id,
                "ecosystem": ecosystems.base(ecosystem),
                "ecosystem_variant": ecosystem,
                "name": ecosystems.normalize_name(ecosystem, package["name"]),
                "entry": documents.canonical(entry),
            }
        )
        for raw in entry.get("ranges") or []:
            if raw.get("type") == "GIT":
                commits |= matching.affecting_commits(raw["events"])
    if packages:
        db.execute(insert(AffectedPackage), packages)
    if commits:
        db.execute(
            insert(AffectedCommit),
            [{"advisory_id": advisory.id, "commit_hash": c} for c in sorted(commits)],
        )
