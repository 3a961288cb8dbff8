"""What the case page shows one viewer, built once for its GET and for a form sent back with
its mistakes (``form`` names the form, ``values`` keeps what was typed, ``errors`` puts each
reason beside its field)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from accord.advisories.formats.meta import VexJustification
from accord.config import Settings
from accord.disclosure import (
    cases,
    closing,
    deliveries,
    history,
    messages,
    publishing,
    reports,
    timezones,
    vendors,
    views,
    vulnerability_view,
)
from accord.disclosure.cases import CaseAccess
from accord.disclosure.models import OPEN_STATUSES, VendorStatus
from accord.disclosure.pages import STATUS_TEXT, back_to_case, viewer_zone
from accord.disclosure.privacy import reporter_shown
from accord.errors import AccordError
from accord.identity.policy import Actor
from accord.web.rendering import render

# The errors a form shows beside its fields; any other (403, 404) is the usual error page.
SHOWN = (422, 409)


def attempt(
    request: Request,
    db: Session,
    settings: Settings,
    actor: Actor,
    case_id: str,
    *,
    form: str,
    values: dict[str, str],
    action: Callable[[CaseAccess], object],
    shown: tuple[int, ...] = SHOWN,
    field: Callable[[str | None], str] = lambda name: name or "form",
) -> Response:
    """Run a case form's ``action``; a refusal whose status is in ``shown`` rolls back what
    the action wrote and shows the case page again, with ``values`` as typed and the reason
    beside the field that ``field`` names for the error's own (a successful action returns
    to the case page, or where it says)."""
    access = cases.load(db, case_id, actor=actor, settings=settings, for_update=True)
    try:
        done = action(access)
    except AccordError as exc:
        if exc.status_code not in shown:
            raise
        db.rollback()
        again = cases.load(db, case_id, actor=actor, settings=settings)
        return render_case(
            request,
            db,
            settings,
            actor,
            again,
            form=form,
            values=values,
            errors={field(exc.field): exc.message},
            status=exc.status_code,
        )
    return done if isinstance(done, RedirectResponse) else back_to_case(access.case)


def render_case(
    request: Request,
    db: Session,
    settings: Settings,
    actor: Actor,
    access: CaseAccess,
    *,
    before: int | None = None,
    form: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The case page; ``form``, ``values`` and ``errors``: a form sent back with its mistakes."""
    case, standing = access.case, access.standing
    rows, more = messages.page(db, case=case, standing=standing, before=before)
    assert actor.user_id is not None
    listed = vendors.listed(db, case)
    vendor_rows = views.vendor_list(db, case, listed)  # one read of 200 vendors, not two
    states = deliveries.vendor_states(db, case_id=case.id)
    mine = sorted(org.slug for _, org in listed if org.id in standing.vendor_org_ids)
    answerable = [v for v in vendor_rows if standing.coordinator or v.organization in mine]
    # Vendors are invited only while the case is still worked on: no organization list else.
    inviting = case.status in OPEN_STATUSES
    context: dict[str, Any] = {
        "case": case,
        "standing": standing,
        "reporter": reporter_shown(case, standing),
        "vendors": vendor_rows,
        "notified": {org.slug: states[org.id] for _, org in listed if org.id in states},
        "notified_ids": states,
        "my_vendors": mine,
        "answerable": answerable,
        "publishers": publishing.publishers(
            db, case, standing, answerable, prefix=settings.advisory_id_prefix
        ),
        "settings_prefix": settings.advisory_id_prefix,
        "candidates": vendors.candidates(db, case=case)
        if inviting and standing.coordinator
        else [],
        "invitable": vendors.invitable(db, case)
        if inviting and (standing.coordinator or mine)
        else [],
        "hints": reports.duplicate_hints(db, case=case),
        "attachments": views.attachment_list(db, case),
        "messages": views.message_reads(db, rows),
        "read_up_to": messages.last_read(db, case=case, user_id=actor.user_id),
        "newest": rows[-1].id if rows else 0,
        "older": more,
        "events": history.events(db, case=case, standing=standing, limit=100),
        "zone": viewer_zone(request, db, actor),
        "zones": timezones.names(),
        "show": timezones.show,
        "status_text": STATUS_TEXT,
        "statuses": list(VendorStatus),
        "justifications": [j.value for j in VexJustification],
        "choices": messages.choices(standing, [(o.id, o.slug, o.name) for _, o in listed]),
        "form": form,
        "values": values or {},
        "errors": errors or {},
        "close_reasons": closing.REASON_TEXT,
        "inactive": closing.inactive(case),
    }
    context.update(vulnerability_view.context(db, access, listed))
    return render(request, "disclosure/case.html", context, status=status)
