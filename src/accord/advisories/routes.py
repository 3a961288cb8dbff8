"""The hub's advisory management API, under ``/api/v1/advisories``.

Publishers (members of the publishing organization) and operators write drafts, publish and
withdraw; anyone reads what TLP lets them read. Each change writes an audit row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.advisories import documents, services
from accord.advisories.guards import AdvisoryAccess, advisory_guard
from accord.advisories.models import Advisory, AdvisoryStatus, AdvisoryVersion
from accord.advisories.schemas import (
    AdvisoryCreate,
    AdvisoryFields,
    AdvisoryRead,
    AdvisorySummary,
    ScoreRead,
    VersionRead,
    WithdrawRequest,
)
from accord.errors import N_, Message, NotFound
from accord.identity.policy import Action, Actor
from accord.limits import DbInt
from accord.web.deps import DbSession, OrgAccess, SettingsDep, guard, org_guard

router = APIRouter(prefix="/advisories", tags=["advisories"])


def read_model(db: Session, advisory: Advisory, actor: Actor) -> AdvisoryRead:
    """The API view of an advisory; the draft only for those who may author it."""
    versions = db.scalars(
        select(AdvisoryVersion)
        .where(AdvisoryVersion.advisory_id == advisory.id)
        .order_by(AdvisoryVersion.number)
    ).all()
    return AdvisoryRead(
        id=advisory.osv_id,
        status=advisory.status,
        tlp=advisory.tlp,
        organization=advisory.organization.slug if advisory.organization else None,
        source=advisory.source,
        summary=advisory.summary,
        plain_summary=advisory.plain_summary,
        cwe_ids=list(advisory.cwe_ids),
        severity=advisory.severity,
        cvss_v3=_score(advisory.cvss_v3_vector, advisory.cvss_v3_score),
        cvss_v4=_score(advisory.cvss_v4_vector, advisory.cvss_v4_score),
        published=advisory.published_at,
        modified=advisory.modified_at,
        withdrawn=advisory.withdrawn_at,
        versions=[VersionRead.model_validate(v) for v in versions],
        record=documents.loads(advisory.document) if advisory.document else None,
        draft=services.draft_of(advisory) if services.may_author(actor, advisory) else None,
    )


def _score(vector: str | None, score: float | None) -> ScoreRead | None:
    return ScoreRead(vector=vector, score=score) if vector and score is not None else None


def summary_model(advisory: Advisory) -> AdvisorySummary:
    """A list line."""
    return AdvisorySummary(
        id=advisory.osv_id,
        status=advisory.status,
        tlp=advisory.tlp,
        organization=advisory.organization.slug if advisory.organization else None,
        summary=advisory.summary,
        severity=advisory.severity,
        published=advisory.published_at,
        modified=advisory.modified_at,
    )


@router.get("", response_model=list[AdvisorySummary])
def list_advisories(
    db: DbSession,
    actor: Annotated[Actor, guard(Action.PUBLIC_READ)],
    q: Annotated[str | None, Query(max_length=200)] = None,
    ecosystem: Annotated[str | None, Query(max_length=100)] = None,
    package: Annotated[str | None, Query(max_length=300)] = None,
    severity: Annotated[str | None, Query(pattern="^(?i:none|low|medium|high|critical)$")] = None,
    publisher: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    status: AdvisoryStatus | None = None,
    offset: Annotated[DbInt, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AdvisorySummary]:
    """Advisories the caller may read, newest first, filtered."""
    filters = services.Filters(
        text=q,
        ecosystem=ecosystem,
        package=package,
        severity=severity,
        publisher=publisher,
        since=since,
        until=until,
        status=status,
    )
    rows, _ = services.search(db, actor=actor, filters=filters, offset=offset, limit=limit)
    return [summary_model(a) for a in rows]


@router.post("/orgs/{slug}", response_model=AdvisoryRead, status_code=201)
def create_draft(
    data: AdvisoryCreate,
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[OrgAccess, org_guard(Action.ADVISORY_AUTHOR)],
) -> AdvisoryRead:
    """A new draft for the organization (its members, operators)."""
    advisory = services.create_draft(
        db,
        org=access_.org,
        data=data,
        actor=access_.actor,
        prefix=services.id_prefix(settings),
    )
    return read_model(db, advisory, access_.actor)


@router.get("/{advisory_id}", response_model=AdvisoryRead)
def get_advisory(
    advisory_id: str, db: DbSession, actor: Annotated[Actor, guard(Action.PUBLIC_READ)]
) -> AdvisoryRead:
    """One advisory, if the caller may read it."""
    return read_model(db, services.get(db, advisory_id, actor=actor), actor)


@router.patch("/{advisory_id}", response_model=AdvisoryRead)
def edit_draft(
    data: AdvisoryFields,
    db: DbSession,
    access_: Annotated[AdvisoryAccess, advisory_guard(Action.ADVISORY_AUTHOR)],
) -> AdvisoryRead:
    """Change the draft (a published advisory gets a pending draft); omitted fields stay."""
    advisory = services.update_draft(db, advisory=access_.advisory, data=data, actor=access_.actor)
    return read_model(db, advisory, access_.actor)


@router.post("/{advisory_id}/publish", response_model=AdvisoryRead)
def publish(
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[AdvisoryAccess, advisory_guard(Action.ADVISORY_PUBLISH)],
) -> AdvisoryRead:
    """Publish the draft as the next version."""
    advisory = services.publish_draft(
        db, advisory=access_.advisory, actor=access_.actor, settings=settings
    )
    return read_model(db, advisory, access_.actor)


@router.post("/{advisory_id}/withdraw", response_model=AdvisoryRead)
def withdraw(
    data: WithdrawRequest,
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[AdvisoryAccess, advisory_guard(Action.ADVISORY_PUBLISH)],
) -> AdvisoryRead:
    """Withdraw a published advisory, with the reason."""
    advisory = services.withdraw(
        db, advisory=access_.advisory, data=data, actor=access_.actor, settings=settings
    )
    return read_model(db, advisory, access_.actor)


@router.get("/{advisory_id}/versions/{number}")
def version_document(
    advisory_id: str,
    number: DbInt,
    db: DbSession,
    actor: Annotated[Actor, guard(Action.PUBLIC_READ)],
) -> Response:
    """The OSV record exactly as published in version ``number`` (canonical JSON)."""
    advisory = services.get(db, advisory_id, actor=actor)
    document = db.scalar(
        select(AdvisoryVersion.document).where(
            AdvisoryVersion.advisory_id == advisory.id, AdvisoryVersion.number == number
        )
    )
    if document is None:
        raise NotFound(
            Message(
                N_("%(advisory_id)s has no version %(number)s"),
                advisory_id=advisory_id,
                number=number,
            ),
            field="number",
        )
    return Response(content=document, media_type="application/json")
