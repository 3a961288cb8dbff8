"""The operators' federation page: the remotes pulled from and the peers pushed to.

A push target is configured in two steps: what the hub cannot list is typed (the peer's API
root and credentials); then the peer's own list of collections it lets this hub write to is
offered to choose from. The token is never shown again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import outbound
from accord.clock import utcnow
from accord.config import Settings
from accord.errors import AccordError, say
from accord.identity.models import Organization
from accord.identity.policy import Action, Actor
from accord.jobs.models import Job
from accord.sharing import push
from accord.sharing.models import Collection, PushTarget, Remote
from accord.sharing.push_handlers import PUSH_KIND, queue_push
from accord.web import i18n
from accord.web.deps import DbSession, SettingsDep, guard
from accord.web.forms import all_beside, error_beside
from accord.web.i18n import N_
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
HubOperate = Annotated[Actor, guard(Action.HUB_OPERATE)]
PATH = "/admin/sharing/federation"
_FIELDS = ("name", "api_root", "username", "collection", "organization", "max_tlp",
           "every_minutes")  # fmt: skip


@router.get(PATH, response_class=HTMLResponse)
def page(request: Request, db: DbSession, actor: HubOperate) -> HTMLResponse:
    """Remotes, push targets with their jobs, and the form to add a push target."""
    return _page(request, db, values={"max_tlp": "green"}, errors={}, status=200)


@router.post(PATH, response_class=HTMLResponse, response_model=None)
def add_target(
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
    max_tlp: Annotated[str, Form(max_length=16)] = "green",
    every_minutes: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Add (or change) a push target, then choose the peer's collection."""
    values = dict(zip(_FIELDS, (name, api_root, username, collection, organization, max_tlp,
                                every_minutes), strict=True))  # fmt: skip
    every, every_problem = minutes(every_minutes)
    # The address's name is resolved before anything is read: no transaction open meanwhile.
    address = address_problem(api_root, settings)
    spec = push.PushSpec(name=name.strip(), api_root=api_root.strip(),
                         local_collection=collection, organization=organization,
                         max_tlp=max_tlp, username=username.strip() or None,
                         token=token or None, every_minutes=every)  # fmt: skip
    gettext = i18n.viewer_of(request).translations.gettext
    # Every field's problem at once, each beside its field.
    found: dict[str, object] = {**push.problems(db, spec)}
    if address is not None:
        found["api_root"] = address
    if every_problem is not None:
        found["every_minutes"] = every_problem
    if found:
        return _page(request, db, values=values, errors=all_beside(found, gettext), status=422)
    try:
        push.configure(db, spec=spec, settings=settings, actor=actor)
    except AccordError as exc:
        db.rollback()
        # The services' messages are catalog entries (N_): shown in the viewer's language.
        errors = error_beside(exc, default="name", gettext=gettext)
        return _page(request, db, values=values, errors=errors, status=422)
    return RedirectResponse(f"{PATH}/push/{spec.name}", status_code=303)


@router.get(PATH + "/push/{target}", response_class=HTMLResponse)
def target_page(
    request: Request, target: str, db: DbSession, settings: SettingsDep, actor: HubOperate
) -> HTMLResponse:
    """One push target: the peer's writable collections to choose from."""
    found = push.get_target(db, target)
    db.commit()  # no transaction open while the peer answers (see ``choose``)
    return _target_page(request, db, settings, found, error=None, status=200)


