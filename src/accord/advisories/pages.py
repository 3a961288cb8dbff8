"""Advisory pages: the public list, the advisory page, an organization's advisories, and
publishing or withdrawing one (the draft forms are in ``draft_pages.py``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.accountability.reports import render_markdown
from accord.advisories import (
    csaf_provider,
    describe,
    documents,
    ecosystems,
    exports,
    listing,
    publication,
    scoring,
    services,
    sources,
)
from accord.advisories.guards import AdvisoryAccess, advisory_guard
from accord.advisories.models import Advisory, AdvisoryVersion
from accord.advisories.schemas import WithdrawRequest
from accord.aggregation.views import kept_for
from accord.errors import AccordError, InvalidInput, Message, validated
from accord.identity.policy import Action, Actor
from accord.web.deps import DbSession, FreshFactor, OrgAccess, SettingsDep, guard, org_guard
from accord.web.errors import wants_json
from accord.web.i18n import N_
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
PER_PAGE = 50


def _day(value: str, *, field: str) -> datetime | None:
    # Date inputs send "" when left empty, so the parameter is text, read here.
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            Message(N_("%(field)s: not a date (YYYY-MM-DD)"), field=field), field=field
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@router.get("/advisories", response_class=HTMLResponse)
def list_page(
    request: Request,
    db: DbSession,
    actor: Annotated[Actor, guard(Action.PUBLIC_READ)],
    q: Annotated[str, Query(max_length=200)] = "",
    ecosystem: Annotated[str, Query(max_length=100)] = "",
    package: Annotated[str, Query(max_length=300)] = "",
    severity: Annotated[str, Query(pattern="^(?i:|none|low|medium|high|critical)$")] = "",
    publisher: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Every advisory the visitor may read, searchable and filtered."""
    filters = services.Filters(
        text=q or None,
        ecosystem=ecosystem or None,
        package=package or None,
        severity=severity or None,
        publisher=publisher or None,
        since=_day(since, field="since"),
        until=_day(until, field="until"),
    )
    rows, total = services.search(
        db, actor=actor, filters=filters, offset=(page - 1) * PER_PAGE, limit=PER_PAGE
    )
    params = {k: v for k, v in request.query_params.items() if k != "page"}

    def page_url(number: int) -> str:
        return "/advisories?" + urlencode({**params, "page": number})

    return render(
        request,
        "advisories/list.html",
        {
            "advisories": listing.rows(db, rows),
            "total": total,
            "filters": filters,
            "since": since,
            "until": until,
            "ecosystems": ecosystems.known(),
            "severities": scoring.SEVERITIES[1:],
            "page": page,
            "per_page": PER_PAGE,
            "page_url": page_url,
        },
    )


@router.get("/advisories/{advisory_id}", response_class=HTMLResponse)
def advisory_page(
    advisory_id: str,
    request: Request,
    db: DbSession,
    actor: Annotated[Actor, guard(Action.PUBLIC_READ)],
) -> HTMLResponse:
    """Plain words first (what is affected, what to do), then the specialist's record."""
    advisory = services.get(db, advisory_id, actor=actor)
    return _advisory(request, db, advisory, actor)


def _advisory(
    request: Request,
    db: Session,
    advisory: Advisory,
    actor: Actor,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    draft = services.draft_of(advisory)
    record: dict[str, Any] = {}
    hub: dict[str, Any] | None = None
    if advisory.document:
        record = documents.loads(advisory.document)
    elif draft is not None:
        record, hub = draft["record"], draft["hub"]
    versions = db.scalars(
        select(AdvisoryVersion)
        .where(AdvisoryVersion.advisory_id == advisory.id)
        .order_by(AdvisoryVersion.number)
    ).all()
    return render(
        request,
        "advisories/advisory.html",
        {
            "advisory": advisory,
            "record": record,
            "stories": describe.affected(record),
            "shown": shown_fields(advisory, record, hub),
            "versions": versions,
            "can_author": services.may_author(actor, advisory),
            "has_draft": draft is not None,
            "csaf_path": csaf_provider.document_path(advisory),
            "kept_csaf": kept_for(db, advisory.id),
            "source_name": None
            if advisory.organization_id is not None or advisory.source in sources.NOT_IMPORTED
            else sources.public_name(advisory.source, advisory.osv_id),
            # Each version's entry in the log, for a link to its page (not the raw JSON).
            "log_entries": publication.log_indexes(db, versions),
            "errors": errors or {},
            "values": values or {},
        },
        status=status,
    )


@router.get("/orgs/{slug}/advisories", response_class=HTMLResponse)
def org_page(
    request: Request,
    db: DbSession,
    access_: Annotated[OrgAccess, org_guard(Action.ADVISORY_READ_RESTRICTED)],
) -> HTMLResponse:
    """An organization's advisories, drafts included (its members, operators)."""
    rows = db.scalars(
        select(Advisory)
        .where(Advisory.organization_id == access_.org.id)
        .order_by(Advisory.updated_at.desc())
    ).all()
    return render(request, "advisories/org.html", {"org": access_.org, "advisories": rows})


def shown_fields(
    advisory: Advisory, record: dict[str, Any], hub: dict[str, Any] | None
) -> dict[str, Any]:
    """What the page shows beside the record: from the published columns, or, for a record
    that is a draft (``hub`` given), computed from the draft as publishing would."""
    v3: Any
    v4: Any
    if hub is None:
        v3 = v4 = None
        if advisory.cvss_v3_vector:
            v3 = {"vector": advisory.cvss_v3_vector, "score": advisory.cvss_v3_score}
        if advisory.cvss_v4_vector:
            v4 = {"vector": advisory.cvss_v4_vector, "score": advisory.cvss_v4_score}
        plain, cwe_ids, severity = advisory.plain_summary, advisory.cwe_ids, advisory.severity
    else:
        v3, v4 = scoring.from_record(record)
        plain, cwe_ids = hub.get("plain_summary", ""), hub.get("cwe_ids", [])
        severity = scoring.highest(v3, v4)
    names = exports.cwe_names()
    return {
        "plain_summary": plain,
        "severity": severity,
        "cvss_v3": v3,
        "cvss_v4": v4,
        "cwe_ids": list(cwe_ids or []),
        "cwe_names": {c: names[c] for c in cwe_ids or [] if c in names},
        "details_html": render_markdown(record.get("details", "")) if record.get("details") else "",
    }


@router.post("/advisories/{advisory_id}/publish")
def publish(
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[AdvisoryAccess, advisory_guard(Action.ADVISORY_PUBLISH)],
    _fresh: FreshFactor,
) -> Response:
    """Publish the pending draft."""
    services.publish_draft(db, advisory=access_.advisory, actor=access_.actor, settings=settings)
    return RedirectResponse(f"/advisories/{access_.advisory.osv_id}", status_code=303)


@router.post("/advisories/{advisory_id}/withdraw")
def withdraw(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[AdvisoryAccess, advisory_guard(Action.ADVISORY_PUBLISH)],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Withdraw the advisory, with the reason (a mistake comes back beside the field)."""
    try:
        data = validated(WithdrawRequest, {"reason": reason})
        services.withdraw(
            db, advisory=access_.advisory, data=data, actor=access_.actor, settings=settings
        )
    except AccordError as exc:
        if wants_json(request):
            raise
        db.rollback()
        return _advisory(
            request,
            db,
            access_.advisory,
            access_.actor,
            errors={"reason": exc.message},
            values={"reason": reason},
            status=exc.status_code,
        )
    return RedirectResponse(f"/advisories/{access_.advisory.osv_id}", status_code=303)
