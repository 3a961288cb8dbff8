"""One object as a page shows it: its versions, creator, labels, relationships named in
both directions, sightings, ATT&CK techniques and correlations; and reporting a sighting.

Everything listed is what the viewer may see: the collections it may read, and in them the
objects its TLP admits (``visibility``). Relationships are found from the relationship
objects that name this one (``source_ref``/``target_ref`` in their JSON), in the same
collections.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import Forbidden, InvalidInput, Message, NotFound
from accord.identity.models import Organization
from accord.identity.policy import Action, Actor, authorize
from accord.sharing import attack, correlation, ingest, queries, refs, services, taxonomies
from accord.sharing.models import Collection, ObjectRef, StixObject
from accord.sharing.readers import Reader, readable_collection_ids
from accord.sharing.stix_validation import format_timestamp
from accord.sharing.tlp import TLP2_MARKINGS, Tlp
from accord.sharing.visibility import visible_clause
from accord.web.i18n import N_

# How a relationship reads from its target's side (STIX 2.1 section 4 and the ATT&CK types).
INVERSE = {
    "uses": N_("used by"),
    "mitigates": N_("mitigated by"),
    "indicates": N_("indicated by"),
    "targets": N_("targeted by"),
    "attributed-to": N_("is the attribution of"),
    "subtechnique-of": N_("has the sub-technique"),
    "detects": N_("detected by"),
    "variant-of": N_("has the variant"),
    "derived-from": N_("source of"),
    "duplicate-of": N_("duplicate of"),
    "related-to": N_("related to"),
    "delivers": N_("delivered by"),
    "drops": N_("dropped by"),
    "exploits": N_("exploited by"),
    "located-at": N_("location of"),
    "communicates-with": N_("communicates with"),
    "compromises": N_("compromised by"),
    "originates-from": N_("origin of"),
    "investigates": N_("investigated by"),
    "remediates": N_("remediated by"),
    "based-on": N_("basis of"),
    "consists-of": N_("part of"),
    "controls": N_("controlled by"),
    "hosts": N_("hosted by"),
    "owns": N_("owned by"),
    "authored-by": N_("author of"),
    "downloads": N_("downloaded by"),
    "characterizes": N_("characterized by"),
    "impersonates": N_("impersonated by"),
    "has": N_("belongs to"),
    "belongs-to": N_("has"),
    "resolves-to": N_("resolved from"),
    "beacons-to": N_("receives beacons from"),
    "exfiltrates-to": N_("receives data exfiltrated by"),
}
RELATIONS_SHOWN = 500


@dataclass(frozen=True)
class Relation:
    """One relationship as read from this object: its verb, and the object at the other end."""

    verb: str
    outgoing: bool
    other_id: str
    other_type: str
    other_name: str
    other_collection: str | None  # None: an object the viewer cannot see (shown by id only)
    relationship_id: str
    description: str


@dataclass(frozen=True)
class Sighting:
    """A sighting of this object the viewer may see."""

    stix_id: str
    count: int
    first_seen: str
    last_seen: str
    description: str
    reported_by: str
    added: datetime


@dataclass
class ObjectView:
    """What an object's page shows."""

    collection: Collection
    row: StixObject
    body: dict[str, Any]
    producer: str
    versions: list[StixObject]
    labels: list[taxonomies.Label]
    relations: list[Relation]
    sightings: list[Sighting]
    techniques: list[attack.Technique]
    correlated: list[correlation.Correlated]
    more_correlated: bool
    may_report: list[Collection] = field(default_factory=list)

    @property
    def name(self) -> str:
        """What the object is called (a name, a pattern, a value), else its id."""
        for key in ("name", "value", "pattern", "relationship_type"):
            if isinstance(self.body.get(key), str) and self.body[key]:
                return str(self.body[key])
        return self.row.stix_id

    @property
    def attack_id(self) -> str | None:
        """Its own ATT&CK id, if it is one of MITRE's objects."""
        return attack.attack_id(self.body)

    @property
    def sightable(self) -> bool:
        """Whether a sighting may name it (a domain object, STIX 2.1 section 5.2)."""
        return self.row.stix_type not in ("relationship", "sighting", "marking-definition") and (
            "value" not in self.body and "hashes" not in self.body
        )


