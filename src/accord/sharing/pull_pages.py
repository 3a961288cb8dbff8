"""The operators' pulls page: the remotes the hub pulls from, each with its last pull and last
error, "Pull now" and "Remove", and the form to add one.

As for a push target, what the hub cannot list is typed (the remote's API root and
credentials; the token is kept as the command line keeps it, ``remotes.py``, and never shown
again); the remote's own list of the collections it lets this hub read is then offered to
choose from, and only when the remote cannot be reached to list them is the id typed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import AccordError, say
from accord.identity.models import Organization, User
from accord.identity.policy import Action, Actor
from accord.jobs.models import Job
from accord.sharing import federation, remotes
from accord.sharing.federation_pages import PATH as FEDERATION
from accord.sharing.federation_pages import address_problem, minutes
from accord.sharing.models import Collection, Remote
from accord.sharing.pull_handlers import PULL_KIND, queue_pull
from accord.web import i18n
from accord.web.deps import DbSession, SettingsDep, guard
from accord.web.forms import all_beside, error_beside
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
HubOperate = Annotated[Actor, guard(Action.HUB_OPERATE)]
PATH = FEDERATION + "/pull"
_FIELDS = ("name", "api_root", "username", "collection", "organization", "every_minutes")


@router.get(PATH, response_class=HTMLResponse)
def page(request: Request, db: DbSession, actor: HubOperate) -> HTMLResponse:
    """The remotes with their last pull and error, recent pulls, and the form to add one."""
    return _page(request, db, values={}, errors={}, status=200)


@router.post(PATH, response_class=HTMLResponse, response_model=None)
def add_remote(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: HubOperate,
    name: Annotated[str, Form(max_length=64)] = "",
    api_root: Annotated[str, Form(max_length=500)] = "",
    username: Annotated[str, Form(max_length=200)] = "",
    token: Annotated[str, Form(max_length=4000)] = "",
    collection: Annotated[str, Form(max_length=64)] = "",
    organization: Annotated[str, Form(max_length=64)] = "",
    every_minutes: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Add (or change) a remote, then choose the remote's collection."""
    values = dict(zip(_FIELDS, (name, api_root, username, collection, organization,
                                every_minutes), strict=True))  # fmt: skip
    every, every_problem = minutes(every_minutes)
    # The address's name is resolved before anything is read: no transaction open meanwhile.
    address = address_problem(api_root, settings)
    known = db.scalar(select(Remote).where(Remote.name == name.strip()))
    spec = federation.RemoteSpec(
        name=name.strip(), api_root=api_root.strip(), local_collection=collection,
        remote_collection=_kept_collection(known, api_root.strip()), organization=organization,
        username=username.strip() or None, every_minutes=every,
        peer_username=_peer_of(db, known),
    )  # fmt: skip
    gettext = i18n.viewer_of(request).translations.gettext
    found: dict[str, object] = {**remotes.problems(db, spec)}
    if address is not None:
        found["api_root"] = address
    if every_problem is not None:
        found["every_minutes"] = every_problem
    if found:
        return _page(request, db, values=values, errors=all_beside(found, gettext), status=422)
    try:
        remote = federation.configure_remote(db, spec=spec, actor=actor)
    except AccordError as exc:
        db.rollback()
        errors = error_beside(exc, default="name", fields=_FIELDS, gettext=gettext)
        return _page(request, db, values=values, errors=errors, status=422)
    if token:  # kept once the remote is: a change that rolls back keeps the old token
        remotes.keep_token_on_commit(db, settings, remote.name, token)
    return RedirectResponse(f"{PATH}/{remote.name}", status_code=303)


def _kept_collection(known: Remote | None, api_root: str) -> str | None:
    # Changing a remote at the same address keeps its collection; another address, another list.
    if known is None or known.api_root.rstrip("/") != api_root.rstrip("/"):
        return None
    return known.remote_collection


def _peer_of(db: Session, known: Remote | None) -> str | None:
    # The local account the remote reads with is set by command (--peer); the page keeps it.
    if known is None or known.peer_user_id is None:
        return None
    peer = db.get(User, known.peer_user_id)
    return peer.username if peer is not None else None


