"""Threat sharing in the browser: creating collections and sharing groups, granting access,
an object's own page, and reporting a sighting from it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from accord.clock import utcnow
from accord.errors import N_, AccordError
from accord.identity.policy import Action, Actor
from accord.identity.services import get_org
from accord.sharing import groups, manage, objects, services
from accord.sharing.readers import reader_for
from accord.sharing.schemas import CollectionCreate, GrantSet, GroupCreate
from accord.sharing.tlp import Tlp
from accord.web.deps import DbSession, guard
from accord.web.forms import error_beside, field_errors
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Reading = Annotated[Actor, guard(Action.SHARING_READ)]
Writing = Annotated[Actor, guard(Action.SHARING_WRITE)]
Text = Annotated[str, Form(max_length=5000)]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _collection_form(
    request: Request,
    db: DbSession,
    actor: Actor,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "sharing/collection_new.html",
        {
            "orgs": manage.admin_orgs(db, actor),
            "levels": list(Tlp),
            "values": values,
            "errors": errors,
        },
        status=status,
    )


@router.get("/sharing/collections/new", response_class=HTMLResponse)
def new_collection_page(request: Request, db: DbSession, actor: Writing) -> HTMLResponse:
    """The form to create a collection for an organization one administers."""
    return _collection_form(request, db, actor, {"default_tlp": "amber"}, {})


@router.post("/sharing/collections/new", response_model=None)
def create_collection(
    request: Request,
    db: DbSession,
    actor: Writing,
    org: Annotated[str, Form(max_length=64)] = "",
    # Longer than allowed, so that the form's own checks say it beside the field.
    title: Annotated[str, Form(max_length=10_000)] = "",
    alias: Annotated[str, Form(max_length=10_000)] = "",
    description: Text = "",
    default_tlp: Annotated[str, Form(max_length=10_000)] = "amber",
    public_read: Annotated[bool, Form()] = False,
    community_read: Annotated[bool, Form()] = False,
) -> Response:
    """Create the collection and open it; a mistake re-renders the form beside its field."""
    values = {
        "org": org,
        "title": title,
        "alias": alias,
        "description": description,
        "default_tlp": default_tlp,
        "public_read": "1" if public_read else "",
        "community_read": "1" if community_read else "",
    }
    try:
        data = CollectionCreate(
            title=title,
            alias=alias or None,
            description=description,
            default_tlp=default_tlp,
            public_read=public_read,
            community_read=community_read,
        )
    except ValidationError as exc:
        return _collection_form(request, db, actor, values, field_errors(exc), 422)
    if not org:
        return _collection_form(
            request, db, actor, values, {"org": N_("choose the organization that owns it")}, 422
        )
    try:
        collection = services.create_collection(db, org=get_org(db, org), data=data, actor=actor)
    except AccordError as exc:
        if exc.status_code in (401, 403):
            raise
        errors = error_beside(exc, fields=values, default="org")
        return _collection_form(request, db, actor, values, errors, 422)
    return _see_other(f"/sharing/collections/{collection.uuid}")


def _access_page(
    request: Request,
    db: DbSession,
    actor: Actor,
    collection_id: str,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    collection, _ = services.collection_for(db, actor, collection_id)
    context = {
        "collection": collection,
        "grants": manage.grants(db, collection=collection, actor=actor),
        "orgs": manage.all_orgs(db),
        "groups": manage.groups_for(db, actor),
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "sharing/collection_access.html", context, status=status)


@router.get("/sharing/collections/{collection_id}/access", response_class=HTMLResponse)
def access_page(
    collection_id: str, request: Request, db: DbSession, actor: Writing
) -> HTMLResponse:
    """Who may read and write a collection, and the form to grant more (owner's admins)."""
    return _access_page(request, db, actor, collection_id)


@router.post("/sharing/collections/{collection_id}/access", response_model=None)
def grant_access(
    collection_id: str,
    request: Request,
    db: DbSession,
    actor: Writing,
    grantee: Annotated[str, Form(max_length=100)] = "",
    access: Annotated[str, Form(max_length=10)] = "read",
) -> Response:
    """Grant an organization (``org:slug``) or a group (``group:id``) read or read-write."""
    collection, _ = services.collection_for(db, actor, collection_id)
    kind, _, key = grantee.partition(":")
    values = {"grantee": grantee, "access": access}
    if kind not in ("org", "group") or not key or access not in ("read", "write"):
        errors = {"grantee": N_("choose an organization or a sharing group")}
        return _access_page(request, db, actor, collection_id, errors, values, 422)
    data = GrantSet(
        organization=key if kind == "org" else None,
        group=key if kind == "group" else None,
        can_read=True,
        can_write=access == "write",
    )
    try:
        services.set_grant(db, collection=collection, data=data, actor=actor)
    except AccordError as exc:
        if exc.status_code == 403:
            raise
        errors = {"grantee": exc.message}
        return _access_page(request, db, actor, collection_id, errors, values, 422)
    return _see_other(f"/sharing/collections/{collection.uuid}/access")


def _groups_page(
    request: Request,
    db: DbSession,
    actor: Actor,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    chosen_members: Sequence[str] = (),
) -> HTMLResponse:
    context = {
        "groups": manage.groups_for(db, actor),
        "orgs": manage.admin_orgs(db, actor),
        "all_orgs": manage.all_orgs(db),
        "errors": errors or {},
        "values": values or {},
        "chosen_members": set(chosen_members),
    }
    return render(request, "sharing/groups.html", context, status=status)


@router.get("/sharing/groups", response_class=HTMLResponse)
def groups_page(request: Request, db: DbSession, actor: Writing) -> HTMLResponse:
    """The sharing groups of one's organizations, and the form to create one."""
    return _groups_page(request, db, actor)


@router.post("/sharing/groups", response_model=None)
def create_group(
    request: Request,
    db: DbSession,
    actor: Writing,
    org: Annotated[str, Form(max_length=64)] = "",
    # Longer than allowed, so that GroupCreate says it beside the field.
    name: Annotated[str, Form(max_length=10_000)] = "",
    description: Text = "",
    # One checkbox per organization, each sending its slug: a person picks names from the
    # hub's list and never types a slug. GroupCreate checks each one and how many there are.
    members: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Create a sharing group owned by one of one's organizations, with the members ticked."""
    values = {"org": org, "name": name, "description": description}
    slugs = sorted({s.strip() for s in members or () if s.strip()})

    def again(errors: dict[str, str]) -> HTMLResponse:
        return _groups_page(request, db, actor, errors, values, 422, chosen_members=slugs)

    try:
        data = GroupCreate(name=name, description=description, members=slugs)
    except ValidationError as exc:
        return again(field_errors(exc))
    if not org:
        return again({"org": N_("choose the owner")})
    try:
        groups.create_group(db, org=get_org(db, org), data=data, actor=actor)
    except AccordError as exc:
        if exc.status_code == 403:
            raise
        return again({"members" if exc.field == "slug" else (exc.field or "org"): exc.message})
    return _see_other("/sharing/groups")


@router.post("/sharing/groups/{group_id}/members", response_model=None)
def add_group_member(
    group_id: str,
    request: Request,
    db: DbSession,
    actor: Writing,
    organization: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Add an organization to a sharing group (its owner's admins)."""
    group = groups.get_group(db, group_id)
    try:
        manage.add_member(db, group=group, slug=organization, actor=actor)
    except AccordError as exc:
        if exc.status_code == 403:
            raise
        errors = {f"member-{group.uuid}": exc.message}
        return _groups_page(request, db, actor, errors, {}, 422)
    return _see_other("/sharing/groups")


def _object_page(
    request: Request,
    db: DbSession,
    actor: Actor,
    collection_id: str,
    stix_id: str,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    reported: str | None = None,
) -> HTMLResponse:
    view = objects.object_view(
        db,
        actor=actor,
        reader=reader_for(db, actor),
        collection_id=collection_id,
        stix_id=stix_id,
    )
    context = {
        "view": view,
        "levels": list(Tlp),
        "errors": errors or {},
        "values": values or {"count": "1", "into": view.collection.uuid},
        "reported": reported,
    }
    return render(request, "sharing/object.html", context, status=status)


@router.get("/sharing/collections/{collection_id}/objects/{object_id}", response_class=HTMLResponse)
def object_page(
    collection_id: str,
    object_id: str,
    request: Request,
    db: DbSession,
    actor: Reading,
    reported: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    """One object: type, TLP, creator, labels, techniques, relationships both ways, sightings,
    correlations and versions."""
    return _object_page(
        request, db, actor, collection_id, object_id, reported=reported[:100] if reported else None
    )


def _when(value: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        raise _FormProblem(field, "a date and time such as 2026-12-06T08:30") from None
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


class _FormProblem(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@router.post(
    "/sharing/collections/{collection_id}/objects/{object_id}/sightings", response_model=None
)
def report_sighting(
    collection_id: str,
    object_id: str,
    request: Request,
    db: DbSession,
    actor: Writing,
    into: Annotated[str, Form(max_length=100)] = "",
    count: Annotated[str, Form(max_length=12)] = "1",
    first_seen: Annotated[str, Form(max_length=40)] = "",
    last_seen: Annotated[str, Form(max_length=40)] = "",
    description: Text = "",
    tlp: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Report a sighting of the object into a collection one may write; back to the page."""
    values = {
        "into": into,
        "count": count,
        "first_seen": first_seen,
        "last_seen": last_seen,
        "description": description,
        "tlp": tlp,
    }
    try:
        if not count.strip().isdigit():
            raise _FormProblem("count", "a whole number from 1")
        level = None
        if tlp:
            try:
                level = Tlp(tlp)
            except ValueError:
                raise _FormProblem("tlp", "choose a TLP level") from None
        report = objects.SightingReport(
            into=into or collection_id,
            count=int(count),
            first_seen=_when(first_seen, "first_seen"),
            last_seen=_when(last_seen, "last_seen"),
            description=description.strip(),
            tlp=level,
        )
        sighting = objects.report_sighting(
            db,
            actor=actor,
            reader=reader_for(db, actor),
            collection_id=collection_id,
            stix_id=object_id,
            report=report,
            now=utcnow(),
        )
    except _FormProblem as exc:
        return _object_page(
            request, db, actor, collection_id, object_id, {exc.field: exc.message}, values, 422
        )
    except AccordError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        errors = error_beside(exc, fields=values, default="into")
        return _object_page(request, db, actor, collection_id, object_id, errors, values, 422)
    return _see_other(
        f"/sharing/collections/{collection_id}/objects/{object_id}?reported={sighting}#sightings"
    )
