"""The accountability API: definitions, the scorecard, figures, reports and exclusions."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from accord.accountability import (
    figures,
    handlers,
    hub,
    hub_reports,
    pdf,
    report_formats,
    reports,
    services,
)
from accord.accountability.schemas import (
    DefinitionRead,
    ExclusionCreate,
    ExclusionRead,
    FigureRead,
    HubPublishRequest,
    HubReportRead,
    PublishRequest,
    RefreshQueued,
    RefreshRequest,
    ReportRead,
    ScorecardRow,
    SignatoryFigures,
)
from accord.accountability.services import Stored
from accord.identity.policy import Action, Actor
from accord.limits import DbInt
from accord.web.deps import DbSession, OrgAccess, SettingsDep, guard, org_guard
from accord.web.i18n import viewer_of

router = APIRouter(tags=["accountability"])
PeriodQuery = Annotated[
    str | None,
    Query(max_length=10, description="2026-03, 2026-Q1 or 2026; default: the last ended quarter"),
]


def _read(stored: Stored, period_key: str) -> SignatoryFigures:
    shown: dict[str, FigureRead] = {}
    if stored.excluded is None:
        for key, figure in stored.figures.items():
            records, hidden = reports.public_records(figure.records)
            shown[key] = FigureRead(value=figure.value, records=records, private_records=hidden)
    return SignatoryFigures(
        signatory=stored.organization.slug,
        name=stored.organization.name,
        period=period_key,
        computed_at=stored.computed_at,
        excluded=stored.excluded,
        figures=shown,
    )


@router.get("/accountability/definitions", response_model=list[DefinitionRead])
def definitions(_: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)]) -> list[DefinitionRead]:
    """How every figure is computed (the methods page, as data)."""
    return [
        DefinitionRead(
            id=d.id,
            group=d.group,
            title=d.title,
            unit=d.unit,
            text=d.text,
            sortable=d.sortable,
            sources=list(d.reads),
        )
        for d in figures.DEFINITIONS
    ]


@router.get("/accountability/report.schema.json")
def report_schema(_: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)]) -> JSONResponse:
    """The JSON schema of a published report document."""
    return JSONResponse(report_formats.json_schema(), media_type="application/schema+json")


@router.get("/accountability/hub-report.schema.json")
def hub_report_schema(_: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)]) -> JSONResponse:
    """The JSON schema of a hub report document (published, or computed for a request)."""
    return JSONResponse(hub_reports.json_schema(), media_type="application/schema+json")


@router.get("/accountability/scorecard", response_model=list[ScorecardRow])
def scorecard(
    db: DbSession,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)],
    period: PeriodQuery = None,
    sort: Annotated[str | None, Query(max_length=60)] = None,
    order: Annotated[str, Query(max_length=4)] = "desc",
) -> JSONResponse:
    """Every signatory's figure values for a period, sorted by one figure (by name without
    ``sort``); the records behind each figure are on the signatory's figures."""
    chosen = services.parse_period(period) if period else services.default_period()
    rows = services.scorecard(db, period=chosen, sort=sort, order=order)
    # Built as plain JSON: 500 rows of 18 figures through pydantic cost more than the query.
    body = [
        {
            "signatory": row.organization.slug,
            "name": row.organization.name,
            "period": chosen.key,
            "computed_at": row.computed_at.isoformat() if row.computed_at else None,
            "excluded": row.excluded,
            "values": {} if row.excluded else row.values,
        }
        for row in rows
    ]
    return JSONResponse(body)


@router.get("/accountability/signatories/{slug}/figures", response_model=SignatoryFigures)
def signatory_figures(
    db: DbSession,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)],
    slug: str,
    period: PeriodQuery = None,
) -> SignatoryFigures:
    """One signatory's figures for a period."""
    org = services.get_signatory(db, slug)
    chosen = services.parse_period(period) if period else services.default_period()
    (stored,) = services.stored_or_live(db, period=chosen, orgs=[org], with_records=True)
    return _read(stored, chosen.key)


@router.get("/accountability/signatories/{slug}/reports", response_model=list[ReportRead])
def list_reports(
    db: DbSession, _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)], slug: str
) -> list[ReportRead]:
    """Every published version of a signatory's reports, newest period first."""
    org = services.get_signatory(db, slug)
    return [ReportRead.model_validate(r) for r in reports.listed(db, org=org)]


@router.get("/accountability/signatories/{slug}/reports/{period}")
def report_json(
    db: DbSession,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)],
    slug: str,
    period: str,
    version: Annotated[DbInt | None, Query(ge=1)] = None,
) -> Response:
    """A published report document, byte for byte as signed and logged."""
    org = services.get_signatory(db, slug)
    found = reports.get(db, org=org, period=services.parse_period(period), version=version)
    filename = f"accord-report-{org.slug}-{found.period_key}-v{found.version}.json"
    return _download(found.document, "application/json", filename)


@router.get("/accountability/signatories/{slug}/reports/{period}/csv")
def report_csv(
    db: DbSession,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)],
    slug: str,
    period: str,
    version: Annotated[DbInt | None, Query(ge=1)] = None,
) -> Response:
    """A published report's figures as CSV."""
    org = services.get_signatory(db, slug)
    found = reports.get(db, org=org, period=services.parse_period(period), version=version)
    document: dict[str, Any] = json.loads(found.document)
    filename = f"accord-report-{org.slug}-{found.period_key}-v{found.version}.csv"
    return _download(report_formats.to_csv(document), "text/csv; charset=utf-8", filename)


