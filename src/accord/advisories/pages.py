"""Advisory pages: the public list and advisory page, and the publishers' draft forms."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, StringConstraints
from sqlalchemy import select

from accord import limits
from accord.advisories import (
    csaf_provider,
    describe,
    documents,
    ecosystems,
    listing,
    scoring,
    services,
    sources,
)
from accord.advisories.guards import AdvisoryAccess, advisory_guard
from accord.advisories.models import Advisory, AdvisoryVersion, Tlp
from accord.advisories.schemas import AdvisoryCreate, AdvisoryFields, WithdrawRequest
from accord.errors import InvalidInput, validated
from accord.identity.policy import Action, Actor
from accord.transparency import services as log
from accord.web.deps import DbSession, FreshFactor, OrgAccess, SettingsDep, guard, org_guard
from accord.web.i18n import N_
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
PER_PAGE = 50
FormText = Annotated[str, StringConstraints(max_length=200_000)]
AFFECTED_EXAMPLE = [
    {
        "package": {"ecosystem": "PyPI", "name": "example"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}],
    }
]


def _day(value: str, *, field: str) -> datetime | None:
    # Date inputs send "" when left empty, so the parameter is text, read here.
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field}: not a date (YYYY-MM-DD)", field=field) from None
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
    draft = services.draft_of(advisory)
    record: dict[str, Any] = {}
    if advisory.document:
        record = documents.loads(advisory.document)
    elif draft is not None:
        record = draft["record"]
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
            "versions": versions,
            "can_author": services.may_author(actor, advisory),
            "has_draft": draft is not None,
            "csaf_path": csaf_provider.document_path(advisory),
            "source_name": None
            if advisory.organization_id is not None or advisory.source in sources.NOT_IMPORTED
            else sources.public_name(advisory.source, advisory.osv_id),
            # Each version's entry in the log, for a link to its page (not the raw JSON).
            "log_entries": {
                v.number: records[0].idx
                for v in versions
                if (records := log.records_for_document(db, v.document_sha256))
            },
        },
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


@router.get("/orgs/{slug}/advisories/new", response_class=HTMLResponse)
def new_form(
    request: Request, access_: Annotated[OrgAccess, org_guard(Action.ADVISORY_AUTHOR)]
) -> HTMLResponse:
    """The form for a new draft."""
    form = {
        "summary": "",
        "plain_summary": "",
        "details": "",
        "affected": json.dumps(AFFECTED_EXAMPLE, indent=2),
        "references": "",
        "aliases": "",
        "cwe_ids": "",
        "cvss_v3": "",
        "cvss_v4": "",
        "tlp": Tlp.CLEAR.value,
    }
    heading = N_("New advisory of %(name)s")
    return _form(request, heading, access_.org.name, f"/orgs/{access_.org.slug}/advisories", form)


def _form(
    request: Request, heading: str, name: str, action: str, form: dict[str, str]
) -> HTMLResponse:
    """The draft form; ``heading`` is a marked sentence naming ``name`` as ``%(name)s``."""
    context = {
        "heading": heading,
        "heading_name": name,
        "action": action,
        "form": form,
        "tlps": list(Tlp),
    }
    return render(request, "advisories/form.html", context)


class DraftForm(BaseModel):
    """The fields of the draft form, as text."""

    summary: FormText
    affected: FormText
    plain_summary: FormText = ""
    details: FormText = ""
    references: FormText = ""
    aliases: FormText = ""
    cwe_ids: FormText = ""
    cvss_v3: FormText = ""
    cvss_v4: FormText = ""
    tlp: FormText = "CLEAR"


@router.post("/orgs/{slug}/advisories")
def create(
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[OrgAccess, org_guard(Action.ADVISORY_AUTHOR)],
    form: Annotated[DraftForm, Form()],
) -> Response:
    """Save a new draft and show it."""
    data = validated(AdvisoryCreate, _fields(form))
    advisory = services.create_draft(
        db,
        org=access_.org,
        data=data,
        actor=access_.actor,
        prefix=services.id_prefix(settings),
    )
    return RedirectResponse(f"/advisories/{advisory.osv_id}", status_code=303)


@router.get("/advisories/{advisory_id}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, access_: Annotated[AdvisoryAccess, advisory_guard(Action.ADVISORY_AUTHOR)]
) -> HTMLResponse:
    """The draft (or the published record, as a new draft) in the form."""
    advisory = access_.advisory
    draft = services.draft_of(advisory)
    if draft is not None:
        record, hub = draft["record"], draft["hub"]
    else:
        record = documents.loads(advisory.document or "{}")
        hub = {"tlp": advisory.tlp.value, "plain_summary": advisory.plain_summary}
        hub["cwe_ids"] = advisory.cwe_ids
    severity = {s["type"]: s["score"] for s in record.get("severity") or []}
    form = {
        "summary": record.get("summary", ""),
        "plain_summary": hub["plain_summary"],
        "details": record.get("details", ""),
        "affected": json.dumps(record.get("affected", []), indent=2),
        "references": "\n".join(f"{r['type']} {r['url']}" for r in record.get("references", [])),
        "aliases": " ".join(record.get("aliases", [])),
        "cwe_ids": " ".join(hub["cwe_ids"]),
        "cvss_v3": severity.get("CVSS_V3", ""),
        "cvss_v4": severity.get("CVSS_V4", ""),
        "tlp": hub["tlp"],
    }
    heading = N_("Edit %(name)s")
    return _form(request, heading, advisory.osv_id, f"/advisories/{advisory.osv_id}/edit", form)


@router.post("/advisories/{advisory_id}/edit")
def edit(
    db: DbSession,
    access_: Annotated[AdvisoryAccess, advisory_guard(Action.ADVISORY_AUTHOR)],
    form: Annotated[DraftForm, Form()],
) -> Response:
    """Save the draft."""
    data = validated(AdvisoryFields, _fields(form))
    services.update_draft(db, advisory=access_.advisory, data=data, actor=access_.actor)
    return RedirectResponse(f"/advisories/{access_.advisory.osv_id}", status_code=303)


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
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[AdvisoryAccess, advisory_guard(Action.ADVISORY_PUBLISH)],
    reason: Annotated[str, Form(max_length=200)],
) -> Response:
    """Withdraw the advisory, with the reason."""
    data = validated(WithdrawRequest, {"reason": reason})
    services.withdraw(
        db, advisory=access_.advisory, data=data, actor=access_.actor, settings=settings
    )
    return RedirectResponse(f"/advisories/{access_.advisory.osv_id}", status_code=303)


def _fields(form: DraftForm) -> dict[str, Any]:
    """The form's text fields as the API's fields."""
    try:
        affected = limits.load_json(
            form.affected.strip() or "[]", what="affected", field="affected"
        )
    except ValueError as exc:
        raise InvalidInput(f"affected: not valid JSON ({exc})", field="affected") from None
    return {
        "summary": form.summary.strip(),
        "plain_summary": form.plain_summary.strip(),
        "details": form.details.strip(),
        "affected": affected,
        "references": [_reference(line) for line in form.references.splitlines() if line.strip()],
        "aliases": form.aliases.split(),
        "cwe_ids": form.cwe_ids.upper().split(),
        "cvss_v3": form.cvss_v3.strip() or None,
        "cvss_v4": form.cvss_v4.strip() or None,
        "tlp": form.tlp.strip(),
    }


def _reference(line: str) -> dict[str, str]:
    kind, _, url = line.strip().partition(" ")
    return {"type": kind.upper(), "url": url.strip()} if url else {"type": "WEB", "url": kind}
