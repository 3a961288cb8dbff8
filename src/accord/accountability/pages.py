"""Accountability pages: the scorecard, the methods, a page per signatory, reports, and the
forms of signatories' admins (publish) and operators (exclude, refresh)."""

from __future__ import annotations

import functools
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from accord.accountability import figures, handlers, hub, hub_reports, reports, services, views
from accord.accountability.periods import Period
from accord.clock import utcnow
from accord.errors import N_, AccordError, InvalidInput, Message
from accord.identity.models import Organization
from accord.identity.policy import Action, Actor
from accord.limits import DbInt
from accord.web.deps import DbSession, OrgAccess, SettingsDep, guard, org_guard
from accord.web.errors import wants_json
from accord.web.i18n import viewer_of
from accord.web.rendering import render
from accord.web.security import verify_csrf

# A period as typed, empty or too long included: parsing it says what is wrong, beside the
# field, rather than the request's validation on the generic error page.
PeriodText = Annotated[str, Form(max_length=1_000)]
router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
PeriodParam = Annotated[str | None, Query(max_length=10)]


def default_period() -> Period:
    """The last quarter that has ended."""
    return services.default_period()


def _period(key: str | None) -> Period:
    return services.parse_period(key) if key else default_period()


@router.get("/accountability", response_class=HTMLResponse)
def scorecard_page(
    request: Request,
    db: DbSession,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)],
    period: PeriodParam = None,
    sort: Annotated[str | None, Query(max_length=60)] = None,
    order: Annotated[str, Query(max_length=4)] = "desc",
    every: Annotated[bool, Query(alias="all")] = False,
) -> HTMLResponse:
    """Every signatory side by side for one period, sortable by each figure: a chosen few
    figures (and the one sorted by), every figure one click away."""
    chosen = _period(period)
    viewer = viewer_of(request)
    rows = services.scorecard(db, period=chosen, sort=sort or None, order=order)
    sortable = [d for d in figures.DEFINITIONS if d.sortable]
    columns = [d for d in sortable if every or d.id in views.SCORECARD_FIGURES or d.id == sort]
    cells = [(row, [views.show(d, row.values.get(d.id), viewer) for d in columns]) for row in rows]
    return render(
        request,
        "accountability/scorecard.html",
        {
            "period": chosen,
            "rows": cells,
            "trends": views.hub_trends(db, end=chosen, viewer=viewer),
            "columns": columns,
            "every": every,
            "figure_count": len(sortable),
            "columns_by_id": figures.BY_ID,
            "sort": sort or "",
            "order": order,
            "choices": views.period_choices(default_period()),
            "computed_at": min((r.computed_at for r in rows if r.computed_at), default=None),
        },
    )


@router.get("/accountability/methods", response_class=HTMLResponse)
def methods_page(
    request: Request, _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)]
) -> HTMLResponse:
    """How every figure is computed."""
    return render(
        request,
        "accountability/methods.html",
        {
            "definitions": figures.DEFINITIONS,
            "definitions_by_id": figures.BY_ID,
            "principles": hub.PRINCIPLES,
        },
    )


@router.get("/accountability/signatories/{slug}", response_class=HTMLResponse)
def signatory_page(
    request: Request,
    db: DbSession,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)],
    slug: str,
    period: PeriodParam = None,
) -> HTMLResponse:
    """One signatory: its figures for a period, trends by quarter, its published reports."""
    org = services.get_signatory(db, slug)
    chosen = _period(period)
    (stored,) = services.stored_or_live(db, period=chosen, orgs=[org], with_records=True)
    viewer = viewer_of(request)
    return render(
        request,
        "accountability/signatory.html",
        {
            "org": org,
            "period": chosen,
            "stored": stored,
            "figures": views.figure_views(stored.figures, viewer),
            "trends": []
            if stored.excluded
            else views.trends(db, org=org, end=chosen, viewer=viewer),
            "reports": reports.listed(db, org=org),
            "choices": views.period_choices(default_period()),
        },
    )


