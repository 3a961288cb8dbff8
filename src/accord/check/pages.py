"""The public "Am I affected?" page: paste or upload what you run, read what affects it.

The text or file is read on the hub, in the request, and never stored: it is parsed by the
same readers as ``accord check``, asked of this hub's advisories with the viewer's TLP rights
(the answer of ``/v1/querybatch``), and the page is the only thing that keeps it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from accord.check import services
from accord.check.advice import by_package
from accord.check.findings import Filters, Report
from accord.check.inputs import read_text
from accord.check.interface import Location, Problem, Reading
from accord.check.outputs import OutputFormat, writer
from accord.check.sources.local import LocalSource
from accord.identity.policy import Action, Actor
from accord.registry.routes import PublicIntake
from accord.web.deps import DbSession, guard
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

Public = Annotated[Actor, guard(Action.PUBLIC_READ)]
PASTED_NAME = "requirements.txt"  # pasted text with no file name is read as a requirements file
# The result as a file: the form's value, its media type and file name suffix.
DOWNLOADS: dict[str, tuple[str, str]] = {
    OutputFormat.JSON.value: ("application/json", "json"),
    OutputFormat.SARIF.value: ("application/sarif+json", "sarif"),
    OutputFormat.CSV.value: ("text/csv; charset=utf-8", "csv"),
}
MAX_UPLOAD_TEXT = 1_000_000  # an uploaded file sent back with a download (a form field's limit)


@router.get("/check", response_class=HTMLResponse)
def check_form(request: Request, _: Public) -> HTMLResponse:
    """The form: paste a requirements file, or upload a lock file or an SBOM."""
    return render(request, "check/affected.html", {"text": "", "report": None})


@router.post("/check", response_class=HTMLResponse)
async def check_page(
    request: Request,
    db: DbSession,
    actor: Public,
    _: PublicIntake,
    text: Annotated[str, Form(max_length=1_000_000)] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """Check what was pasted or uploaded against the advisories this viewer may read."""
    upload_input = await _upload_input(upload)
    report = await _report(db, actor, text, upload_input)
    if report is None:
        return _nothing_sent(request, text)
    shown = _decoded(upload_input)
    return render(
        request,
        "check/affected.html",
        {
            "text": text,
            "report": report,
            "advice": by_package(report.findings),
            "upload_name": shown[0] if shown else "",
            "upload_text": shown[1] if shown else "",
            "downloads": DOWNLOADS,
        },
    )


@router.post("/check/download", response_model=None)
async def check_download(
    request: Request,
    db: DbSession,
    actor: Public,
    _: PublicIntake,
    # A missing or unknown format is said beside the choice, the checked text kept.
    output: Annotated[str, Form(alias="format", max_length=10_000)] = "",
    text: Annotated[str, Form(max_length=1_000_000)] = "",
    upload_name: Annotated[str, Form(max_length=255)] = "",
    upload_text: Annotated[str, Form(max_length=MAX_UPLOAD_TEXT)] = "",
) -> Response:
    """The same check, answered as a file: JSON, SARIF 2.1.0 or CSV (the command's writers).

    The page sends back what was checked (the pasted text, the uploaded file's text) in the
    form, so the hub still keeps nothing between the two requests.
    """
    if output not in DOWNLOADS:
        return render(
            request,
            "check/affected.html",
            {"text": text, "report": None, "error_format": output},
            status=422,
        )
    upload_input = (
        (Path(upload_name).name or "upload", upload_text.encode()) if upload_text else None
    )
    report = await _report(db, actor, text, upload_input)
    if report is None:
        return _nothing_sent(request, text)
    body = writer(OutputFormat(output))(report)
    kind, suffix = DOWNLOADS[output]
    return Response(
        body,
        media_type=kind,
        headers={"Content-Disposition": f'attachment; filename="accord-check.{suffix}"'},
    )


async def _report(
    db: Session, actor: Actor, text: str, upload_input: tuple[str, bytes] | None
) -> Report | None:
    # Parsing a large SBOM and the look-ups (which read the database) are CPU and I/O work:
    # in a worker thread, never on the event loop.
    readings = await run_in_threadpool(_readings, text, upload_input)
    if not readings:
        return None
    return await run_in_threadpool(
        services.check, readings=readings, source=LocalSource(db, actor), filters=Filters()
    )


def _nothing_sent(request: Request, text: str) -> HTMLResponse:
    return render(
        request,
        "check/affected.html",
        {"text": text, "report": None, "error": "paste a file or choose one to upload"},
        status=422,
    )


def _decoded(upload: tuple[str, bytes] | None) -> tuple[str, str] | None:
    # The uploaded file's text, for the download buttons to send back (if it is text).
    if upload is None or len(upload[1]) > MAX_UPLOAD_TEXT:
        return None
    try:
        return upload[0], upload[1].decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _readings(text: str, upload: tuple[str, bytes] | None) -> list[Reading]:
    return [*_pasted(text), *_uploaded(upload)]


def _pasted(text: str) -> list[Reading]:
    if not text.strip():
        return []
    return [read_text(text, name=Path(PASTED_NAME), shown="the pasted text", refuse=True)]


async def _upload_input(upload: UploadFile | None) -> tuple[str, bytes] | None:
    if upload is None or not upload.filename:
        return None
    return Path(upload.filename).name or "upload", await upload.read()


def _uploaded(upload: tuple[str, bytes] | None) -> list[Reading]:
    if upload is None:
        return []
    name, raw = upload
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        return [Reading(kind="?", file=name, errors=[Problem(Location(name), problem)])]
    return [read_text(content, name=Path(name), shown=name, refuse=True)]
