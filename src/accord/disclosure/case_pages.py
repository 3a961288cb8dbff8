"""Disclosure pages for vendors and coordinators: the inbox and the case page with its forms.

The actions go through the same services as the API; a refused action shows the error page
with the reason (a refused message: the case page again, the text kept and the reason beside
its field), a successful one returns to the case page (303). The vendor answer, embargo and
publication forms are in ``case_forms.py``: a mistake there re-shows the case page with the
form as typed and the reason beside the field.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.disclosure import (
    attachments,
    cases,
    closing,
    history,
    inbox,
    messages,
    reports,
    vendors,
)
from accord.disclosure.case_view import SHOWN, attempt, render_case
from accord.disclosure.inbox import View
from accord.disclosure.pages import (
    CaseId,
    Reading,
    Text,
    Writing,
    back_to_case,
    json_download,
    viewer_zone,
)
from accord.disclosure.schemas import (
    CloseRequest,
    MessageCreate,
    TriageRequest,
)
from accord.errors import N_, InvalidInput, validated
from accord.identity.policy import Actor
from accord.limits import DbInt
from accord.web import i18n
from accord.web.deps import DbSession, FreshFactor, SettingsDep
from accord.web.forms import filled
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


# -- inbox and case page ---------------------------------------------------------------------


@router.get("/disclosure", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Reading,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    view: View = View.OPEN,
) -> HTMLResponse:
    """Reports and cases you take part in, by view, with unread counts."""
    rows, total = inbox.inbox(db, actor=actor, settings=settings, view=view, page=page, per_page=50)
    return render(
        request,
        "disclosure/inbox.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "per_page": 50,
            "view": view.value,
            "views": [v.value for v in View],
            "zone": viewer_zone(request, db, actor),
            "show": i18n.when,
            "inactive_days": settings.disclosure_inactive_days,
        },
    )


@router.get("/disclosure/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request,
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Reading,
    before: Annotated[DbInt | None, Query(ge=1)] = None,
    thread: Annotated[str, Query(max_length=80)] = "",
    answer: Annotated[str, Query(max_length=64)] = "",
    vendors: Annotated[str, Query(max_length=10)] = "",
    reply: Annotated[DbInt | None, Query(ge=1)] = None,
    to: Annotated[str, Query(max_length=80)] = "",
) -> HTMLResponse:
    """A case: the overview (status, embargo in your zone, the vendors' answers, what waits
    on whom), the messages by thread (``thread``, ``before``: one thread's pages), the
    history and the actions (``answer``: a vendor's answer form; ``vendors=all``: every
    vendor in the table; ``reply``, ``to``: the message form prefilled)."""
    access = cases.load(db, case_id, actor=actor, settings=settings)
    return render_case(
        request,
        db,
        settings,
        actor,
        access,
        before=before,
        thread=thread,
        answer=answer,
        every_vendor=vendors == "all",
        reply=reply,
        to=to,
    )


def _write(db: Session, case_id: str, actor: Actor, settings: Settings) -> cases.CaseAccess:
    return cases.load(db, case_id, actor=actor, settings=settings, for_update=True)


@router.post("/disclosure/cases/{case_id}/open")
def open_page(
    case_id: CaseId, db: DbSession, settings: SettingsDep, actor: Writing
) -> RedirectResponse:
    """Open the report as a case."""
    access = _write(db, case_id, actor, settings)
    return back_to_case(cases.open_case(db, access=access, actor=actor, settings=settings))


@router.post("/disclosure/cases/{case_id}/triage", response_class=HTMLResponse)
def triage_page(
    request: Request,
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    action: Annotated[str, Form(max_length=20)] = "",
    reason: Text = "",
    duplicate_of: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Close the report as invalid, spam or duplicate, or make it a question; a refused
    decision (no reason, an original that is not found) comes back with what was typed kept
    and the reason beside its field."""

    def act(access: cases.CaseAccess) -> None:
        typed = {"action": action, "reason": reason, "duplicate_of": duplicate_of}
        data = validated(TriageRequest, filled(typed))
        reports.triage(
            db,
            case=access.case,
            standing=access.standing,
            data=data,
            actor=actor,
            settings=settings,
        )

    named = ("action", "reason", "duplicate_of")
    return attempt(
        request,
        db,
        settings,
        actor,
        case_id,
        form="triage",
        values={"action": action, "reason": reason, "duplicate_of": duplicate_of},
        action=act,
        # The original's id was typed by the viewer: "not found" is about that field.
        shown=(*SHOWN, 404),
        field=lambda name: f"triage_{name}" if name in named else "triage_reason",
    )


@router.post("/disclosure/cases/{case_id}/close", response_class=HTMLResponse)
def close_page(
    request: Request,
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    reason: Annotated[str, Form(max_length=30)] = "",
    note: Text = "",
) -> Response:
    """Close the case with a reason; a refused one comes back with the choice and text kept
    and the reason beside its field."""

    def act(access: cases.CaseAccess) -> None:
        data = validated(CloseRequest, filled({"reason": reason, "note": note}))
        closing.close(db, access=access, data=data, actor=actor, settings=settings)

    return attempt(
        request,
        db,
        settings,
        actor,
        case_id,
        form="close",
        values={"close_reason": reason, "close_note": note},
        action=act,
        field=lambda name: f"close_{name}" if name in ("reason", "note") else "close_reason",
    )


@router.post("/disclosure/cases/{case_id}/reopen")
def reopen_page(
    case_id: CaseId, db: DbSession, settings: SettingsDep, actor: Writing
) -> RedirectResponse:
    """Reopen a closed case."""
    access = _write(db, case_id, actor, settings)
    return back_to_case(closing.reopen(db, access=access, actor=actor, settings=settings))


@router.post("/disclosure/cases/{case_id}/vendors", response_class=HTMLResponse)
def invite_page(
    request: Request,
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    organization: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Invite an organization as a vendor, by its slug or its name; an unknown one comes
    back with what was typed and the reason beside the field."""

    def act(access: cases.CaseAccess) -> None:
        if not organization.strip():
            raise InvalidInput(N_("choose an organization"), field="organization")
        vendors.invite(db, access=access, slug=organization, actor=actor, settings=settings)

    return attempt(
        request,
        db,
        settings,
        actor,
        case_id,
        form="invite",
        values={"organization": organization},
        action=act,
        shown=(*SHOWN, 404),
        field=lambda _: "organization",
    )


@router.post("/disclosure/cases/{case_id}/messages", response_class=HTMLResponse)
def message_page(
    request: Request,
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    body: Text = "",
    audience: Annotated[str, Form(max_length=80)] = "",
    parent_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Post a message to the audience chosen; a refused one comes back with the text kept
    and the reason beside its field."""
    kind, _, vendor = audience.partition(":")

    def act(access: cases.CaseAccess) -> None:
        data = validated(
            MessageCreate,
            filled({"body": body, "audience": kind, "vendor": vendor, "parent_id": parent_id}),
        )
        messages.post_as(db, settings=settings, access=access, actor=actor, data=data)

    return attempt(
        request,
        db,
        settings,
        actor,
        case_id,
        form="message",
        values={"body": body, "audience": audience, "parent_id": parent_id},
        action=act,
        shown=(*SHOWN, 403, 404),
        field=lambda name: {"vendor": "audience"}.get(name or "", name or "body"),
    )


@router.post("/disclosure/cases/{case_id}/read")
def read_page(
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    last_read_id: Annotated[int, Form(ge=0)] = 0,
) -> RedirectResponse:
    """Mark the messages shown as read."""
    access = cases.load(db, case_id, actor=actor, settings=settings)
    assert actor.user_id is not None
    messages.mark_read(db, case=access.case, user_id=actor.user_id, last_read_id=last_read_id)
    return back_to_case(access.case)


@router.get("/disclosure/cases/{case_id}/attachments/{attachment_id}", response_class=Response)
def attachment_page(
    case_id: CaseId,
    attachment_id: Annotated[DbInt, Path(ge=1)],
    db: DbSession,
    settings: SettingsDep,
    actor: Reading,
    _fresh: FreshFactor,
) -> Response:
    """An attachment, as a download (a sensitive read: a recent second factor)."""
    access = cases.load(db, case_id, actor=actor, settings=settings)
    return attachments.download(attachments.get(db, case=access.case, attachment_id=attachment_id))


@router.get("/disclosure/cases/{case_id}/history/{seq}", response_class=Response)
def proof_page(
    case_id: CaseId,
    seq: Annotated[DbInt, Path(ge=1)],
    db: DbSession,
    settings: SettingsDep,
    actor: Reading,
) -> Response:
    """An event's document and log bundle, as a JSON download."""
    access = cases.load(db, case_id, actor=actor, settings=settings)
    found = history.proof(
        db, case=access.case, standing=access.standing, seq=seq, settings=settings
    )
    return json_download(found, f"{access.case.ref or access.case.public_id}-event-{seq}.json")