@router.post(PATH + "/push/{target}/collection", response_class=HTMLResponse, response_model=None)
def choose(
    request: Request,
    target: str,
    db: DbSession,
    settings: SettingsDep,
    actor: HubOperate,
    remote_collection: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Set the peer's collection from those the peer offers."""
    found = push.get_target(db, target)
    # Nothing is written yet: the read is committed so that no transaction is open while the
    # peer lists its collections (on SQLite it would hold the hub's one writer, on PostgreSQL
    # a pooled connection, for as long as the peer takes). The target is read again in the
    # transaction that writes: it may have changed meanwhile.
    db.commit()
    try:
        offered = [cid for cid, _ in _offered(found, settings)]
        db.expire_all()
        found = push.get_target(db, target)
        push.choose_remote_collection(db, target=found, remote_collection=remote_collection,
                                      offered=offered, actor=actor)  # fmt: skip
        if found.every_minutes:  # a scheduled target starts now, then keeps its interval
            queue_push(db, target=found, settings=settings, at=utcnow())
    except AccordError as exc:
        db.rollback()
        said = say(exc.message, i18n.viewer_of(request).translations.gettext)
        found = push.get_target(db, target)
        db.commit()  # the page asks the peer again: no transaction open meanwhile
        return _target_page(request, db, settings, found, error=said, status=422)
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/push/{target}/now", response_model=None)
def push_now(target: str, db: DbSession, settings: SettingsDep, actor: HubOperate) -> Response:
    """Queue a push at once (a queued scheduled one is brought forward)."""
    found = push.get_target(db, target)
    queue_push(db, target=found, settings=settings, at=utcnow())
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/push/{target}/remove", response_model=None)
def remove(target: str, db: DbSession, actor: HubOperate) -> Response:
    """Forget a push target and its token."""
    push.remove(db, target=push.get_target(db, target), actor=actor)
    return RedirectResponse(PATH, status_code=303)


def minutes(text: str) -> tuple[int | None, str | None]:
    """An interval typed in minutes, or None when empty; else the problem with what was typed."""
    if not text.strip():
        return None, None
    if not text.strip().isdigit():
        return None, N_("a whole number of minutes, or empty to run only when asked")
    return int(text), None


# Why the peer's address is refused, by the outbound check's code, as the page says it (the
# check's own message is English, written for logs); a code missing here shows that message.
_REFUSED = {
    "bad_url": N_(
        "The peer's API root must be a web address starting with https:// or http://, "
        "without a user name or password."
    ),
    "unreachable": N_("The peer's host name does not resolve."),
    "internal_address": N_("The peer's address is not a public one."),
}


def address_problem(url: str, settings: Settings) -> str | None:
    """Why the hub would not reach a peer at ``url`` (the outbound rules), or None."""
    try:
        outbound.check_url(url.strip(), settings=settings, schemes=("https", "http"))
    except outbound.Refused as exc:
        return _REFUSED.get(exc.code, exc.message)
    return None


def _offered(target: PushTarget, settings: Settings) -> list[tuple[str, str]]:
    with push.client_for(target, settings=settings,
                         transport=outbound.transport(settings)) as client:  # fmt: skip
        return push.writable_collections(client, target)


def _target_page(
    request: Request,
    db: Session,
    settings: Settings,
    target: PushTarget,
    *,
    error: str | None,
    status: int,
) -> HTMLResponse:
    offered: list[tuple[str, str]] = []
    problem = None
    try:
        offered = _offered(target, settings)
    except AccordError as exc:
        problem = say(exc.message, i18n.viewer_of(request).translations.gettext)
    return render(
        request,
        "sharing/push_target.html",
        {"target": target, "offered": offered, "problem": problem, "error": error, "path": PATH},
        status=status,
    )


def _page(
    request: Request, db: Session, *, values: dict[str, Any], errors: dict[str, str], status: int
) -> HTMLResponse:
    collections = {c.id: c for c in db.scalars(select(Collection).order_by(Collection.title))}
    orgs = {o.id: o for o in db.scalars(select(Organization).order_by(Organization.name))}
    targets = db.scalars(select(PushTarget).order_by(PushTarget.name)).all()
    jobs = db.scalars(
        select(Job).where(Job.kind == PUSH_KIND).order_by(Job.id.desc()).limit(20)
    ).all()
    return render(
        request,
        "sharing/federation.html",
        {
            "remotes": db.scalars(select(Remote).order_by(Remote.name)).all(),
            "targets": targets,
            "jobs": jobs,
            "collections": collections,
            "orgs": orgs,
            "ceilings": push.CEILINGS,
            "values": values,
            "errors": errors,
            "path": PATH,
            "kind": PUSH_KIND,
        },
        status=status,
    )