@router.get("/accountability/signatories/{slug}/reports/{period}/pdf")
def report_pdf(
    request: Request,
    db: DbSession,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)],
    slug: str,
    period: str,
    version: Annotated[DbInt | None, Query(ge=1)] = None,
) -> Response:
    """A published report as PDF, drawn from the document as signed."""
    org = services.get_signatory(db, slug)
    found = reports.get(db, org=org, period=services.parse_period(period), version=version)
    body = pdf.signatory_pdf(json.loads(found.document), found, viewer_of(request))
    return _download(
        body, "application/pdf", f"accord-report-{org.slug}-{found.period_key}-v{found.version}.pdf"
    )


def _download(body: str | bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/accountability/hub")
def hub_figures(
    db: DbSession,
    settings: SettingsDep,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)],
    period: PeriodQuery = None,
) -> JSONResponse:
    """The hub-wide figures of a period as a hub report document, not published (version
    null), from the stored figures."""
    chosen = services.parse_period(period) if period else services.default_period()
    found = hub.summary(db, period=chosen)
    document = hub_reports.document_of(
        found, settings=settings, version=None, published_at=None, supersedes=None, narrative=""
    )
    return JSONResponse(document)


@router.get("/accountability/hub/reports", response_model=list[HubReportRead])
def list_hub_reports(
    db: DbSession, _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)]
) -> list[HubReportRead]:
    """Every published version of the hub report, newest period first."""
    return [HubReportRead.model_validate(r) for r in hub_reports.listed(db)]


@router.post("/accountability/hub/reports", response_model=HubReportRead, status_code=201)
def publish_hub_report(
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.ACCOUNTABILITY_OPERATE)],
    data: HubPublishRequest,
) -> HubReportRead:
    """Publish the next version of the hub report for an ended period."""
    found = hub_reports.publish(
        db, actor=actor, settings=settings, period_key=data.period, narrative=data.narrative
    )
    return HubReportRead.model_validate(found)


@router.get("/accountability/hub/reports/{period}")
def hub_report_download(
    db: DbSession,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)],
    period: str,
    version: Annotated[DbInt | None, Query(ge=1)] = None,
) -> Response:
    """A published hub report document, byte for byte as signed and logged."""
    found = hub_reports.get(db, period=services.parse_period(period), version=version)
    name = f"accord-hub-report-{found.period_key}-v{found.version}"
    return _download(found.document, "application/json", f"{name}.json")


@router.get("/accountability/hub/reports/{period}/csv")
def hub_report_csv(
    db: DbSession,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)],
    period: str,
    version: Annotated[DbInt | None, Query(ge=1)] = None,
) -> Response:
    """A published hub report as CSV."""
    found = hub_reports.get(db, period=services.parse_period(period), version=version)
    body = hub_reports.to_csv(json.loads(found.document))
    name = f"accord-hub-report-{found.period_key}-v{found.version}.csv"
    return _download(body, "text/csv; charset=utf-8", name)


@router.get("/accountability/hub/reports/{period}/pdf")
def hub_report_pdf(
    request: Request,
    db: DbSession,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)],
    period: str,
    version: Annotated[DbInt | None, Query(ge=1)] = None,
) -> Response:
    """A published hub report as PDF, drawn from the document as signed."""
    found = hub_reports.get(db, period=services.parse_period(period), version=version)
    body = pdf.hub_pdf(json.loads(found.document), found, viewer_of(request))
    name = f"accord-hub-report-{found.period_key}-v{found.version}.pdf"
    return _download(body, "application/pdf", name)


@router.post("/orgs/{slug}/accountability/reports", response_model=ReportRead, status_code=201)
def publish_report(
    db: DbSession,
    settings: SettingsDep,
    access: Annotated[OrgAccess, org_guard(Action.ACCOUNTABILITY_PUBLISH)],
    data: PublishRequest,
) -> ReportRead:
    """Publish the next version of the organization's report for an ended period."""
    org = services.get_signatory(db, access.org.slug)
    report = reports.publish(
        db,
        actor=access.actor,
        settings=settings,
        org=org,
        period_key=data.period,
        narrative=data.narrative,
        commitments=data.commitments,
    )
    return ReportRead.model_validate(report)


@router.get("/accountability/exclusions", response_model=list[ExclusionRead])
def list_exclusions(
    db: DbSession, _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)]
) -> list[ExclusionRead]:
    """What operators keep out of publication, and why (reasons are public)."""
    return [ExclusionRead.model_validate(e) for e in services.exclusions(db)]


@router.post("/accountability/exclusions", response_model=ExclusionRead, status_code=201)
def create_exclusion(
    db: DbSession,
    actor: Annotated[Actor, guard(Action.ACCOUNTABILITY_OPERATE)],
    data: ExclusionCreate,
) -> ExclusionRead:
    """Keep a signatory, a period, or both together, out of publication."""
    found = services.exclude(
        db, actor=actor, slug=data.signatory, period_key=data.period, reason=data.reason
    )
    return ExclusionRead.model_validate(found)


@router.delete("/accountability/exclusions/{exclusion_id}", status_code=204)
def delete_exclusion(
    db: DbSession,
    actor: Annotated[Actor, guard(Action.ACCOUNTABILITY_OPERATE)],
    exclusion_id: DbInt,
) -> Response:
    """Lift an exclusion."""
    services.lift(db, actor=actor, exclusion_id=exclusion_id)
    return Response(status_code=204)


@router.post("/accountability/refresh", response_model=RefreshQueued, status_code=202)
def refresh(
    db: DbSession,
    settings: SettingsDep,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_OPERATE)],
    data: RefreshRequest,
) -> RefreshQueued:
    """Queue a refresh of the stored figures (repeating when ``every_minutes`` is given)."""
    keys = [services.parse_period(k).key for k in data.periods] if data.periods else None
    job = handlers.schedule(
        db, every_minutes=data.every_minutes, settings=settings, periods_keys=keys
    )
    return RefreshQueued(job_id=job.id)