def object_view(
    db: Session, *, actor: Actor, reader: Reader, collection_id: str, stix_id: str
) -> ObjectView:
    """The object ``stix_id`` of a collection the actor may read, as the page shows it."""
    authorize(actor, Action.SHARING_READ)
    collection, _ = services.collection_for(db, actor, collection_id)
    versions = queries.visible_versions(
        db, collection_id=collection.id, reader=reader, stix_id=stix_id, versions=queries.ALL
    )
    if not versions:
        raise NotFound(
            Message(N_("no object %(stix_id)r in this collection"), stix_id=stix_id),
            field="object_id",
        )
    versions.sort(key=lambda r: r.version, reverse=True)
    row = next((r for r in versions if r.is_latest), versions[0])
    body = json.loads(row.body)
    readable = readable_collection_ids(db, actor)
    producer = db.scalar(select(Organization.name).where(Organization.id == row.producer_org_id))
    correlated, more = correlation.related(db, row=row, reader=reader, readable=readable)
    named = attack.named_techniques(body)
    return ObjectView(
        collection=collection,
        row=row,
        body=body,
        producer=producer or "",
        versions=versions,
        labels=taxonomies.read([x for x in body.get("labels") or [] if isinstance(x, str)]),
        relations=relations_of(db, stix_id=stix_id, reader=reader, readable=readable),
        sightings=sightings_of(db, stix_id=stix_id, reader=reader, readable=readable),
        techniques=attack.resolve(db, ids=named, reader=reader, readable=readable),
        correlated=correlated,
        more_correlated=more,
        may_report=writable_collections(db, actor) if actor.is_authenticated else [],
    )


def relations_of(
    db: Session, *, stix_id: str, reader: Reader, readable: Sequence[int]
) -> list[Relation]:
    """The relationships naming ``stix_id`` at either end, with the object at the other end."""
    if not readable:
        return []
    rows = db.execute(
        select(StixObject.body)
        .join(ObjectRef, ObjectRef.object_id == StixObject.id)
        .where(
            ObjectRef.ref == stix_id,
            ObjectRef.role.in_((refs.SOURCE, refs.TARGET)),
            StixObject.stix_type == "relationship",
            StixObject.is_latest.is_(True),
            StixObject.collection_id.in_(list(readable)),
            visible_clause(reader),
        )
        .limit(RELATIONS_SHOWN)
    ).all()
    found: dict[str, dict[str, Any]] = {}
    for (text,) in rows:
        rel = json.loads(text)
        if stix_id in (rel.get("source_ref"), rel.get("target_ref")):
            found.setdefault(rel["id"], rel)
    others = {
        r["target_ref"] if r["source_ref"] == stix_id else r["source_ref"] for r in found.values()
    }
    ends = _ends(db, ids=others, reader=reader, readable=readable)
    relations = []
    for rel in found.values():
        outgoing = rel["source_ref"] == stix_id
        other = rel["target_ref"] if outgoing else rel["source_ref"]
        verb = str(rel.get("relationship_type", ""))
        name, collection = ends.get(other, ("", None))
        relations.append(
            Relation(
                verb=verb if outgoing else INVERSE.get(verb, verb),
                outgoing=outgoing,
                other_id=other,
                other_type=other.partition("--")[0],
                other_name=name,
                other_collection=collection,
                relationship_id=rel["id"],
                description=str(rel.get("description", "")),
            )
        )
    relations.sort(key=lambda r: (not r.outgoing, r.verb, r.other_type, r.other_name))
    return relations


