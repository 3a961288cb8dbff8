"""The publishers' draft forms: the editor for a new advisory or a draft, its added rows,
its preview and its save (the advisory pages themselves are in ``pages.py``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from accord.advisories import describe, documents, ecosystems, editor, exports, services
from accord.advisories.guards import AdvisoryAccess, advisory_guard
from accord.advisories.models import Advisory, AdvisoryStatus, Tlp
from accord.advisories.pages import shown_fields
from accord.advisories.schemas import AdvisoryCreate, AdvisoryFields
from accord.errors import AccordError, validated
from accord.identity.models import Organization
from accord.identity.policy import Action
from accord.registry import products
from accord.web.deps import DbSession, OrgAccess, SettingsDep, org_guard
from accord.web.forms import field_errors
from accord.web.i18n import N_
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


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
