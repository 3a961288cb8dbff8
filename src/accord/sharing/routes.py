"""TAXII 2.1 under ``/taxii2/``: discovery, the hub's API root, collections and their objects.

Routes parse the request and shape the answer; the services and the policy decide. Every
object-returning route goes through ``queries.page``, which filters by TLP in SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accord import collector
from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, Message, NotFound
from accord.identity.policy import Action, Actor
from accord.prepared import Reading, Reads
from accord.sharing import cursor, deliveries, page_cache, queries, services, statuses
from accord.sharing.models import QueuedEnvelope
from accord.sharing.readers import reader_for
from accord.sharing.reading import read, read_orm
from accord.sharing.statuses import pending_json, status_json
from accord.sharing.taxii import (
    API_ROOT,
    PREFIX,
    STIX_MEDIA_TYPE,
    TAXII_MEDIA_TYPE,
    check_accept,
    check_content_type,
    manifest_json,
    request_filters,
    require_accept,
    taxii_response,
    versions_json,
)
from accord.web.deps import (
    Caller,
    DbSession,
    SettingsDep,
    deferred_guard,
    guard,
    record_use,
)
from accord.web.direct_routes import DirectRoute
from accord.web.loop_reads import on_loop

# The reads' handler calls their guard and route directly (accord.web.direct_routes).
router = APIRouter(tags=["taxii"], route_class=DirectRoute)
# Every route checks the Accept header first (section 1.6.8): the reads in their guard's one
# dependency (``ReadingHere``), the others with this one.
ACCEPTS = [Depends(check_accept)]

Writing = Annotated[Actor, guard(Action.SHARING_WRITE)]
# Every read is async and does all its database work in one place (see ``reading.read``): the
# caller's look-up, then (for objects) the collection's rights, the reader's facts and the
# page. A guard with a request-scoped session would cost a second thread hop and a session
# ended on the event loop: "auth only" (the API root) cost more than a page of 100 objects.
ReadingHere = Annotated[Caller, deferred_guard(Action.SHARING_READ, first=require_accept)]
# A status is read as the reads are, under the writers' permission: its poster alone reads it.
Polling = Annotated[Caller, deferred_guard(Action.SHARING_WRITE, first=require_accept)]
# The POST of objects marks the token used itself, after its writes (see add_objects).
WritingHere = Annotated[Caller, deferred_guard(Action.SHARING_WRITE, record_use=False)]
ROOT = f"/{API_ROOT}"
OBJECTS = ROOT + "/collections/{collection_id}/objects/"


async def _body(request: Request) -> bytes:
    check_content_type(request)
    return await request.body()


@router.get("/")
async def discovery(request: Request, caller: ReadingHere) -> Response:
    """Server discovery (TAXII 2.1, section 4.1)."""
    return await read(_discovery, request, caller)


def _discovery(request: Request, db: Reads, caller: Caller) -> Response:
    caller.actor(db)
    settings: Settings = request.app.state.settings
    root = f"{settings.public_url}{PREFIX}{ROOT}/"
    return taxii_response(
        {
            "title": f"{settings.hub_name} TAXII",
            "description": "Threat intelligence shared on this hub; TLP 2.0 enforced per object.",
            "default": root,
            "api_roots": [root],
        }
    )


@router.get(ROOT + "/")
async def api_root(request: Request, caller: ReadingHere) -> Response:
    """The API root's information (section 4.2)."""
    return await read(_api_root, request, caller)


def _api_root(request: Request, db: Reads, caller: Caller) -> Response:
    caller.actor(db)
    settings: Settings = request.app.state.settings
    return taxii_response(
        {
            "title": settings.hub_name,
            "description": "Collections of STIX 2.1 objects shared by the hub's organizations.",
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": settings.max_request_bytes,
        }
    )


@router.get(ROOT + "/status/{status_id}/")
async def status(status_id: str, request: Request, caller: Polling) -> Response:
    """The status of an earlier POST (section 4.3): as the reads run (``reading.read``), a
    complete one on the loop when it can be, a pending one (the queue's look-up) in a thread."""
    found = on_loop(request.app.state, lambda db: _status(request, db, caller, status_id))
    if found is not None:
        return found
    return await run_in_threadpool(_status_in_thread, request, caller, status_id)


def _status(request: Request, db: Reads, caller: Caller, status_id: str) -> Response:
    again = partial(_kept_again, request)
    found = statuses.find(db, request.app.state.queue, caller.actor(db), status_id, again=again)
    return taxii_response(
        pending_json(found) if isinstance(found, QueuedEnvelope) else status_json(found)
    )


