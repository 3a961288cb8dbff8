"""Progress reports: publishing (signed, logged, never edited), and reading them back.

A report is one signatory's figures for one ended period, its own narrative (Markdown,
rendered with raw HTML disabled) and the commitments it states. Publishing computes the
figures afresh, writes the canonical (RFC 8785) document, signs its digest as a signed note
with the hub's log key, and appends the digest to the transparency log in the same
transaction. Publishing again for the same period writes version n + 1 and marks the previous
one superseded; no published document is ever changed. Their downloads' formats (CSV, the
document's JSON schema) are in ``report_formats.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from markdown_it import MarkdownIt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.accountability import rows, services
from accord.accountability.bounds import PRIVATE
from accord.accountability.figures import Figure
from accord.accountability.models import ProgressReport, PublishedDocument
from accord.accountability.periods import Period, PeriodError
from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, Conflict, InvalidInput, Message, NotFound
from accord.identity import audit
from accord.identity.models import Organization
from accord.identity.policy import Actor
from accord.transparency import keys, note
from accord.transparency import services as log
from accord.transparency.envelope import canonical, document_digest

SCHEMA = "accord.accountability.report/1"
ENTRY_TYPE = "accountability.report"
HUB_SCHEMA = "accord.accountability.hub-report/1"
# The transparency log's entry type of each kind of published document.
ENTRY_TYPES = {SCHEMA: ENTRY_TYPE, HUB_SCHEMA: "accountability.hub-report"}
MAX_NARRATIVE = 50_000
MAX_COMMITMENTS = 10_000

# CommonMark with raw HTML off: a narrative's "<script>" is shown as text, never run.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def render_markdown(text: str) -> str:
    """A narrative as safe HTML: no raw HTML, no images; links only to http(s) and mailto
    (markdown-it's validateLink refuses javascript:, vbscript:, file: and data: links)."""
    return str(_MARKDOWN.render(text))


def public_records(refs: Sequence[str]) -> tuple[list[str], int]:
    """The records anyone may see, and how many others were counted (a group of private
    records, such as ``private:objects:AMBER*40``, counts for as many as it holds)."""
    shown = [ref for ref in refs if not ref.startswith(PRIVATE)]
    hidden = sum(rows.weight(ref) for ref in refs if ref.startswith(PRIVATE))
    return shown, hidden


def stamp(moment: datetime) -> str:
    """A moment as a report writes it: ISO 8601, UTC, with Z."""
    return moment.isoformat().replace("+00:00", "Z")


def document_of(
    *,
    org: Organization,
    period: Period,
    version: int,
    found: dict[str, Figure],
    narrative: str,
    commitments: str,
    published_at: datetime,
    supersedes: str | None,
    settings: Settings,
) -> dict[str, Any]:
    """The report as published: figures with their public records, definitions by link."""
    body: dict[str, Any] = {}
    for key, figure in found.items():
        shown, hidden = public_records(figure.records)
        body[key] = {"value": figure.value, "records": shown, "private_records": hidden}
    base = settings.public_url.rstrip("/")
    return {
        "schema": SCHEMA,
        "signatory": {"slug": org.slug, "name": org.name},
        "period": {"key": period.key, "start": stamp(period.start), "end": stamp(period.end)},
        "version": version,
        "published_at": stamp(published_at),
        "supersedes": supersedes,
        "methods": f"{base}/accountability/methods",
        "figures": body,
        "narrative": narrative,
        "commitments": commitments,
    }


def ensure_ended(period: Period, now: datetime) -> None:
    """400 naming the period while it has not ended: no report before the figures settle."""
    if not period.ended(now):
        raise PeriodError(
            Message(
                N_("period: %(period)s has not ended (it ends %(end)s)"),
                period=period.key,
                end=stamp(period.end),
            ),
            field="period",
        )


def ensure_after_joining(db: Session, *, org: Organization, period: Period) -> None:
    """Refuse, naming the period, a period that ended before the organization signed: it has
    nothing of its own to report for it."""
    # Imported here: the registry's models read nothing of accountability's.
    from accord.registry.models import Signature

    signed = db.scalar(
        select(func.min(Signature.signed_at)).where(Signature.organization_id == org.id)
    )
    if signed is not None and period.end <= signed:
        raise PeriodError(
            Message(
                N_(
                    "period: %(period)s ended before %(name)s signed the accord (on %(day)s); "
                    "choose a period that ends after that day"
                ),
                period=period.key,
                name=org.name,
                day=stamp(signed),
            ),
            field="period",
        )


def seal_and_store(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    schema: str,
    subject: str,
    document: dict[str, Any],
    row: PublishedDocument,
    previous: PublishedDocument | None,
    organization_id: int | None,
) -> None:
    """Sign the digest of ``document`` (canonical, RFC 8785) as a signed note with the hub's
    log key, append it to the transparency log, write ``row`` with it and its audit row, and
    mark the version it supersedes: all in ``db``'s transaction."""
    digest = document_digest(document)
    signer = keys.load_signer(settings, keys.origin_for(settings))
    entry = log.append(
        db,
        settings=settings,
        entry_type=ENTRY_TYPES[schema],
        subject_id=subject,
        document=None,
        document_sha256=digest,
    )
    if previous is not None:
        previous.superseded_at = row.published_at
    row.published_by = actor.label
    row.document_sha256 = digest
    row.signature = note.sign(f"{schema}\n{subject}\nsha256:{digest}\n", signer)
    row.log_index = entry.index
    row.document = canonical(document).decode()
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="accountability.publish",
        target=subject,
        organization_id=organization_id,
        details={"sha256": digest, "log_index": entry.index},
    )