@router.get("/accountability/signatories/{slug}/reports/{period}", response_class=HTMLResponse)
def report_page(
    request: Request,
    db: DbSession,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)],
    slug: str,
    period: str,
    version: Annotated[DbInt | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """A published report, print-ready: figures, narrative, commitments, signature."""
    org = services.get_signatory(db, slug)
    found = reports.get(db, org=org, period=services.parse_period(period), version=version)
    document = json.loads(found.document)
    shown = {
        key: figures.Figure(item["value"], tuple(item["records"]))
        for key, item in document["figures"].items()
    }
    return render(
        request,
        "accountability/report.html",
        {
            "org": org,
            "report": found,
            "document": document,
            "figures": views.figure_views(shown, viewer_of(request)),
            "narrative": reports.render_markdown(document["narrative"]),
        },
    )


@router.get("/accountability/hub", response_class=HTMLResponse)
def hub_page(
    request: Request,
    db: DbSession,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_READ)],
    period: PeriodParam = None,
) -> HTMLResponse:
    """The whole accord for one period: signatories, each principle's figures, trends, and
    the published hub reports."""
    chosen = _period(period)
    viewer = viewer_of(request)
    found = hub.summary(db, period=chosen)
    return render(
        request,
        "accountability/hub.html",
        {
            "period": chosen,
            "summary": found,
            "principles": views.principle_views(found, viewer),
            "trends": views.summary_trends(found, viewer),
            "reports": hub_reports.listed(db),
            "choices": views.period_choices(default_period()),
        },
    )


@router.post("/admin/accountability/hub/publish", response_model=None)
def hub_publish_submit(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.ACCOUNTABILITY_OPERATE)],
    period: PeriodText = "",
    narrative: Annotated[str, Form(max_length=reports.MAX_NARRATIVE)] = "",
) -> RedirectResponse | HTMLResponse:
    """Publish the hub report, then show the hub page of its period."""
    try:
        found = hub_reports.publish(
            db, actor=actor, settings=settings, period_key=period, narrative=narrative
        )
    except AccordError as exc:
        if wants_json(request):
            raise
        db.rollback()
        values = {"hub_period": period, "narrative": narrative}
        return _admin(request, db, {"hub_period": exc.message}, values, exc.status_code)
    return RedirectResponse(f"/accountability/hub?period={found.period_key}", status_code=303)


@router.get("/orgs/{slug}/accountability", response_class=HTMLResponse)
def publish_page(
    request: Request,
    db: DbSession,
    access: Annotated[OrgAccess, org_guard(Action.ACCOUNTABILITY_PUBLISH)],
) -> HTMLResponse:
    """The form a signatory's admins publish a report with."""
    org = services.get_signatory(db, access.org.slug)
    return _publish_form(request, db, org, default_period().key, "", "", None, 200)


def _publish_form(
    request: Request,
    db: DbSession,
    org: Organization,
    period: str,
    narrative: str,
    commitments: str,
    error: str | None,
    status: int,
    preview: dict[str, Any] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "accountability/publish.html",
        {
            "org": org,
            "period": period,
            "narrative": narrative,
            "commitments": commitments,
            "error": error,
            "preview": preview,
            "reports": reports.listed(db, org=org),
            "choices": views.ended_period_choices(utcnow()),
        },
        status=status,
    )


@router.post("/orgs/{slug}/accountability/publish", response_model=None)
def publish_submit(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    access: Annotated[OrgAccess, org_guard(Action.ACCOUNTABILITY_PUBLISH)],
    period: PeriodText = "",
    narrative: Annotated[str, Form(max_length=reports.MAX_NARRATIVE)] = "",
    commitments: Annotated[str, Form(max_length=reports.MAX_COMMITMENTS)] = "",
    # The page's first button previews; a client without the field publishes, as before.
    intent: Annotated[str, Form(max_length=20)] = "publish",
) -> RedirectResponse | HTMLResponse:
    """Preview first (the figures the hub would sign, the words as they will read), then
    publish; a period that cannot be reported comes back with the reason beside it."""
    org = services.get_signatory(db, access.org.slug)
    form = functools.partial(_publish_form, request, db, org, period, narrative, commitments)
    try:
        if intent != "publish":
            chosen = services.parse_period(period)
            reports.ensure_ended(chosen, utcnow())
            reports.ensure_after_joining(db, org=org, period=chosen)
            reports.check_texts(narrative, commitments)
            found = services.live(db, period=chosen, org_ids=[org.id])[org.id]
            preview = {
                "period": chosen.key,
                "figures": views.figure_views(found, viewer_of(request)),
                "narrative": reports.render_markdown(narrative),
                "commitments": commitments,
            }
            return form(None, 200, preview)
        report = reports.publish(
            db,
            actor=access.actor,
            settings=settings,
            org=org,
            period_key=period,
            narrative=narrative,
            commitments=commitments,
        )
    except AccordError as exc:
        if wants_json(request):
            raise
        db.rollback()
        return form(exc.message, exc.status_code)
    return RedirectResponse(
        f"/accountability/signatories/{org.slug}/reports/{report.period_key}?version={report.version}",
        status_code=303,
    )


