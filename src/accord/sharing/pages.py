"""Sharing pages: the collections a reader may see, a collection's objects, indicator look-up."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from accord.clock import utcnow
from accord.errors import AccordError
from accord.identity.policy import Action, Actor
from accord.sharing import cursor, indicators, manage, queries, services
from accord.sharing.api import collection_read
from accord.sharing.readers import reader_for
from accord.web.deps import DbSession, guard
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
    objects = [_summary(body) for body in result.bodies]
    return render(
        request,
        "sharing/collection.html",
        {
            "collection": collection,
            "objects": objects,
            "next": result.next,
            "may_manage": manage.may_manage(actor, collection),
        },
    )


def _summary(body: str) -> dict[str, object]:
    obj = json.loads(body)
    stamp = obj.get("modified") or obj.get("created") or ""
    return {
        "id": obj.get("id", ""),
        "type": obj.get("type", ""),
        "name": obj.get("name") or obj.get("value") or obj.get("pattern") or "",
        # STIX timestamps (RFC 3339, UTC): shown by the pages' one formatter, in the
        # viewer's zone; one it cannot read is shown as written.
        "modified": _moment(stamp) or stamp,
    }


def _moment(stamp: str) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


@router.get("/sharing/lookup", response_class=HTMLResponse)
def lookup_page(
    request: Request,
    db: DbSession,
    actor: Reading,
    values: Annotated[str, Query(max_length=20_000)] = "",
) -> HTMLResponse:
    """Look up hashes, addresses, domains and URLs, one a line."""
    wanted = [v.strip() for v in values.splitlines() if v.strip()][:100]
    results, error = [], None
    if wanted:
        try:
            results = indicators.look_up(db, reader=reader_for(db, actor), values=wanted)
        except AccordError as exc:
            error = exc.message
    return render(
        request,
        "sharing/lookup.html",
        {"values": values, "results": results, "error": error},
        status=422 if error else 200,
    )
