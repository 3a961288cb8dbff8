"""Sharing pages: the collections a reader may see, a collection's objects, indicator look-up."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.errors import AccordError
from accord.identity.policy import Action, Actor
from accord.sharing import cursor, feeds, indicators, manage, queries, services, warninglists
from accord.sharing.api import collection_read, feed_response, misp_response
from accord.sharing.readers import reader_for
from accord.sharing.schemas import LookupResult
from accord.web.admission import reads
from accord.web.deps import DbSession, guard
from accord.web.i18n import N_
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Reading = Annotated[Actor, guard(Action.SHARING_READ)]


@router.get("/sharing", response_class=HTMLResponse)
def collections_page(request: Request, db: DbSession, actor: Reading) -> HTMLResponse:
    """The collections the visitor may read, with how many objects it may see in each."""
    reader = reader_for(db, actor)
    found = [collection_read(db, c, r, reader) for c, r in services.list_collections(db, actor)]
    return render(request, "sharing/collections.html", {"collections": found})


@router.get("/sharing/collections/{collection_id}", response_class=HTMLResponse)
def collection_page(
    collection_id: str,
    request: Request,
    db: DbSession,
    actor: Reading,
    next: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    """The newest version of each object the visitor may see, 50 a page."""
    collection, _ = services.collection_for(db, actor, collection_id)
    result = queries.page(
        db,
        queries.PageRequest(
            collection_id=collection.id,
            reader=reader_for(db, actor),
            filters=queries.Filters(limit=50, next=next),
            key=cursor.app_key(request),
            now=utcnow(),
            kind="page",
        ),
    )
    objects = [_summary(db, body) for body in result.bodies]
    return render(
        request,
        "sharing/collection.html",
        {
            "collection": collection,
            "objects": objects,
            "next": result.next,
            "may_manage": manage.may_manage(actor, collection),
            "feeds": feeds.names(),
        },
    )


@router.get("/sharing/collections/{collection_id}/feeds/{feed}")
def feed_page(
    collection_id: str,
    feed: str,
    db: DbSession,
    actor: Reading,
    include_expired: bool = False,
    include_warninglisted: bool = False,
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
) -> Response:
    """A block list of the collection for a signed-in browser (the API's, by session)."""
    options = feeds.Options(include_expired, include_warninglisted, min_score)
    return feed_response(db, actor, collection_id, feed, options)


@router.get("/sharing/collections/{collection_id}/misp.json")
def misp_page(collection_id: str, db: DbSession, actor: Reading) -> Response:
    """The collection as MISP events, for a signed-in browser (the API's, by session)."""
    return misp_response(db, actor, collection_id)


def _summary(db: Session, body: str) -> dict[str, object]:
    obj = json.loads(body)
    stamp = obj.get("modified") or obj.get("created") or ""
    pattern = obj.get("pattern") if obj.get("type") == "indicator" else None
    flagged = warninglists.flags_of_pattern(db, pattern) if isinstance(pattern, str) else []
    return {
        "id": obj.get("id", ""),
        "type": obj.get("type", ""),
        "name": obj.get("name") or obj.get("value") or obj.get("pattern") or "",
        # STIX timestamps (RFC 3339, UTC): shown by the pages' one formatter, in the
        # viewer's zone; one it cannot read is shown as written.
        "modified": _moment(stamp) or stamp,
        "warninglists": ", ".join(flagged),
    }


def _moment(stamp: str) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


@router.get("/sharing/lookup", response_class=HTMLResponse)
def lookup_page(request: Request, actor: Reading) -> HTMLResponse:
    """The look-up form. Values are sent by POST, so none lands in a URL or a proxy's log."""
    return render(request, "sharing/lookup.html", _lookup_context(actor, "", [], None, False))


@router.post("/sharing/lookup", response_class=HTMLResponse)
@reads
def lookup_post(
    request: Request,
    db: DbSession,
    actor: Reading,
    values: Annotated[str, Form(max_length=200_000)] = "",
    include_expired: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """Look up hashes, addresses, domains and URLs, one a line (1,000 at most)."""
    wanted = [v.strip() for v in values.splitlines() if v.strip()]
    results: list[LookupResult] = []
    error = None
    if not wanted:
        error = N_("Enter at least one value.")
    elif len(wanted) > 1000:
        error = N_("At most 1,000 values at a time.")
    else:
        try:
            results = indicators.look_up(
                db, reader=reader_for(db, actor), values=wanted, include_expired=include_expired
            )
        except AccordError as exc:
            error = exc.message
    return render(
        request,
        "sharing/lookup.html",
        _lookup_context(actor, values, results, error, include_expired),
        status=422 if error else 200,
    )


def _lookup_context(
    actor: Actor, values: str, results: list[LookupResult], error: str | None, expired: bool
) -> dict[str, object]:
    return {
        "values": values,
        "results": results,
        "error": error,
        "include_expired": expired,
        "anonymous": not actor.is_authenticated,
    }
