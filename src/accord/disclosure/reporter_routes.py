"""The reporter's side of the disclosure API: reporting, and following a report by its link.

Reporters need no account: they report, then follow the report by sending the private token
they were shown in the ``X-Accord-Report-Token`` header. The cases' side (participants with
accounts) is in :mod:`accord.disclosure.routes`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.disclosure import (
    attachments,
    history,
    messages,
    reports,
    views,
)
from accord.disclosure.models import DisclosureCase
from accord.disclosure.schemas import (
    AttachmentRead,
    EventProof,
    EventRead,
    MessagePage,
    MessageRead,
    ReportCreate,
    ReporterAttachments,
    ReporterMessageCreate,
    ReporterView,
    ReportReceipt,
)
from accord.i18n import negotiated_language
from accord.identity.policy import REPORTER, Action, Actor
from accord.limits import DbInt
from accord.transparency.batching import Publications
from accord.web.deps import DbSession, Limiter, SettingsDep, client_ip, guard

router = APIRouter(prefix="/disclosure", tags=["disclosure"])

Reporting = Annotated[Actor, guard(Action.DISCLOSURE_REPORT)]
Following = Annotated[Actor, guard(Action.DISCLOSURE_FOLLOW)]
Reading = Annotated[Actor, guard(Action.DISCLOSURE_READ)]
Writing = Annotated[Actor, guard(Action.DISCLOSURE_WRITE)]
CaseId = Annotated[str, Path(max_length=64)]
Slug = Annotated[str, Path(max_length=64)]
TOKEN_HEADER = "X-Accord-Report-Token"  # noqa: S105 (a header name)
REPORT_WINDOW_SECONDS = 3600


def limit_reports(request: Request, limiter: Limiter, settings: SettingsDep) -> None:
    """Count one report from this client address; 429 once over the hourly limit."""
    limiter.check(
        f"disclosure.report:{client_ip(request)}",
        limit=settings.public_form_per_hour,
        window_seconds=REPORT_WINDOW_SECONDS,
    )


ReportIntake = Annotated[None, Depends(limit_reports)]


def report_link(settings: Settings, token: str) -> str:
    """The reporter's private page (the token rides in the query string, which the access
    log never records)."""
    return f"{settings.public_url}/disclosure/follow?token={token}"


# -- reporting -------------------------------------------------------------------------------


@router.post("/reports", response_model=ReportReceipt, status_code=201)
def report(
    _: ReportIntake,
    data: ReportCreate,
    db: DbSession,
    settings: SettingsDep,
    limiter: Limiter,
    __: Reporting,
    accept_language: Annotated[str, Header(max_length=500)] = "",
) -> ReportReceipt:
    """Report a vulnerability; no account needed. The answer holds the private link, once.

    The reporter is written to in the hub's language their ``Accept-Language`` prefers
    (kept as the report's ``language``), else English."""
    uploads = [attachments.Upload(a.filename, a.content_type, a.data()) for a in data.attachments]
    language = negotiated_language(accept_language)
    received = reports.submit(
        db, data=data, uploads=uploads, settings=settings, limiter=limiter, language=language
    )
    return ReportReceipt(
        id=received.case.public_id,
        status=received.case.status,
        token=received.token,
        link=report_link(settings, received.token),
    )


def reporter_case(
    db: DbSession, token: Annotated[str, Header(alias=TOKEN_HEADER, max_length=100)] = ""
) -> DisclosureCase:
    """The report the private token opens."""
    return reports.by_token(db, token)


ReporterCase = Annotated[DisclosureCase, Depends(reporter_case)]


@router.get("/report", response_model=ReporterView)
def reporter_view(case: ReporterCase, db: DbSession, _: Following) -> ReporterView:
    """The report as its reporter follows it."""
    return views.reporter_view(db, case)


@router.get("/report/messages", response_model=MessagePage)
def reporter_messages(
    case: ReporterCase,
    db: DbSession,
    _: Following,
    before: Annotated[DbInt | None, Query(ge=1)] = None,
) -> MessagePage:
    """Messages addressed to everyone or to the reporter."""
    rows, more = messages.page(db, case=case, standing=REPORTER, before=before)
    return MessagePage(messages=views.message_reads(db, rows), unread=0, next_before=more)


@router.post("/report/messages", response_model=MessageRead, status_code=201)
def reporter_post(
    data: ReporterMessageCreate,
    request: Request,
    settings: SettingsDep,
    _: Following,
    token: Annotated[str, Header(alias=TOKEN_HEADER, max_length=100)] = "",
) -> MessageRead:
    """Answer a question or add something, as the reporter."""

    # The link's case is looked up in the work rather than by ``ReporterCase``: on SQLite a
    # writing session takes the one write turn at its first statement, and the dependency's
    # own thread hop held it while the loop, busy under load, came back to run the route.
    def post(db: Session) -> MessageRead:
        case = reporter_case(db, token)
        message = messages.post_as_reporter(db, settings=settings, case=case, data=data)
        return views.message_reads(db, [message])[0]

    # A message is a publication through the log: posts arriving together share a commit,
    # each answered once the commit that holds its entry is done (transparency.batching).
    publications: Publications = request.app.state.publications
    return publications.run(post)


@router.get("/report/history", response_model=list[EventRead])
def reporter_history(case: ReporterCase, db: DbSession, _: Following) -> list[EventRead]:
    """The report's history as the reporter may see it."""
    return views.event_reads(history.events(db, case=case, standing=REPORTER))


@router.get("/report/history/{seq}", response_model=EventProof)
def reporter_proof(
    seq: Annotated[DbInt, Path(ge=1)],
    case: ReporterCase,
    db: DbSession,
    settings: SettingsDep,
    _: Following,
) -> dict[str, Any]:
    """An event's document and the transparency-log bundle that proves it."""
    return history.proof(db, case=case, standing=REPORTER, seq=seq, settings=settings)


@router.post("/report/attachments", response_model=list[AttachmentRead], status_code=201)
def reporter_add_attachments(
    data: ReporterAttachments,
    case: ReporterCase,
    db: DbSession,
    settings: SettingsDep,
    _: Following,
) -> list[AttachmentRead]:
    """Add files after sending (same types and sizes as the report's; at most five in all)."""
    uploads = [attachments.Upload(a.filename, a.content_type, a.data()) for a in data.attachments]
    added = attachments.add_later(db, settings=settings, case=case, uploads=uploads)
    return [
        AttachmentRead(
            id=a.id, filename=a.filename, content_type=a.content_type, size=a.size, sha256=a.sha256
        )
        for a in added
    ]


@router.get("/report/attachments/{attachment_id}", response_class=Response)
def reporter_attachment(
    attachment_id: Annotated[DbInt, Path(ge=1)], case: ReporterCase, db: DbSession, _: Following
) -> Response:
    """One of the report's attachments, as a download."""
    return attachments.download(attachments.get(db, case=case, attachment_id=attachment_id))
