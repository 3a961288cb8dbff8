"""The case page's forms for a vendor's answer, the embargo and publication.

A mistake in one of them (an embargo in the past, a publication before the embargo, a
malformed vector) is not a dead end: the case page is shown again, with the form as it was
typed and the reason beside the field, and the answer's status is the error's (422, 409...).
Whatever the refused action had written is rolled back first.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.disclosure import cases, embargo, publishing, timezones, vendors
from accord.disclosure.case_view import attempt
from accord.disclosure.pages import CaseId, Text, Writing, viewer_zone
from accord.disclosure.schemas import (
    EmbargoAcceptance,
    EmbargoProposal,
    PublishRequest,
    VendorStatusUpdate,
)
from accord.errors import N_, InvalidInput, validated
from accord.web.deps import DbSession, FreshFactor, SettingsDep
from accord.web.forms import filled
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


@router.post("/disclosure/cases/{case_id}/vendor-answer", response_model=None)
def answer_page(
    request: Request,
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    vendor: Annotated[str, Form(max_length=64)] = "",
    answer: Annotated[str, Form(max_length=20)] = "status",
    status: Annotated[str, Form(max_length=20)] = "",
    justification: Annotated[str, Form(max_length=60)] = "",
    statement: Text = "",
    purl: Annotated[str, Form(max_length=500)] = "",
    affected_versions: Annotated[str, Form(max_length=5000)] = "",
    fixed_versions: Annotated[str, Form(max_length=5000)] = "",
    embargo_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """A vendor's answer (or a coordinator's on its behalf): its status, its acceptance of
    the embargo shown, or its agreement to publish before the embargo."""
    typed = {
        "status": status,
        "justification": justification,
        "statement": statement,
        "purl": purl,
        "affected_versions": affected_versions,
        "fixed_versions": fixed_versions,
    }

    def act(access: cases.CaseAccess) -> None:
        if answer == "accept-embargo":
            accepted = validated(EmbargoAcceptance, {"embargo_at": embargo_at})
            embargo.accept(
                db,
                access=access,
                slug=vendor,
                embargo_at=accepted.embargo_at,
                actor=actor,
                settings=settings,
            )
        elif answer == "agree-release":
            embargo.agree_release(db, access=access, slug=vendor, actor=actor, settings=settings)
        elif answer == "status":
            fields: dict[str, Any] = filled(
                {k: typed[k] for k in ("status", "justification", "statement", "purl")}
            )
            fields["affected_versions"] = _lines(affected_versions)
            fields["fixed_versions"] = _lines(fixed_versions)
            data = validated(VendorStatusUpdate, fields)
            vendors.set_status(
                db, access=access, slug=vendor, data=data, actor=actor, settings=settings
            )
        else:
            raise InvalidInput(
                N_("answer: status, accept-embargo or agree-release"), field="answer"
            )

    return attempt(
        request, db, settings, actor, case_id, form=f"answer-{vendor}", values=typed, action=act
    )


@router.post("/disclosure/cases/{case_id}/embargo", response_model=None)
def embargo_page(
    request: Request,
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    embargo_at: Annotated[str, Form(max_length=40)] = "",
    reason: Text = "",
) -> Response:
    """Propose an embargo, entered in the viewer's zone."""
    zone = viewer_zone(request, db, actor)

    def act(access: cases.CaseAccess) -> None:
        if not embargo_at:
            raise InvalidInput(N_("embargo_at: enter a date and time"), field="embargo_at")
        moment = timezones.parse_local(embargo_at, zone, field="embargo_at").isoformat()
        data = validated(EmbargoProposal, {"embargo_at": moment, "reason": reason})
        embargo.propose(
            db,
            access=access,
            embargo_at=data.embargo_at,
            reason=data.reason,
            actor=actor,
            settings=settings,
        )

    typed = {"embargo_at": embargo_at, "reason": reason}
    return attempt(request, db, settings, actor, case_id, form="embargo", values=typed, action=act)


@router.post("/disclosure/cases/{case_id}/publish", response_model=None)
def publish_page(
    request: Request,
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    _fresh: FreshFactor,
    vendor: Annotated[str, Form(max_length=64)] = "",
    # Longer than any may be, so that PublishRequest says it beside the field, as typed.
    vulnerability: Annotated[str, Form(max_length=10_000)] = "",
    summary: Annotated[str, Form(max_length=10_000)] = "",
    cvss_v3: Annotated[str, Form(max_length=10_000)] = "",
    cwe_ids: Annotated[str, Form(max_length=10_000)] = "",
    cve_id: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """Publish an advisory from the case (a vendor's own, or the coordinators') and go to it."""
    typed = {
        "vendor": vendor,
        "vulnerability": vulnerability,
        "summary": summary,
        "cvss_v3": cvss_v3,
        "cwe_ids": cwe_ids,
        "cve_id": cve_id,
    }

    def act(access: cases.CaseAccess) -> RedirectResponse:
        fields: dict[str, Any] = filled(
            {
                "summary": summary,
                "cvss_v3": cvss_v3,
                "cve_id": cve_id,
                "vendor": vendor,
                "vulnerability": vulnerability,
            }
        )
        fields["cwe_ids"] = _lines(cwe_ids)
        data = validated(PublishRequest, fields)
        advisory = publishing.publish_case(
            db, access=access, data=data, actor=actor, settings=settings
        )
        return RedirectResponse(f"/advisories/{advisory.osv_id}", status_code=303)

    return attempt(request, db, settings, actor, case_id, form="publish", values=typed, action=act)
