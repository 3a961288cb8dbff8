"""The operators' page of warninglists: the defaults and loaded lists, load, turn off, remove."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.errors import AccordError
from accord.identity.policy import Action, Actor
from accord.sharing import warninglists
from accord.web.deps import DbSession, guard
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
HubOperate = Annotated[Actor, guard(Action.HUB_OPERATE)]
PATH = "/admin/sharing/warninglists"
# A list of a million entries in MISP's JSON is some 20 MB; the form takes the same bound.
MAX_DOCUMENT = 32 * 1024 * 1024


@router.get(PATH, response_class=HTMLResponse)
def page(request: Request, db: DbSession, actor: HubOperate) -> HTMLResponse:
    """Every warninglist, and the form to load one."""
    return _page(request, db, document="", error=None, status=200)


@router.post(PATH, response_class=HTMLResponse, response_model=None)
def load(
    request: Request,
    db: DbSession,
    actor: HubOperate,
    document: Annotated[str, Form(max_length=MAX_DOCUMENT)] = "",
) -> Response:
    """Load a list pasted in MISP's JSON; a list of the same name is replaced."""
    try:
        parsed = warninglists.read_file(document.encode(), source="document")
        warninglists.load(db, actor=actor, parsed=parsed)
    except AccordError as exc:
        db.rollback()
        # A long document is not sent back whole: the error says what to mend.
        kept = document if len(document) <= 200_000 else ""
        return _page(request, db, document=kept, error=exc.message, status=422)
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/{warninglist}/enable", response_model=None)
def enable(warninglist: str, db: DbSession, actor: HubOperate) -> Response:
    """Turn a list back on."""
    warninglists.set_enabled(db, actor=actor, name=warninglist, enabled=True)
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/{warninglist}/disable", response_model=None)
def disable(warninglist: str, db: DbSession, actor: HubOperate) -> Response:
    """Turn a list off, keeping it."""
    warninglists.set_enabled(db, actor=actor, name=warninglist, enabled=False)
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/{warninglist}/remove", response_model=None)
def remove(warninglist: str, db: DbSession, actor: HubOperate) -> Response:
    """Remove a loaded list (a default it replaced comes back)."""
    warninglists.remove(db, actor=actor, name=warninglist)
    return RedirectResponse(PATH, status_code=303)


def _page(
    request: Request, db: DbSession, *, document: str, error: str | None, status: int
) -> HTMLResponse:
    return render(
        request,
        "sharing/warninglists.html",
        {"lists": warninglists.listing(db), "document": document, "error": error, "path": PATH},
        status=status,
    )