@router.get("/admin/accountability", response_class=HTMLResponse)
def admin_page(
    request: Request,
    db: DbSession,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_OPERATE)],
) -> HTMLResponse:
    """Operators: exclusions with their reasons, and refreshing the stored figures."""
    return _admin(request, db, {}, {}, 200)


def _admin(
    request: Request, db: DbSession, errors: dict[str, str], values: dict[str, str], status: int
) -> HTMLResponse:
    """The operators' page, with a refused form's reason beside its field and input kept."""
    found = services.exclusions(db)
    names = {o.id: o for o in services.signatories(db)}
    return render(
        request,
        "accountability/admin.html",
        {
            "exclusions": found,
            "orgs": names,
            "default_period": default_period().key,
            "choices": views.ended_period_choices(utcnow()),
            "errors": errors,
            "values": values,
        },
        status=status,
    )


@router.post("/admin/accountability/exclusions", response_model=None)
def exclude_submit(
    request: Request,
    db: DbSession,
    actor: Annotated[Actor, guard(Action.ACCOUNTABILITY_OPERATE)],
    # Empty or too long: the service says so, beside the field.
    reason: Annotated[str, Form(max_length=10 * services.MAX_REASON)] = "",
    signatory: Annotated[str, Form(max_length=64)] = "",
    period: PeriodText = "",
) -> RedirectResponse | HTMLResponse:
    """Exclude a signatory, a period, or both together, from publication."""
    try:
        services.exclude(
            db, actor=actor, slug=signatory or None, period_key=period or None, reason=reason
        )
    except AccordError as exc:
        if wants_json(request):
            raise
        db.rollback()
        field = {"period": "period", "slug": "signatory", "signatory": "signatory"}.get(
            exc.field or "", "reason"
        )
        values = {"signatory": signatory, "period": period, "reason": reason}
        return _admin(request, db, {field: exc.message}, values, exc.status_code)
    return RedirectResponse("/admin/accountability", status_code=303)


@router.post("/admin/accountability/exclusions/{exclusion_id}/lift")
def lift_submit(
    db: DbSession,
    actor: Annotated[Actor, guard(Action.ACCOUNTABILITY_OPERATE)],
    exclusion_id: DbInt,
) -> RedirectResponse:
    """Lift an exclusion."""
    services.lift(db, actor=actor, exclusion_id=exclusion_id)
    return RedirectResponse("/admin/accountability", status_code=303)


@router.post("/admin/accountability/refresh")
def refresh_submit(
    db: DbSession,
    settings: SettingsDep,
    _: Annotated[Actor, guard(Action.ACCOUNTABILITY_OPERATE)],
    every_minutes: Annotated[str, Form(max_length=6)] = "",
) -> RedirectResponse:
    """Queue a refresh of the stored figures (repeating when an interval is given)."""
    every = every_minutes.strip()
    if every and (not every.isdigit() or not 0 < int(every) <= handlers.MAX_EVERY_MINUTES):
        raise InvalidInput(
            Message(
                N_("repeat every 1 to %(MAX_EVERY_MINUTES)s minutes"),
                MAX_EVERY_MINUTES=handlers.MAX_EVERY_MINUTES,
            ),
            field="every_minutes",
        )
    handlers.schedule(db, every_minutes=int(every) if every else None, settings=settings)
    return RedirectResponse("/admin/accountability", status_code=303)
