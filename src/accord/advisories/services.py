"""Rules for advisories: drafts, publication, withdrawal, and reading them.

Every function takes the session and the acting :class:`Actor`, asks the policy, writes an
audit row for what it changes, and never commits: the caller's unit of work does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, Select, cast, func, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.advisories import documents, ecosystems, numbering, scoring, validation
from accord.advisories.errors import BadRecord
from accord.advisories.models import Advisory, AdvisoryStatus, AffectedPackage, Tlp
from accord.advisories.publication import publish
from accord.advisories.schemas import AdvisoryCreate, AdvisoryFields, WithdrawRequest
from accord.advisories.visibility import can_read, readable
from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, Conflict, Message, NotFound
from accord.identity import audit
from accord.identity.models import Organization
from accord.identity.policy import Action, Actor, authorize

_ID_ATTEMPTS = 100  # a loser of the race for an id retries: one per writer that beat it
ID_PREFIX = "x_ACCORD"  # OSV reserves "x_" for databases that OSV.dev does not aggregate
_OSV_FIELDS = ("summary", "details", "aliases", "related")
_OSV_LISTS = ("affected", "references", "credits")


# -- reading ---------------------------------------------------------------------------------


def get(db: Session, osv_id: str, *, actor: Actor) -> Advisory:
    """An advisory the actor may read; any other is "not found", existence included."""
    advisory = db.scalar(select(Advisory).where(Advisory.osv_id == osv_id))
    if advisory is None or not can_read(
        actor, status=advisory.status, tlp=advisory.tlp, organization_id=advisory.organization_id
    ):
        raise NotFound(Message(N_("no advisory %(osv_id)s"), osv_id=osv_id), field="id")
    return advisory


def may_author(actor: Actor, advisory: Advisory) -> bool:
    """Whether the actor may see and edit the advisory's draft."""
    from accord.identity.policy import allowed

    return allowed(actor, Action.ADVISORY_AUTHOR, org_id=advisory.organization_id)


@dataclass(frozen=True)
class Filters:
    """What a list of advisories can be narrowed to."""

    text: str | None = None
    ecosystem: str | None = None
    package: str | None = None
    severity: str | None = None
    publisher: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: AdvisoryStatus | None = None


