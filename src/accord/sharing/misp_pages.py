"""The MISP import page: upload an event's JSON, choose one of the collections you may write
to, and read what was stored, or each item's problem beside the form with nothing stored
(``misp.py`` checks the whole event before writing; the request's transaction is rolled back
on any refusal)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import limits
from accord.clock import utcnow
from accord.errors import AccordError, Forbidden, InvalidInput, Message, NotFound, say
from accord.identity.policy import Action, Actor
from accord.sharing import manage, misp
from accord.sharing.models import Collection
from accord.sharing.readers import all_rights
from accord.web import i18n
from accord.web.deps import DbSession, SettingsDep, guard
from accord.web.i18n import N_
from accord.web.rendering import render
from accord.web.security import verify_csrf

# The largest event file the page takes (typical MISP exports are a few MiB); the request may
# be a little larger (the form around the file), so that a file over it is named beside the
# field rather than cut off. ``web/app.py`` gives the path this body limit.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_BODY_BYTES = MAX_FILE_BYTES + 64 * 1024

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Writing = Annotated[Actor, guard(Action.SHARING_WRITE)]
PATH = "/sharing/import"


@router.get(PATH, response_class=HTMLResponse)
def page(request: Request, db: DbSession, settings: SettingsDep, actor: Writing) -> HTMLResponse:
    """The form: a file and a collection from those the viewer may write to."""
    return _page(request, db, _largest(settings.max_request_bytes), actor, {}, status=200)


@router.post(PATH, response_class=HTMLResponse)
def upload(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    collection: Annotated[str, Form(max_length=64)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """Import the uploaded event whole, or say what is wrong with each item."""
    chosen: dict[str, Any] = {"collection": collection}
    try:
        if file is None or not file.filename:
            raise InvalidInput(N_("choose a MISP event file (JSON)"), field="file")
        largest = _largest(settings.max_request_bytes)
        data = file.file.read(largest + 1)
        if len(data) > largest:
            raise InvalidInput(
                N_("the file is larger than this page takes: split the event, or import it "
                   "with accord sharing import-misp on the server"),
                field="file",
            )  # fmt: skip
        document = _read(data)
        imported = misp.import_event(
            db, actor=actor, collection_id=collection, document=document, now=utcnow()
        )
    except AccordError as exc:
        db.rollback()  # nothing of the file is kept
        # Each problem in the viewer's language: the item and its value as found in the file.
        gettext = i18n.viewer_of(request).translations.gettext
        found = exc.problems if isinstance(exc, misp.MispInvalid) else [exc.message]
        problems = [say(problem, gettext) for problem in found]
        field = exc.field if exc.field in ("collection", "file") else "file"
        if isinstance(exc, Forbidden | NotFound):
            field = "collection"
        chosen |= {"field": field, "problems": problems[: misp.MAX_ERRORS_SHOWN],
                   "more": max(len(problems) - misp.MAX_ERRORS_SHOWN, 0)}  # fmt: skip
        return _page(request, db, _largest(settings.max_request_bytes), actor, chosen, status=422)
    # Each notice (a tag kept as a free label) in the viewer's language.
    gettext = i18n.viewer_of(request).translations.gettext
    said = tuple(say(notice, gettext) for notice in imported.notices)
    chosen["imported"] = dataclasses.replace(imported, notices=said)
    return _page(request, db, _largest(settings.max_request_bytes), actor, chosen, status=200)


def _largest(max_request_bytes: int) -> int:
    """The largest file the page takes: its own limit, or the hub's if an operator set more."""
    return max(MAX_FILE_BYTES, max_request_bytes)


def _read(data: bytes) -> object:
    try:
        return limits.load_json(data, what="the file", field="file")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            Message(N_("the file is not JSON (%(detail)s)"), detail=str(exc)[:200]), field="file"
        ) from None


def _page(
    request: Request,
    db: Session,
    max_bytes: int,
    actor: Actor,
    outcome: dict[str, Any],
    *,
    status: int,
) -> HTMLResponse:
    collections = db.scalars(select(Collection).order_by(Collection.title)).all()
    rights = all_rights(db, actor, collections)
    writable = [c for c in collections if rights[c.id].can_write]
    return render(
        request,
        "sharing/misp_import.html",
        {
            "collections": writable,
            # With none to write to, the page says the way on: create one, or ask an admin.
            "may_create": not writable and bool(manage.admin_orgs(db, actor)),
            "outcome": outcome,
            "max_bytes": max_bytes,
            "path": PATH,
        },
        status=status,
    )
