"""The sharing API under /api/v1/sharing: collections, grants, sharing groups and look-up.

TAXII itself is in ``routes.py``; this is what TAXII does not cover.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from accord import jsonio
from accord.clock import utcnow
from accord.identity.models import Organization
from accord.identity.policy import Action, Actor, CollectionRights
from accord.sharing import feeds, groups, misp_export, queries, services
from accord.sharing.lookup_pool import LookupPool
from accord.sharing.models import Collection
from accord.sharing.readers import Reader, reader_for, rights
from accord.sharing.schemas import (
    CollectionCreate,
    CollectionRead,
    GrantSet,
    GroupCreate,
    GroupExport,
    GroupImported,
    LookupRequest,
    LookupResult,
)
from accord.web.admission import reads
from accord.web.deps import DbSession, OrgAccess, guard, org_guard

router = APIRouter(prefix="/sharing", tags=["sharing"])


def collection_read(
    db: Session, collection: Collection, granted: CollectionRights, reader: Reader
) -> CollectionRead:
    """A collection with the caller's rights and the number of objects it may see."""
    owner = db.get(Organization, collection.owner_org_id)
    count = (
        queries.visible_count(db, collection_id=collection.id, reader=reader)
        if granted.can_read
        else 0
    )
    return CollectionRead(
        id=collection.uuid,
        alias=collection.alias,
        title=collection.title,
        description=collection.description,
        owner=owner.slug if owner else "",
        default_tlp=collection.default_tlp,
        public_read=collection.public_read,
        community_read=collection.community_read,
        can_read=granted.can_read,
        can_write=granted.can_write,
        visible_objects=count,
    )


@router.get("/collections", response_model=list[CollectionRead])
def list_collections(
    db: DbSession, actor: Annotated[Actor, guard(Action.SHARING_READ)]
) -> list[CollectionRead]:
    """The collections the caller may read or write, with the objects it may see."""
    reader = reader_for(db, actor)
    return [collection_read(db, c, r, reader) for c, r in services.list_collections(db, actor)]


@router.post("/orgs/{slug}/collections", response_model=CollectionRead, status_code=201)
def create_collection(
    data: CollectionCreate,
    db: DbSession,
    access: Annotated[OrgAccess, org_guard(Action.ORG_EDIT)],
) -> CollectionRead:
    """A new collection owned by the organization (its admins)."""
    found = services.create_collection(db, org=access.org, data=data, actor=access.actor)
    granted = rights(db, access.actor, found)
    return collection_read(db, found, granted, reader_for(db, access.actor))


@router.put("/collections/{collection_id}/grants", status_code=204)
def set_grant(
    collection_id: str,
    data: GrantSet,
    db: DbSession,
    actor: Annotated[Actor, guard(Action.SHARING_WRITE)],
) -> Response:
    """Grant an organization or a sharing group access (the owner's admins)."""
    found, _ = services.collection_for(db, actor, collection_id)
    services.set_grant(db, collection=found, data=data, actor=actor)
    return Response(status_code=204)


@router.get("/orgs/{slug}/groups", response_model=list[GroupExport])
def list_groups(
    db: DbSession, access: Annotated[OrgAccess, org_guard(Action.ORG_PRIVATE_READ)]
) -> list[GroupExport]:
    """The sharing groups the organization belongs to, with their members (its members)."""
    found = groups.groups_of(db, org=access.org, actor=access.actor)
    return [groups.describe(db, g, now=utcnow()) for g in found]


@router.post("/orgs/{slug}/groups", response_model=GroupExport, status_code=201)
def create_group(
    data: GroupCreate, db: DbSession, access: Annotated[OrgAccess, org_guard(Action.ORG_EDIT)]
) -> GroupExport:
    """A new sharing group owned by the organization (its admins)."""
    group = groups.create_group(db, org=access.org, data=data, actor=access.actor)
    return groups.export_group(db, group=group, actor=access.actor, now=utcnow())


@router.get("/groups/{group_id}", response_model=GroupExport)
def export_group(
    group_id: str, db: DbSession, actor: Annotated[Actor, guard(Action.OWN_ACCOUNT_READ)]
) -> GroupExport:
    """A sharing group as portable JSON, to import on another hub (its owner's members)."""
    group = groups.get_group(db, group_id)
    return groups.export_group(db, group=group, actor=actor, now=utcnow())


@router.post("/orgs/{slug}/groups/import", response_model=GroupImported)
def import_group(
    data: GroupExport, db: DbSession, access: Annotated[OrgAccess, org_guard(Action.ORG_EDIT)]
) -> GroupImported:
    """Import a sharing group exported by another hub; the organization owns it here."""
    return groups.import_group(db, org=access.org, data=data, actor=access.actor)


@router.post("/lookup", response_model=list[LookupResult])
@reads
def look_up(
    request: Request,
    data: LookupRequest,
    db: DbSession,
    actor: Annotated[Actor, guard(Action.SHARING_READ)],
) -> Response:
    """The indicators the caller may see whose patterns test each value for equality, the
    ranges holding an address, a URL's host; with warninglists and decay scores."""
    # Written from plain dictionaries (``indicators.answer``), as ``list[LookupResult]``
    # would write them: a model per value and per hit cost as much as the look-up itself.
    # A large look-up's slices are answered by helper processes too (``lookup_pool``), for
    # the same reader: the same bytes as ``jsonio.dumps(indicators.answer(...))``.
    pool: LookupPool = request.app.state.lookup_pool
    written = pool.answer_json(
        db, reader=reader_for(db, actor), values=data.values, include_expired=data.include_expired
    )
    return Response(written, media_type="application/json")


@router.get(
    "/collections/{collection_id}/feeds/{feed}",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}, "text/csv": {}}}},
)
@reads
def feed(
    collection_id: str,
    feed: str,
    db: DbSession,
    actor: Annotated[Actor, guard(Action.SHARING_READ)],
    include_expired: bool = False,
    include_warninglisted: bool = False,
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
) -> Response:
    """A block list of the collection (``ip.txt``, ``domain.csv``, ``suricata.rules``...)."""
    options = feeds.Options(include_expired, include_warninglisted, min_score)
    return feed_response(db, actor, collection_id, feed, options)


@router.get("/collections/{collection_id}/misp")
@reads
def misp_events(
    collection_id: str, db: DbSession, actor: Annotated[Actor, guard(Action.SHARING_READ)]
) -> Response:
    """The collection as MISP events (``{"response": [{"Event": ...}]}``), as the caller sees it:
    events imported from MISP, and one event of the objects shared here."""
    return misp_response(db, actor, collection_id)


def misp_response(db: Session, actor: Actor, collection_id: str) -> Response:
    """MISP events as the API and the pages answer them."""
    events = misp_export.export_events(db, actor=actor, collection_id=collection_id)
    return Response(jsonio.dumps({"response": events}), media_type="application/json",
                    headers={"Cache-Control": "no-store"})  # fmt: skip


def feed_response(
    db: Session, actor: Actor, collection_id: str, name: str, options: feeds.Options
) -> Response:
    """A feed as the API and the pages answer it."""
    collection, _ = services.collection_for(db, actor, collection_id)
    media_type, text = feeds.render(
        db,
        reader=reader_for(db, actor),
        collection=collection,
        name=name,
        now=utcnow(),
        options=options,
    )
    return Response(text, media_type=media_type, headers={"Cache-Control": "no-store"})
