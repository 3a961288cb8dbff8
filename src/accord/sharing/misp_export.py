"""MISP events written back from what the hub stores: the objects an import made, with the
sightings added since, rebuilt as MISP event JSON that PyMISP loads, and one more event of the
objects shared here natively (``misp_native.py``). ``accord sharing export-misp`` and
``GET /api/v1/sharing/collections/{id}/misp`` write them. Reading MISP events is
``misp_convert.py`` and ``misp.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from accord.errors import N_, InvalidInput, Message
from accord.identity.policy import Action, Actor, authorize
from accord.sharing import services
from accord.sharing.misp_convert import TLP_DISTRIBUTION
from accord.sharing.misp_native import misp_sighting, native_event
from accord.sharing.models import Collection, StixObject
from accord.sharing.readers import reader_for
from accord.sharing.tlp import MARKING_LEVELS
from accord.sharing.visibility import visible_clause


def export_events(
    db: Session, *, actor: Actor, collection_id: str, event_id: str | None = None
) -> list[dict[str, Any]]:
    """The MISP events of a collection (one, if ``event_id`` names it), as MISP JSON, with
    the sightings added since, from the objects the actor may see."""
    authorize(actor, Action.SHARING_READ)
    collection, _ = services.collection_for(db, actor, collection_id)
    return collection_events(
        db,
        collection=collection,
        visible=visible_clause(reader_for(db, actor)),
        event_id=event_id,
    )


def collection_events(
    db: Session,
    *,
    collection: Collection,
    visible: ColumnElement[bool],
    event_id: str | None = None,
) -> list[dict[str, Any]]:
    """The MISP events of ``collection`` from the objects ``visible`` admits (the command
    line, on the server, exports everything: ``true()``): those imported from MISP, then the
    event of the objects shared here (``misp_native.event_uuid``)."""

    def latest(query: Any) -> list[dict[str, Any]]:
        rows = db.scalars(
            query.where(
                StixObject.collection_id == collection.id,
                StixObject.is_latest.is_(True),
                visible,
            )
        )
        return [orjson.loads(body) for body in rows]

    heads = latest(select(StixObject.body).where(StixObject.stix_type == "x-misp-event"))
    if event_id is not None:
        wanted = event_id if event_id.startswith("x-misp-event--") else f"x-misp-event--{event_id}"
        heads = [h for h in heads if h["id"] == wanted]
    events = []
    for head in heads:
        refs = list(head.get("object_refs") or [])
        members = _by_id(latest, refs)
        inner = [r for m in members.values() for r in m.get("object_refs") or []]
        members |= _by_id(latest, [r for r in inner if r not in members])
        sightings = (
            latest(select(StixObject.body).where(StixObject.sighting_of.in_(list(members))))
            if members
            else []
        )
        events.append({"Event": _event(head, refs, members, sightings)})
    native = native_event(db, collection=collection, visible=visible)
    if native is not None and event_id in (None, native["uuid"]):
        events.append({"Event": native})
    elif event_id is not None and not events:
        raise InvalidInput(
            Message(N_("no MISP event %(event_id)r in this collection"), event_id=event_id),
            field="event",
        )
    return events


def _by_id(latest: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for obj in latest(select(StixObject.body).where(StixObject.stix_id.in_(chunk))):
            found[obj["id"]] = obj
    return found


def _event(
    head: dict[str, Any],
    refs: list[str],
    members: dict[str, dict[str, Any]],
    sightings: Iterable[dict[str, Any]],
) -> dict[str, Any]:
    seen: dict[str, list[dict[str, Any]]] = {}
    for sighting in sightings:
        seen.setdefault(sighting["sighting_of_ref"], []).append(misp_sighting(sighting))
    event = dict(head.get("x_misp_event") or {})
    # MISP requires an info; PyMISP's fragments have none and are given "MISP event".
    event.setdefault("info", head.get("name", ""))
    event.setdefault("uuid", head["id"].partition("--")[2])
    attributes, objects = [], []
    for ref in refs:
        obj = members.get(ref)
        if obj is None:
            continue
        if obj["type"] == "x-misp-object":
            misp_object = dict(obj.get("x_misp_object") or {})
            misp_object["Attribute"] = [
                _attribute(members[r], seen) for r in obj.get("object_refs") or [] if r in members
            ]
            objects.append(misp_object)
        elif "x_misp_attribute" in obj:
            attributes.append(_attribute(obj, seen))
    event["Attribute"] = attributes
    event["Object"] = objects
    return event


def _attribute(obj: dict[str, Any], seen: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    attribute = dict(obj.get("x_misp_attribute") or {})
    if obj["id"] in seen:
        attribute["Sighting"] = seen[obj["id"]]
    return attribute


def tlp_distribution(marking_refs: Iterable[str]) -> int:
    """The MISP distribution of a STIX object's TLP marking (AMBER: this community)."""
    levels = [MARKING_LEVELS[r] for r in marking_refs if r in MARKING_LEVELS]
    return min((TLP_DISTRIBUTION[level] for level in levels), default=1)