def _status_in_thread(request: Request, caller: Caller, status_id: str) -> Response:
    state = request.app.state
    with Reading(state.engine, state.access_cache, state.read_connections) as db:
        return _status(request, db, caller, status_id)


def _kept_again(request: Request, status_id: str) -> statuses.KeptStatus | None:
    state = request.app.state
    with Reading(state.engine, state.access_cache, state.read_connections) as db:
        return statuses.kept(db, status_id)


@router.get(ROOT + "/collections/")
async def collections(request: Request, caller: ReadingHere) -> Response:
    """The collections the caller may read or write (section 5.1)."""
    return await read_orm(_collections, request, caller)


def _collections(request: Request, db: Session, caller: Caller) -> Response:
    found = [_collection_json(c, r) for c, r in services.list_collections(db, caller.actor(db))]
    return taxii_response({"collections": found} if found else {})


@router.get(ROOT + "/collections/{collection_id}/")
async def collection(collection_id: str, request: Request, caller: ReadingHere) -> Response:
    """One collection (section 5.2)."""
    return await read_orm(_collection, request, caller, collection_id)


def _collection(request: Request, db: Session, caller: Caller, collection_id: str) -> Response:
    found, granted = services.collection_for(db, caller.actor(db), collection_id)
    return taxii_response(_collection_json(found, granted))


@router.get(ROOT + "/collections/{collection_id}/manifest/")
async def manifest(collection_id: str, request: Request, caller: ReadingHere) -> Response:
    """Manifest of the visible objects (section 5.3)."""
    return await read(_manifest, request, caller, collection_id)


def _manifest(request: Request, db: Reads, caller: Caller, collection_id: str) -> Response:
    result, body = _page(
        request, db, caller, collection_id, manifest_json, kind="manifest", with_body=False
    )
    return taxii_response(body, page=result)


@router.get(OBJECTS)
async def get_objects(collection_id: str, request: Request, caller: ReadingHere) -> Response:
    """An envelope of the visible objects (section 5.4)."""
    return await read(_objects, request, caller, collection_id)


def _objects(request: Request, db: Reads, caller: Caller, collection_id: str) -> Response:
    result, body = _page(request, db, caller, collection_id, queries.envelope_json, kind="objects")
    deliveries.note(request, caller.actor(db), result)
    return taxii_response(body, page=result)


@router.post(OBJECTS, status_code=202, dependencies=ACCEPTS)
def add_objects(
    collection_id: str,
    # First: the body is received before anything is read; on SQLite a writing transaction
    # takes the one write lock, and a client sending its envelope slowly must not hold it.
    body: Annotated[bytes, Depends(_body)],
    caller: WritingHere,
    request: Request,
    settings: SettingsDep,
) -> Response:
    """Add an envelope; the answer is its status resource (section 5.5): complete, or pending
    for an envelope large enough to be queued (``sharing.queue``)."""
    state = request.app.state
    # Who calls and where it may write, read without the write lock: a queued envelope is
    # acknowledged without ever waiting for it (the queue's drainer holds it while storing).
    with state.reader() as db:
        actor = caller.actor(db)
        collection, producer = services.writable_collection(
            db, actor=actor, collection_id=collection_id
        )
    # Checking an envelope of a thousand objects takes tens of milliseconds and reads nothing.
    # The collector stays paused until a queued envelope's entry is encoded and its checked
    # objects (some ten thousand tuples, none in a cycle) are let go: after the pause, the
    # first young collection looked at every one of them while they were still held here.
    entry: QueuedEnvelope | None = None
    with collector.PAUSED:
        envelope = services.check_envelope(body)
        if services.queues(envelope, settings):
            entry = services.queue_entry(
                actor=actor,
                collection=collection,
                producer_org_id=producer,
                envelope=envelope,
                now=utcnow(),
            )
            del envelope
    if entry is not None:
        services.enqueue(state.queue, entry, settings=settings)
        if state.drainer is not None:  # None only without the app's lifespan (tests)
            state.drainer.wake()
        answer: bytes | dict[str, Any] = pending_json(entry)
    else:

        def store(db: Session) -> dict[str, Any]:
            # The permission is asked again in the writing transaction: a grant may have been
            # withdrawn meanwhile.
            result = services.add_objects(
                db, actor=actor, collection_id=collection_id, envelope=envelope, now=utcnow()
            )
            return status_json(result)

        # On SQLite with the other writes waiting meanwhile, in one transaction and commit.
        answer = state.group_commit.run(store)
    record_use(request, state.sessionmaker)
    return taxii_response(answer, status=202)