def check_texts(narrative: str, commitments: str) -> None:
    """400 naming the field when a text is too long."""
    if len(narrative) > MAX_NARRATIVE:
        raise InvalidInput(
            Message(N_("narrative: write at most %(count)s characters"), count=MAX_NARRATIVE),
            field="narrative",
        )
    if len(commitments) > MAX_COMMITMENTS:
        raise InvalidInput(
            Message(N_("commitments: write at most %(count)s characters"), count=MAX_COMMITMENTS),
            field="commitments",
        )


def publish(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    org: Organization,
    period_key: str,
    narrative: str,
    commitments: str,
) -> ProgressReport:
    """Publish the next version of ``org``'s report for an ended period."""
    period = services.parse_period(period_key)
    now = utcnow()
    ensure_ended(period, now)
    ensure_after_joining(db, org=org, period=period)
    check_texts(narrative, commitments)
    reason = services.exclusion_reason(
        services.exclusions(db, period_key=period.key), org_id=org.id, period_key=period.key
    )
    if reason is not None:
        raise Conflict(
            Message(
                N_("%(name)s for %(key)s is excluded from publication: %(reason)s"),
                name=org.name,
                key=period.key,
                reason=reason,
            )
        )
    previous = latest(db, org=org, period=period)
    found = services.live(db, period=period, org_ids=[org.id])[org.id]
    version = previous.version + 1 if previous else 1
    document = document_of(
        org=org,
        period=period,
        version=version,
        found=found,
        narrative=narrative,
        commitments=commitments,
        published_at=now,
        supersedes=previous.document_sha256 if previous else None,
        settings=settings,
    )
    subject = f"accountability:{org.slug}:{period.key}:{version}"
    report = ProgressReport(
        organization_id=org.id, period_key=period.key, version=version, published_at=now
    )
    seal_and_store(
        db,
        actor=actor,
        settings=settings,
        schema=SCHEMA,
        subject=subject,
        document=document,
        row=report,
        previous=previous,
        organization_id=org.id,
    )
    return report


def latest(db: Session, *, org: Organization, period: Period) -> ProgressReport | None:
    """The current version of ``org``'s report for ``period``, if any."""
    return db.scalar(
        select(ProgressReport)
        .where(ProgressReport.organization_id == org.id, ProgressReport.period_key == period.key)
        .order_by(ProgressReport.version.desc())
        .limit(1)
    )


def get(db: Session, *, org: Organization, period: Period, version: int | None) -> ProgressReport:
    """A published report: the current version, or the one named (404 naming what is missing)."""
    if version is None:
        found = latest(db, org=org, period=period)
    else:
        found = db.scalar(
            select(ProgressReport).where(
                ProgressReport.organization_id == org.id,
                ProgressReport.period_key == period.key,
                ProgressReport.version == version,
            )
        )
    if found is None:
        message = (
            Message(N_("no report of %(slug)s for %(key)s"), slug=org.slug, key=period.key)
            if version is None
            else Message(
                N_("no version %(version)s of the report of %(slug)s for %(key)s"),
                version=version,
                slug=org.slug,
                key=period.key,
            )
        )
        raise NotFound(message, field="period")
    return found


def listed(db: Session, *, org: Organization) -> list[ProgressReport]:
    """Every published version of ``org``'s reports, newest period first."""
    return list(
        db.scalars(
            select(ProgressReport)
            .where(ProgressReport.organization_id == org.id)
            .order_by(ProgressReport.period_key.desc(), ProgressReport.version.desc())
        )
    )


def count(db: Session) -> int:
    """How many report versions the hub has published."""
    return db.scalar(select(func.count(ProgressReport.id))) or 0
