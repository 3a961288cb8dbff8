"""Advisory pages: the public list and advisory page, and the publishers' draft forms."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.accountability.reports import render_markdown
from accord.advisories import (
    csaf_provider,
    describe,
    documents,
    ecosystems,
    editor,
    exports,
    listing,
    publication,
    scoring,
    services,
    sources,
)
from accord.advisories.guards import AdvisoryAccess, advisory_guard
from accord.advisories.models import Advisory, AdvisoryStatus, AdvisoryVersion, Tlp
from accord.advisories.schemas import AdvisoryCreate, AdvisoryFields, WithdrawRequest
from accord.aggregation.views import kept_for
from accord.errors import AccordError, InvalidInput, Message, validated
from accord.identity.models import Organization
from accord.identity.policy import Action, Actor
from accord.registry import products
from accord.web.deps import DbSession, FreshFactor, OrgAccess, SettingsDep, guard, org_guard
from accord.web.errors import wants_json
from accord.web.forms import field_errors
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


async def sent_form(request: Request) -> dict[str, str]:
    """The form as sent, field by field (the editor's rows are numbered fields)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


SentForm = Annotated[dict[str, str], Depends(sent_form)]


def _editor_page(
    request: Request,
    db: Session,
    *,
    org: Organization | None,
    heading: str,
    heading_name: str,
    action: str,
    editor_: editor.Editor,
    errors: dict[str, str] | None = None,
    preview: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "heading": heading,
        "heading_name": heading_name,
        "action": action,
        "form": editor_,
        "errors": errors or {},
        "preview": preview,
        "tlps": list(Tlp),
        "ecosystems": ecosystems.known(),
        "products": [(p.ecosystem, p.package) for p in products.listed(db, org)] if org else [],
        "cwe_names": exports.cwe_names(),
        "credit_types": editor.CREDIT_TYPES,
        "reference_types": editor.REFERENCE_TYPES,
        "cvss3": editor.CVSS3_METRICS,
        "cvss4": editor.CVSS4_METRICS,
        "score_v3": editor.score("v3", editor_.v3),
        "score_v4": editor.score("v4", editor_.v4),
    }
    return render(request, "advisories/form.html", context, status=status)


@router.get("/orgs/{slug}/advisories/new", response_class=HTMLResponse)
def new_form(
    request: Request,
    db: DbSession,
    access_: Annotated[OrgAccess, org_guard(Action.ADVISORY_AUTHOR)],
) -> HTMLResponse:
    """The editor for a new draft."""
    return _editor_page(
        request,
        db,
        org=access_.org,
        heading=N_("New advisory of %(name)s"),
        heading_name=access_.org.name,
        action=f"/orgs/{access_.org.slug}/advisories",
        editor_=editor.Editor().pad(),
    )


def _submitted(
    request: Request,
    db: Session,
    *,
    org: Organization | None,
    advisory: Advisory | None,
    heading: str,
    heading_name: str,
    action: str,
    sent: dict[str, str],
    save: Callable[[dict[str, Any]], Advisory],
) -> Response:
    """Add a row, preview, or save: every problem drawn beside its field, input kept."""
    form = editor.from_form(sent)
    page = functools.partial(
        _editor_page,
        request,
        db,
        org=org,
        heading=heading,
        heading_name=heading_name,
        action=action,
        editor_=form,
    )
    if sent.get("add"):
        return page()
    fields, errors = editor.to_fields(form)
    if errors:
        return page(errors=errors, status=422)
    model = AdvisoryFields if advisory is not None else AdvisoryCreate
    try:
        data = model.model_validate(fields)
    except ValidationError as exc:
        found = field_errors(exc)
        return page(errors={editor.field_of(k): v for k, v in found.items()}, status=422)
    try:
        if sent.get("intent") == "preview":
            osv_id = advisory.osv_id if advisory is not None else f"{services.ID_PREFIX}-NEW"
            record, hub = services.preview(advisory, data, osv_id=osv_id)
            shown_advisory = advisory or Advisory(
                osv_id=osv_id, status=AdvisoryStatus.DRAFT, organization=org, source="hub"
            )
            preview = {
                "advisory": shown_advisory,
                "record": record,
                "stories": describe.affected(record),
                "shown": shown_fields(shown_advisory, record, hub),
            }
            return page(preview=preview)
        saved = save(fields)
    except AccordError as exc:
        db.rollback()
        return page(errors={editor.field_of(exc.field or "summary"): exc.message}, status=422)
    return RedirectResponse(f"/advisories/{saved.osv_id}", status_code=303)


@router.post("/orgs/{slug}/advisories")
def create(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[OrgAccess, org_guard(Action.ADVISORY_AUTHOR)],
    sent: SentForm,
) -> Response:
    """Save a new draft and show it (or add a row, or preview it)."""

    def save(fields: dict[str, Any]) -> Advisory:
        return services.create_draft(
            db,
            org=access_.org,
            data=validated(AdvisoryCreate, fields),
            actor=access_.actor,
            prefix=services.id_prefix(settings),
        )

    return _submitted(
        request,
        db,
        org=access_.org,
        advisory=None,
        heading=N_("New advisory of %(name)s"),
        heading_name=access_.org.name,
        action=f"/orgs/{access_.org.slug}/advisories",
        sent=sent,
        save=save,
    )


@router.get("/advisories/{advisory_id}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request,
    db: DbSession,
    access_: Annotated[AdvisoryAccess, advisory_guard(Action.ADVISORY_AUTHOR)],
) -> HTMLResponse:
    """The draft (or the published record, as a new draft) in the editor."""
    advisory = access_.advisory
    draft = services.draft_of(advisory)
    if draft is not None:
        record, hub = draft["record"], draft["hub"]
    else:
        record = documents.loads(advisory.document or "{}")
        hub = {"tlp": advisory.tlp.value, "plain_summary": advisory.plain_summary}
        hub["cwe_ids"] = advisory.cwe_ids
    return _editor_page(
        request,
        db,
        org=_org_of(db, advisory),
        heading=N_("Edit %(name)s"),
        heading_name=advisory.osv_id,
        action=f"/advisories/{advisory.osv_id}/edit",
        editor_=editor.from_record(record, hub),
    )


def _org_of(db: Session, advisory: Advisory) -> Organization | None:
    """The publishing organization, whose declared products the editor suggests; none for
    an advisory the hub's coordinators published from a disclosure case."""
    if advisory.organization_id is None:
        return None
    return db.get(Organization, advisory.organization_id)


@router.post("/advisories/{advisory_id}/edit")
def edit(
    request: Request,
    db: DbSession,
    access_: Annotated[AdvisoryAccess, advisory_guard(Action.ADVISORY_AUTHOR)],
    sent: SentForm,
) -> Response:
    """Save the draft (or add a row, or preview it)."""
    advisory = access_.advisory

    def save(fields: dict[str, Any]) -> Advisory:
        data = validated(AdvisoryFields, fields)
        return services.update_draft(db, advisory=advisory, data=data, actor=access_.actor)

    return _submitted(
        request,
        db,
        org=_org_of(db, advisory),
        advisory=advisory,
        heading=N_("Edit %(name)s"),
        heading_name=advisory.osv_id,
        action=f"/advisories/{advisory.osv_id}/edit",
        sent=sent,
        save=save,
    )


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