def search(
    db: Session, *, actor: Actor, filters: Filters, offset: int = 0, limit: int = 50
) -> tuple[Sequence[Advisory], int]:
    """Advisories the actor may read, newest first, and how many match in all."""
    dialect = db.get_bind().dialect.name
    query = _filtered(select(Advisory).where(readable(actor)), filters, dialect=dialect)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(
        query.order_by(Advisory.published_at.desc().nulls_last(), Advisory.osv_id)
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total


def _details(dialect: str) -> ColumnElement[str]:
    """The record's ``details``, read by the database from the stored JSON text: SQLite's
    JSON functions take text as it is, PostgreSQL's want it cast (a CAST to JSON on SQLite
    would read the text as a number)."""
    document = (
        cast(Advisory.document, JSON)
        if dialect == "postgresql"
        else type_coerce(Advisory.document, JSON)
    )
    details: ColumnElement[str] = document["details"].as_string()
    return details


def _filtered(query: Select[Advisory], filters: Filters, *, dialect: str) -> Select[Advisory]:
    if filters.text:
        # Ids, aliases, summaries, the details (in the stored record) and package names: what
        # a person types to find an advisory. Wildcards typed are matched as themselves.
        text = filters.text.lower().strip()
        named = select(AffectedPackage.advisory_id).where(
            func.lower(AffectedPackage.name).contains(text, autoescape=True)
        )
        query = query.where(
            func.lower(Advisory.osv_id).contains(text, autoescape=True)
            | func.lower(Advisory.summary).contains(text, autoescape=True)
            | func.lower(Advisory.plain_summary).contains(text, autoescape=True)
            | func.lower(Advisory.aliases).contains(text, autoescape=True)
            | func.lower(_details(dialect)).contains(text, autoescape=True)
            | Advisory.id.in_(named)
        )
    if filters.ecosystem or filters.package:
        packages = select(AffectedPackage.advisory_id)
        if filters.ecosystem:
            ecosystems.check(filters.ecosystem, field="ecosystem")
            packages = packages.where(
                AffectedPackage.ecosystem == ecosystems.base(filters.ecosystem)
            )
        if filters.package:
            name = ecosystems.normalize_name(filters.ecosystem or "", filters.package)
            packages = packages.where(func.lower(AffectedPackage.name) == name.lower())
        query = query.where(Advisory.id.in_(packages))
    if filters.severity:
        query = query.where(Advisory.severity == filters.severity.upper())
    if filters.publisher:
        query = query.join(Organization, Advisory.organization_id == Organization.id).where(
            Organization.slug == filters.publisher
        )
    if filters.since:
        query = query.where(Advisory.published_at >= filters.since)
    if filters.until:
        query = query.where(Advisory.published_at < filters.until)
    if filters.status:
        query = query.where(Advisory.status == filters.status)
    return query


# -- drafts ----------------------------------------------------------------------------------


def create_draft(
    db: Session,
    *,
    org: Organization,
    data: AdvisoryCreate,
    actor: Actor,
    prefix: str = ID_PREFIX,
) -> Advisory:
    """A new draft of ``org``; only its members (and operators) may write one. Without an id
    of its own it is numbered ``prefix-YYYY-NNNN`` (the hub's: ``id_prefix(settings)``)."""
    authorize(actor, Action.ADVISORY_AUTHOR, org_id=org.id)
    for _ in range(_ID_ATTEMPTS):
        osv_id = data.id or numbering.next_id(db, prefix)
        if db.scalar(select(Advisory.id).where(Advisory.osv_id == osv_id)) is not None:
            if data.id:
                raise Conflict(
                    Message(N_("an advisory %(osv_id)s exists"), osv_id=osv_id), field="id"
                )
            continue  # taken since next_id read the numbers: read them again
        advisory = _new_draft(osv_id, org, data)
        # Two transactions may pick the same id (the next number, or one given twice): the
        # unique index lets one in and makes the other's INSERT fail once the first commits.
        # The loser retries in its savepoint, and reads the winner's id as taken: on
        # PostgreSQL each statement sees what committed before it (READ COMMITTED). SQLite
        # writers queue on BEGIN IMMEDIATE and never get here.
        try:
            with db.begin_nested():
                db.add(advisory)
                db.flush()
        except IntegrityError:
            if data.id:
                raise Conflict(
                    Message(N_("an advisory %(osv_id)s exists"), osv_id=osv_id), field="id"
                ) from None
            continue
        audit.record(
            db, actor=actor, action="advisory.draft", target=osv_id, organization_id=org.id
        )
        return advisory
    raise Conflict(N_("too many drafts are being created at once; try again"), field="id")


def _new_draft(osv_id: str, org: Organization, data: AdvisoryCreate) -> Advisory:
    record: dict[str, Any] = {"schema_version": documents.SCHEMA_VERSION, "id": osv_id}
    hub: dict[str, Any] = {"tlp": Tlp.CLEAR.value, "plain_summary": "", "cwe_ids": []}
    _apply(record, hub, data)
    advisory = Advisory(
        osv_id=osv_id, organization_id=org.id, status=AdvisoryStatus.DRAFT, source="hub"
    )
    _store_draft(advisory, record, hub)
    advisory.summary = record.get("summary", "")
    return advisory


def update_draft(
    db: Session, *, advisory: Advisory, data: AdvisoryFields, actor: Actor
) -> Advisory:
    """Change the draft; a published advisory gets a pending draft, published on request."""
    authorize(actor, Action.ADVISORY_AUTHOR, org_id=advisory.organization_id)
    if advisory.status is AdvisoryStatus.WITHDRAWN:
        raise Conflict(N_("a withdrawn advisory cannot be edited"), field="id")
    record, hub = _working_copy(advisory)
    _apply(record, hub, data)
    _store_draft(advisory, record, hub)
    if advisory.status is AdvisoryStatus.DRAFT:
        advisory.summary = record.get("summary", "")
    changed = sorted(data.model_dump(exclude_unset=True))
    audit.record(
        db,
        actor=actor,
        action="advisory.edit",
        target=advisory.osv_id,
        organization_id=advisory.organization_id,
        details={"fields": changed},
    )
    return advisory


def publish_draft(db: Session, *, advisory: Advisory, actor: Actor, settings: Settings) -> Advisory:
    """Publish the pending draft as the advisory's next version."""
    authorize(actor, Action.ADVISORY_PUBLISH, org_id=advisory.organization_id)
    if advisory.draft is None:
        raise Conflict(N_("there is no draft to publish"), field="id")
    draft = documents.loads(advisory.draft)
    record, hub = draft["record"], draft["hub"]
    now = documents.next_modified(advisory.modified_at, utcnow())
    record["modified"] = documents.timestamp(now)
    record.setdefault("published", documents.timestamp(now))
    advisory.tlp = Tlp(hub["tlp"])
    advisory.plain_summary = hub["plain_summary"]
    version = publish(db, advisory=advisory, record=record, actor=actor, settings=settings)
    advisory.cwe_ids = list(hub["cwe_ids"])
    advisory.draft = None
    audit.record(
        db,
        actor=actor,
        action="advisory.publish",
        target=advisory.osv_id,
        organization_id=advisory.organization_id,
        details={"version": version.number, "sha256": version.document_sha256},
    )
    return advisory


def withdraw(
    db: Session, *, advisory: Advisory, data: WithdrawRequest, actor: Actor, settings: Settings
) -> Advisory:
    """Withdraw a published advisory: a last version carrying ``withdrawn`` and the reason."""
    authorize(actor, Action.ADVISORY_PUBLISH, org_id=advisory.organization_id)
    if advisory.status is not AdvisoryStatus.PUBLISHED or advisory.document is None:
        raise Conflict(
            Message(
                N_("only a published advisory can be withdrawn; this one is %(status)s"),
                status=advisory.status,
            )
        )
    record = documents.loads(advisory.document)
    now = documents.next_modified(advisory.modified_at, utcnow())
    record["modified"] = record["withdrawn"] = documents.timestamp(now)
    record["summary"] = f"Withdrawn: {data.reason}"
    version = publish(db, advisory=advisory, record=record, actor=actor, settings=settings)
    advisory.draft = None
    audit.record(
        db,
        actor=actor,
        action="advisory.withdraw",
        target=advisory.osv_id,
        organization_id=advisory.organization_id,
        details={"version": version.number, "reason": data.reason},
    )
    return advisory


def draft_of(advisory: Advisory) -> dict[str, Any] | None:
    """The pending draft as ``{"record": OSV record, "hub": hub fields}``, if any."""
    return documents.loads(advisory.draft) if advisory.draft else None


def preview(
    advisory: Advisory | None, data: AdvisoryFields, *, osv_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The record and hub fields a save of ``data`` would store, checked as a save checks
    them (the OSV schema included), without storing anything: the editor's preview."""
    if advisory is None:
        record: dict[str, Any] = {"schema_version": documents.SCHEMA_VERSION, "id": osv_id}
        hub: dict[str, Any] = {"tlp": Tlp.CLEAR.value, "plain_summary": "", "cwe_ids": []}
    else:
        record, hub = _working_copy(advisory)
        record, hub = json.loads(json.dumps(record)), dict(hub)
    _apply(record, hub, data)
    checked = {**record, "modified": record.get("modified") or documents.timestamp(utcnow())}
    problem = validation.problem(checked)
    if problem is not None:
        raise BadRecord(
            Message(N_("invalid OSV record: %(problem)s"), problem=problem),
            field=problem.partition(":")[0],
        )
    return record, hub


def _working_copy(advisory: Advisory) -> tuple[dict[str, Any], dict[str, Any]]:
    if advisory.draft is not None:
        draft = documents.loads(advisory.draft)
        return draft["record"], draft["hub"]
    assert advisory.document is not None
    hub = {"tlp": advisory.tlp.value, "plain_summary": advisory.plain_summary}
    return documents.loads(advisory.document), {**hub, "cwe_ids": list(advisory.cwe_ids)}


def _apply(record: dict[str, Any], hub: dict[str, Any], data: AdvisoryFields) -> None:
    given = data.model_dump(exclude_unset=True, by_alias=True, exclude_none=False)
    for name in _OSV_FIELDS:
        if name in given:
            _set(record, name, given[name])
    for name in _OSV_LISTS:
        if name in given:
            items = getattr(data, name) or []
            _set(record, name, [item.to_osv() for item in items])
    for name in ("tlp", "plain_summary"):
        if given.get(name) is not None:
            hub[name] = str(given[name].value if name == "tlp" else given[name])
    if "cwe_ids" in given:
        hub["cwe_ids"] = list(given["cwe_ids"] or [])
        specific = dict(record.get("database_specific") or {})
        specific["cwe_ids"] = hub["cwe_ids"]
        record["database_specific"] = specific
    if "cvss_v3" in given or "cvss_v4" in given:
        _set_severity(record, given)


def _set(record: dict[str, Any], name: str, value: Any) -> None:
    if value in (None, "", []):
        record.pop(name, None)
    else:
        record[name] = value


def _set_severity(record: dict[str, Any], given: dict[str, Any]) -> None:
    # The hub's CVSS fields become the record's severity entries, scored to prove them valid.
    current = {s["type"]: s["score"] for s in record.get("severity") or []}
    for field, kind, score in (
        ("cvss_v3", "CVSS_V3", scoring.cvss_v3),
        ("cvss_v4", "CVSS_V4", scoring.cvss_v4),
    ):
        if field not in given:
            continue
        if given[field]:
            current[kind] = score(given[field], field=field).vector
        else:
            current.pop(kind, None)
    _set(record, "severity", [{"type": k, "score": v} for k, v in sorted(current.items())])


def _store_draft(advisory: Advisory, record: dict[str, Any], hub: dict[str, Any]) -> None:
    # A draft must already be a valid OSV record but for ``modified``, set when published.
    checked = {**record, "modified": record.get("modified") or documents.timestamp(utcnow())}
    problem = validation.problem(checked)
    if problem is not None:
        raise BadRecord(
            Message(N_("invalid OSV record: %(problem)s"), problem=problem),
            field=problem.partition(":")[0],
        )
    advisory.draft = json.dumps({"record": record, "hub": hub}, sort_keys=True)


def id_prefix(settings: Settings) -> str:
    """The prefix of the hub's own advisory ids (``ACCORD_ADVISORY_ID_PREFIX`` behind "x_")."""
    return f"x_{settings.advisory_id_prefix}"
