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
    event_words,
    history,
    messages,
    overview,
    publishing,
    reports,
    threads,
    vendors,
    views,
    vulnerability_view,
)
from accord.disclosure.cases import CaseAccess
from accord.disclosure.models import OPEN_STATUSES, Audience, VendorStatus
from accord.disclosure.pages import STATUS_TEXT, back_to_case, viewer_zone
from accord.disclosure.privacy import reporter_shown
from accord.disclosure.purl_offers import PurlOffer, purl_offers
from accord.disclosure.schemas import VendorRead
from accord.errors import AccordError
from accord.identity.policy import Actor
from accord.registry import products
from accord.web import i18n
from accord.web.i18n import N_
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
    thread: str = "",
    answer: str = "",
    every_vendor: bool = False,
    reply: int | None = None,
    to: str = "",
    form: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The case page; ``thread`` (and ``before``): one thread's page instead of the newest
    of each; ``answer``: the vendor whose answer form a coordinator opened; ``reply`` and
    ``to``: the message form prefilled for a reply or a thread; ``form``, ``values`` and
    ``errors``: a form sent back with its mistakes."""
    case, standing = access.case, access.standing
    assert actor.user_id is not None
    by_id = views.vendor_rows(db, case)  # one read of 200 vendors, as columns
    vendor_rows = [v for _, v in by_id]
    states = deliveries.vendor_states(db, case_id=case.id)
    mine = sorted(v.organization for org_id, v in by_id if org_id in standing.vendor_org_ids)
    answerable = [v for v in vendor_rows if standing.coordinator or v.organization in mine]
    read_up_to = messages.last_read(db, case=case, user_id=actor.user_id)
    named = [(org_id, v.organization, v.name) for org_id, v in by_id]
    shown, focus = threads.for_page(
        db,
        case=case,
        standing=standing,
        vendors=named,
        read_up_to=read_up_to,
        thread=thread,
        before=before,
    )
    # Vendors are invited only while the case is still worked on: no organization list else.
    inviting = case.status in OPEN_STATUSES
    typed = values or {}
    if not form and (reply or to):
        form, typed = "prefill", {"audience": to, "parent_id": str(reply or "")}
    tr = i18n.viewer_of(request).translations
    context: dict[str, Any] = {
        "case": case,
        # Words shown once per vendor or thread, translated once per page rather than per
        # row: a case of 200 vendors writes each of them hundreds of times.
        "status_names": {s: tr.gettext(STATUS_TEXT[s]) for s in VendorStatus},
        "titles": {t.key: _title(t, tr.gettext) for t in shown},
        "standing": standing,
        "reporter": reporter_shown(case, standing),
        "vendors": vendor_rows,
        "vendor_table": _table(vendor_rows, mine, every=every_vendor),
        "glance": overview.glance(case, vendor_rows, mine),
        "notified": {v.organization: states[o] for o, v in by_id if o in states},
        "notified_ids": states,
        "my_vendors": mine,
        "answerable": answerable,
        "publishers": publishing.publishers(
            db, case, standing, answerable, prefix=settings.advisory_id_prefix
        ),
        "answer_forms": (opened := _answer_forms(answerable, mine, answer, form)),
        # Each answering vendor's purls to pick: the case's packages, then its declared products.
        "declared": _purls(db, case, vendor_rows, [v.organization for v in opened]),
        "chosen_answer": answer,
        "vendor_names": {v.organization: v.name for v in vendor_rows},
        "settings_prefix": settings.advisory_id_prefix,
        "candidates": vendors.candidates(db, case=case)
        if inviting and standing.coordinator
        else [],
        "invitable": vendors.invitable(db, case)
        if inviting and (standing.coordinator or mine)
        else [],
        "hints": reports.duplicate_hints(db, case=case),
        "attachments": views.attachment_list(db, case),
        "threads": shown,
        "focus": focus,
        "read_up_to": read_up_to,
        "newest": max((t.latest_id for t in shown), default=0),
        "unread": sum(t.unread for t in shown),
        "events": history.events(db, case=case, standing=standing, limit=100),
        "event_words": event_words.words,
        "zone": viewer_zone(request, db, actor),
        "show": i18n.when,
        "statuses": list(VendorStatus),
        "justifications": [j.value for j in VexJustification],
        "choices": [(c.value, _choice(c, tr.gettext)) for c in messages.choices(standing, named)],
        "form": form,
        "values": typed,
        "errors": errors or {},
        "close_reasons": closing.REASON_TEXT,
        "inactive": closing.inactive(case, days=settings.disclosure_inactive_days),
        "inactive_days": settings.disclosure_inactive_days,
    }
    context.update(vulnerability_view.context(db, access, named))
    return render(request, "disclosure/case.html", context, status=status)


def _title(thread: threads.Thread, gettext: Callable[[str], str]) -> str:
    """A thread's name, in the viewer's language."""
    if thread.audience is Audience.VENDOR:
        return gettext(N_("%(name)s with the coordinators")) % {"name": thread.vendor_name}
    return gettext(THREAD_TITLES[thread.audience])


def _choice(choice: messages.AudienceChoice, gettext: Callable[[str], str]) -> str:
    """An audience as the message form offers it, in the viewer's language."""
    if choice.vendor_slug:
        return gettext(N_("%(name)s and the coordinators")) % {"name": choice.vendor_name}
    return gettext(AUDIENCE_CHOICES[choice.audience])