@router.get(OBJECTS + "{object_id}/")
async def get_object(
    collection_id: str, object_id: str, request: Request, caller: ReadingHere
) -> Response:
    """The visible versions of one object (section 5.6); 404 when there is none to see."""
    return await read(_object, request, caller, collection_id, object_id)


def _object(
    request: Request, db: Reads, caller: Caller, collection_id: str, object_id: str
) -> Response:
    result, body = _page(
        request,
        db,
        caller,
        collection_id,
        queries.envelope_json,
        kind=f"object:{object_id}",
        ids=object_id,
    )
    if result.empty:
        raise NotFound(
            Message(N_("no object %(object_id)r in this collection"), object_id=object_id),
            field="object_id",
        )
    deliveries.note(request, caller.actor(db), result)
    return taxii_response(body, page=result)


@router.delete(OBJECTS + "{object_id}/", dependencies=ACCEPTS)
def delete_object(
    collection_id: str, object_id: str, request: Request, db: DbSession, actor: Writing
) -> Response:
    """Delete versions of an object (section 5.7): all of them unless match[version] or
    match[spec_version] says."""
    filters = request_filters(request, default_versions=queries.ALL, allow="version")
    services.delete_object(
        db,
        actor=actor,
        reader=reader_for(db, actor),
        collection_id=collection_id,
        stix_id=object_id,
        versions=filters.versions,
        spec_versions=filters.spec_versions,
    )
    return Response(status_code=200, media_type=TAXII_MEDIA_TYPE)


@router.get(OBJECTS + "{object_id}/versions/")
async def versions(
    collection_id: str, object_id: str, request: Request, caller: ReadingHere
) -> Response:
    """The versions of one object the caller may see (section 5.8)."""
    return await read(_versions, request, caller, collection_id, object_id)


def _versions(
    request: Request, db: Reads, caller: Caller, collection_id: str, object_id: str
) -> Response:
    result, body = _page(
        request,
        db,
        caller,
        collection_id,
        versions_json,
        kind=f"versions:{object_id}",
        ids=object_id,
        with_body=False,
        default_versions=queries.ALL,
    )
    if result.empty:
        raise NotFound(
            Message(N_("no object %(object_id)r in this collection"), object_id=object_id),
            field="object_id",
        )
    return taxii_response(body, page=result)


def _page(
    request: Request,
    db: Reads,
    caller: Caller,
    collection_id: str,
    render: Callable[[queries.Page], bytes],
    *,
    kind: str,
    ids: str | None = None,
    with_body: bool = True,
    default_versions: queries.VersionMatch = queries.LAST,
) -> page_cache.Rendered:
    """A page for the caller and the answer ``render`` writes of it, in the route's one worker
    thread: the caller is looked up and authorized first, then the collection's rights, the
    reader's facts and the page (kept, with its answer, by ``page_cache``)."""
    known = page_cache.versions(db, collection_id)  # before anything kept is used
    actor = caller.actor(db)
    found = services.readable_collection_id(db, actor, collection_id)
    filters = request_filters(
        request,
        default_versions=default_versions,
        allow="all" if ids is None else "version",
    )
    if ids is not None:
        filters = queries.Filters(
            added_after=filters.added_after,
            ids=(ids,),
            versions=filters.versions,
            spec_versions=filters.spec_versions,
            limit=filters.limit,
            next=filters.next,
        )
    return page_cache.page(
        request.app.state.page_cache,
        db,
        queries.PageRequest(
            collection_id=found,
            reader=reader_for(db, actor),
            filters=filters,
            key=cursor.app_key(request),
            now=utcnow(),
            kind=kind,
            with_body=with_body,
        ),
        render,
        known,
    )


def _collection_json(found: Any, granted: Any) -> dict[str, Any]:
    body = {
        "id": found.uuid,
        "title": found.title,
        "description": found.description,
        "can_read": granted.can_read,
        "can_write": granted.can_write,
        "media_types": [STIX_MEDIA_TYPE],
    }
    if found.alias:
        body["alias"] = found.alias
    return body


# The object reads (first pages, match[id], added_after) are most of a hub's TAXII requests:
# their routes are matched first instead of after six others. No two paths of this router
# match the same request path, and the GET and POST of the objects keep their order (the
# first route matching a path for another method gives a 405 its Allow header), so every
# answer is as before (tests/web/test_routing.py, tests/sharing/test_taxii_reads.py).
router.routes.sort(key=lambda route: getattr(route, "path", None) != OBJECTS)