@router.get(PATH + "/{remote}", response_class=HTMLResponse)
def remote_page(
    request: Request, remote: str, db: DbSession, settings: SettingsDep, actor: HubOperate
) -> HTMLResponse:
    """One remote: its collections this hub may read, to choose from."""
    found = remotes.get_remote(db, remote)
    db.commit()  # no transaction open while the remote answers (see ``choose``)
    return _remote_page(request, settings, found, typed=None, error=None, status=200)


@router.post(PATH + "/{remote}/collection", response_class=HTMLResponse, response_model=None)
def choose(
    request: Request,
    remote: str,
    db: DbSession,
    settings: SettingsDep,
    actor: HubOperate,
    remote_collection: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Set the remote's collection from those it offers (typed when it cannot be asked)."""
    found = remotes.get_remote(db, remote)
    # Nothing is written yet: the read is committed so that no transaction is open while the
    # remote lists its collections (on SQLite it would hold the hub's one writer, on
    # PostgreSQL a pooled connection, for as long as the remote takes). The remote is read
    # again in the transaction that writes: it may have changed meanwhile.
    db.commit()
    offered, _ = _offered(found, settings)
    db.expire_all()
    found = remotes.get_remote(db, remote)
    try:
        listed = None if offered is None else [cid for cid, _ in offered]
        remotes.choose_collection(db, remote=found, remote_collection=remote_collection,
                                  offered=listed, actor=actor)  # fmt: skip
        if found.every_minutes:  # a scheduled remote starts now, then keeps its interval
            queue_pull(db, remote=found, settings=settings, at=utcnow())
    except AccordError as exc:
        db.rollback()
        said = say(exc.message, i18n.viewer_of(request).translations.gettext)
        found = remotes.get_remote(db, remote)
        db.commit()  # the page asks the remote again: no transaction open meanwhile
        return _remote_page(
            request, settings, found, typed=remote_collection, error=said, status=422
        )
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/{remote}/now", response_model=None)
def pull_now(remote: str, db: DbSession, settings: SettingsDep, actor: HubOperate) -> Response:
    """Queue a pull at once (a queued scheduled one is brought forward)."""
    found = remotes.get_remote(db, remote)
    queue_pull(db, remote=found, settings=settings, at=utcnow())
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/{remote}/remove", response_model=None)
def remove(remote: str, db: DbSession, settings: SettingsDep, actor: HubOperate) -> Response:
    """Forget a remote and its token; what it brought stays."""
    found = remotes.get_remote(db, remote)
    remotes.remove(db, remote=found, settings=settings, actor=actor)
    return RedirectResponse(PATH, status_code=303)


def _offered(remote: Remote, settings: Settings) -> tuple[list[tuple[str, str]] | None, str | None]:
    """The remote's readable collections, or None and why they could not be listed."""
    address = address_problem(remote.api_root, settings)
    if address is not None:
        return None, address
    try:
        with remotes.http_client(remote, settings=settings) as client:
            return remotes.listed_collections(client, remote.api_root, right="can_read"), None
    except AccordError as exc:
        return None, exc.message


def _remote_page(
    request: Request,
    settings: Settings,
    remote: Remote,
    *,
    typed: str | None,
    error: str | None,
    status: int,
) -> HTMLResponse:
    offered, problem = _offered(remote, settings)
    # Why the list is missing, in the viewer's language (a catalog entry or a Message).
    said = None if problem is None else say(problem, i18n.viewer_of(request).translations.gettext)
    context = {"remote": remote, "offered": offered, "problem": said, "error": error,
               "typed": remote.remote_collection if typed is None else typed,
               "path": PATH, "federation": FEDERATION}  # fmt: skip
    return render(request, "sharing/pull_remote.html", context, status=status)


def _page(
    request: Request, db: Session, *, values: dict[str, Any], errors: dict[str, str], status: int
) -> HTMLResponse:
    collections = {c.id: c for c in db.scalars(select(Collection).order_by(Collection.title))}
    orgs = {o.id: o for o in db.scalars(select(Organization).order_by(Organization.name))}
    jobs = db.scalars(
        select(Job).where(Job.kind == PULL_KIND).order_by(Job.id.desc()).limit(20)
    ).all()
    context = {"remotes": db.scalars(select(Remote).order_by(Remote.name)).all(),
               "jobs": jobs, "collections": collections, "orgs": orgs, "values": values,
               "errors": errors, "path": PATH, "federation": FEDERATION,
               "kind": PULL_KIND}  # fmt: skip
    return render(request, "sharing/pull.html", context, status=status)