AUDIENCE_CHOICES = {
    Audience.ALL: N_("everyone in the case"),
    Audience.REPORTER: N_("the reporter and the coordinators"),
    Audience.VENDORS: N_("every vendor and the coordinators"),
    Audience.COORDINATORS: N_("the coordinators only"),
}

THREAD_TITLES = {
    Audience.ALL: N_("Everyone in the case"),
    Audience.REPORTER: N_("The coordinators with the reporter"),
    Audience.VENDORS: N_("The vendors with the coordinators"),
    Audience.COORDINATORS: N_("The coordinators only"),
}


# Vendor rows the overview's table shows before "show all" (a case may have 200 vendors).
VENDOR_TABLE = 40


def _table(rows: list[VendorRead], mine: list[str], *, every: bool) -> list[VendorRead]:
    """The vendor table's rows: all when asked or few, else the viewer's own first and then
    the others up to ``VENDOR_TABLE`` (the counts above the table cover every vendor)."""
    if every or len(rows) <= VENDOR_TABLE:
        return rows
    own = [v for v in rows if v.organization in mine]
    return own + [v for v in rows if v.organization not in mine][: VENDOR_TABLE - len(own)]


# Answer forms shown at once: a vendor's own few; a coordinator of many vendors opens one.
ANSWER_FORMS = 3


def _purls(
    db: Session, case: Any, rows: list[VendorRead], slugs: list[str]
) -> dict[str, list[PurlOffer]]:
    """For each vendor of ``slugs``: the packages the case names (the report's, then the
    vendors' answers the viewer sees), then the vendor's declared products."""
    declared: dict[str, list[products.Offer]] = {}
    for offer in products.offers(db, slugs=slugs):
        declared.setdefault(offer.slug, []).append(offer)
    named = [(case.purl, case.product)] + [(v.purl, v.name) for v in rows]
    return {slug: purl_offers(named=named, declared=declared.get(slug, [])) for slug in slugs}


def _answer_forms(
    answerable: list[VendorRead], mine: list[str], chosen: str, form: str
) -> list[VendorRead]:
    """The answer forms the page shows: every answerable vendor's when there are few (a
    vendor's own), else the one chosen (or sent back with a mistake)."""
    if len(answerable) <= ANSWER_FORMS:
        return answerable
    wanted = {chosen, form.removeprefix("answer-"), *mine}
    return [v for v in answerable if v.organization in wanted]