def _ends(
    db: Session, *, ids: set[str], reader: Reader, readable: Sequence[int]
) -> dict[str, tuple[str, str]]:
    """The name and collection of each object among ``ids`` the reader may see."""
    found: dict[str, tuple[str, str]] = {}
    pending = sorted(ids)
    for start in range(0, len(pending), 500):
        query = (
            select(StixObject.stix_id, StixObject.body, Collection.uuid)
            .join(Collection, Collection.id == StixObject.collection_id)
            .where(
                StixObject.stix_id.in_(pending[start : start + 500]),
                StixObject.is_latest.is_(True),
                StixObject.collection_id.in_(list(readable)),
                visible_clause(reader),
            )
        )
        for stix_id, text, collection in db.execute(query):
            obj = json.loads(text)
            name = str(obj.get("name") or obj.get("value") or obj.get("pattern") or "")
            tid = attack.attack_id(obj)
            found.setdefault(stix_id, (f"{tid} {name}" if tid else name, collection))
    return found


def sightings_of(
    db: Session, *, stix_id: str, reader: Reader, readable: Sequence[int]
) -> list[Sighting]:
    """The sightings of ``stix_id`` the reader may see, newest first."""
    if not readable:
        return []
    rows = db.execute(
        select(StixObject.body, StixObject.date_added, Organization.name)
        .outerjoin(Organization, Organization.id == StixObject.producer_org_id)
        .where(
            StixObject.sighting_of == stix_id,
            StixObject.is_latest.is_(True),
            StixObject.collection_id.in_(list(readable)),
            visible_clause(reader),
        )
        .order_by(StixObject.date_added.desc())
        .limit(RELATIONS_SHOWN)
    ).all()
    found = []
    for text, added, org in rows:
        obj = json.loads(text)
        found.append(
            Sighting(
                stix_id=obj["id"],
                count=int(obj.get("count", 1)),
                first_seen=str(obj.get("first_seen", "")),
                last_seen=str(obj.get("last_seen", "")),
                description=str(obj.get("description", "")),
                reported_by=org or "",
                added=added,
            )
        )
    return found


def writable_collections(db: Session, actor: Actor) -> list[Collection]:
    """The collections the actor may add objects to (where it may report a sighting)."""
    return [c for c, r in services.list_collections(db, actor) if r.can_write]


@dataclass(frozen=True)
class SightingReport:
    """A sighting as the object page's form gives it."""

    into: str  # the collection it is added to
    count: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    description: str = ""
    tlp: Tlp | None = None


def report_sighting(
    db: Session,
    *,
    actor: Actor,
    reader: Reader,
    collection_id: str,
    stix_id: str,
    report: SightingReport,
    now: datetime,
) -> str:
    """Add a sighting of an object the actor may see to a collection it may write; its id."""
    authorize(actor, Action.SHARING_WRITE)
    view = object_view(db, actor=actor, reader=reader, collection_id=collection_id, stix_id=stix_id)
    if not view.sightable:
        raise InvalidInput(N_("a sighting names a domain object, not this one"), field="object_id")
    if not 1 <= report.count <= 999_999_999:
        raise InvalidInput(N_("count: from 1 to 999999999"), field="count")
    if report.first_seen and report.last_seen and report.last_seen < report.first_seen:
        raise InvalidInput(N_("last seen must not be before first seen"), field="last_seen")
    if len(report.description) > 5000:
        raise InvalidInput(N_("description: at most 5000 characters"), field="description")
    target, _ = services.collection_for(db, actor, report.into, write=True)
    if target.id not in {c.id for c in view.may_report}:
        raise Forbidden(N_("you may not write to that collection"))
    stamp = format_timestamp(now)
    sighting: dict[str, Any] = {
        "type": "sighting",
        "spec_version": "2.1",
        "id": f"sighting--{uuid.uuid4()}",
        "created": stamp,
        "modified": stamp,
        "sighting_of_ref": stix_id,
        "count": report.count,
    }
    if report.first_seen:
        sighting["first_seen"] = format_timestamp(report.first_seen)
    if report.last_seen:
        sighting["last_seen"] = format_timestamp(report.last_seen)
    if report.description:
        sighting["description"] = report.description
    if report.tlp is not None:
        sighting["object_marking_refs"] = [TLP2_MARKINGS[report.tlp]]
    source = ingest.Source(producer_org_id=services.producer_org(db, actor, target))
    result = ingest.store_objects(db, collection=target, objects=[sighting], source=source, now=now)
    if result.failures:
        raise InvalidInput(result.failures[0]["message"], field="sighting")
    return str(sighting["id"])
