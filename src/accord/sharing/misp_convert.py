"""A MISP event as STIX 2.1 objects: the mapping, checked whole before anything is stored.

Import maps an event to objects the rest of the hub understands, and keeps everything MISP
said beside them so that export gives the event back:

- the event: an ``x-misp-event`` object (its name the event's info), its metadata (threat
  level, analysis, organizations, galaxies, related events...) in ``x_misp_event``;
- each attribute: an ``indicator`` with a STIX pattern when its type is an observable the
  hub indexes (addresses, domains, URLs, hashes, e-mail addresses; so it is looked up and
  correlated), else an ``x-misp-attribute``; the attribute itself in ``x_misp_attribute``;
- each MISP object: an ``x-misp-object`` naming its attributes (``object_refs``), its
  references between objects also as STIX ``relationship`` objects;
- each sighting: a STIX ``sighting`` of its attribute (``x_misp_sighting`` keeps MISP's);
- tags: the objects' ``labels``, checked as taxonomies (``taxonomies.parse``): a tag of a
  known taxonomy that it does not define is an error of that item; other namespaces are kept
  as free labels, each named by item in the result's ``notices``;
- distribution: the TLP marking, unless a ``tlp:`` tag says otherwise (0 your organization
  only: RED, 1 this community: AMBER, 2 connected communities: GREEN, 3 all: CLEAR, 4 a
  sharing group: AMBER, and the group must be one this hub knows and granted read on the
  collection; 5 inherits the event's).

Everything is checked here before anything is written (:func:`convert` names every
problem at once); what every item carries alike (uuid, timestamp, tags, distribution) and a
sighting are read by :mod:`accord.sharing.misp_items`; :mod:`accord.sharing.misp` stores the
result in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from accord.errors import N_, InvalidInput, Message, Sentences
from accord.sharing import lookup, misp_items
from accord.sharing.misp_items import DISTRIBUTION_TLP, TLP_DISTRIBUTION
from accord.sharing.tlp import TLP2_MARKINGS, Tlp

# The export (misp_export, misp_native) reads the mapping back from here.
__all__ = [
    "DISTRIBUTION_TLP",
    "MAX_ATTRIBUTES",
    "MAX_ERRORS_SHOWN",
    "PATTERNS",
    "TLP_DISTRIBUTION",
    "Converted",
    "MispInvalid",
    "convert",
    "event_of",
]

MAX_ATTRIBUTES = 50_000  # per event, objects' attributes included
MAX_ERRORS_SHOWN = 50
# MISP attribute types the observable index knows, and the STIX pattern testing each.
PATTERNS = {
    "ip-src": ("ipv4", "[{t}:value = '{v}']"),
    "ip-dst": ("ipv4", "[{t}:value = '{v}']"),
    "domain": ("domain", "[domain-name:value = '{v}']"),
    "hostname": ("domain", "[domain-name:value = '{v}']"),
    "url": ("url", "[url:value = '{v}']"),
    "md5": ("md5", "[file:hashes.MD5 = '{v}']"),
    "sha1": ("sha1", "[file:hashes.'SHA-1' = '{v}']"),
    "sha256": ("sha256", "[file:hashes.'SHA-256' = '{v}']"),
    "sha512": ("sha512", "[file:hashes.'SHA-512' = '{v}']"),
    "email": ("email", "[email-addr:value = '{v}']"),
    "email-src": ("email", "[email-addr:value = '{v}']"),
    "email-dst": ("email", "[email-addr:value = '{v}']"),
}


class MispInvalid(InvalidInput):
    """A MISP event the hub refuses, with each problem found (by item)."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        listed = [*shown, Message(N_("and %(count)s more"), count=more)] if more > 0 else shown
        super().__init__(
            Message(N_("nothing was imported: %(problems)s"), problems=Sentences(listed)),
            field="event",
        )
        self.problems = problems


@dataclass
class Converted:
    """An event as STIX objects, and what it held."""

    event_id: str
    objects: list[dict[str, Any]] = field(default_factory=list)
    attributes: int = 0
    misp_objects: int = 0
    sightings: int = 0
    tags: int = 0
    group_uuid: str | None = None
    # What was kept but is worth knowing: tags of taxonomies the hub does not know, by item.
    notices: list[str] = field(default_factory=list)


def event_of(document: Any) -> dict[str, Any]:
    """The event in a MISP JSON document (``{"Event": {...}}`` or the event itself)."""
    if isinstance(document, dict) and isinstance(document.get("Event"), dict):
        return dict(document["Event"])
    if isinstance(document, dict) and any(
        k in document for k in ("Attribute", "Object", "info", "Tag")
    ):
        return dict(document)
    raise MispInvalid(['the file holds no MISP event (neither {"Event": ...} nor an event)'])


def convert(document: Any, *, now: datetime) -> Converted:
    """The STIX objects of a MISP event; raise :class:`MispInvalid` naming every problem."""
    event = event_of(document)
    problems: list[str] = []
    attributes = list(event.get("Attribute") or [])
    misp_objects = list(event.get("Object") or [])
    if not isinstance(attributes, list) or not isinstance(misp_objects, list):
        raise MispInvalid([N_("Attribute and Object must be lists")])
    total = len(attributes) + sum(
        len(o.get("Attribute") or []) for o in misp_objects if isinstance(o, dict)
    )
    if total > MAX_ATTRIBUTES:
        raise MispInvalid(
            [
                Message(
                    N_(
                        "the event has %(total)s attributes; at most %(most)s are imported at "
                        "once: split it into several events"
                    ),
                    total=f"{total:,}",
                    most=f"{MAX_ATTRIBUTES:,}",
                )
            ]
        )
    event_uuid = misp_items.item_uuid(
        event.get("uuid"), seed=orjson.dumps(event, option=orjson.OPT_SORT_KEYS).decode()
    )
    when = misp_items.stamp(event.get("timestamp"), now)
    notices: list[str] = []
    the_event = Message(N_("the event"))
    event_tags = misp_items.tags_of(event, the_event, problems, notices)
    event_dist = misp_items.distribution_of(event.get("distribution"), the_event, problems)
    event_tlp = misp_items.marking(event_tags, event_dist, Tlp.AMBER)
    converted = Converted(event_id=f"x-misp-event--{event_uuid}", tags=len(event_tags))
    if event_dist == 4:
        group = event.get("SharingGroup") or {}
        converted.group_uuid = group.get("uuid") if isinstance(group, dict) else None
        if not converted.group_uuid:
            problems.append(N_("the event: distribution 4 names no SharingGroup with a uuid"))
    refs: list[str] = []
    by_misp_uuid: dict[str, str] = {}

    def attribute(attr: Any, where: str, object_ref: str | None) -> str | None:
        if not isinstance(attr, dict):
            problems.append(Message(N_("%(where)s: not an object"), where=where))
            return None
        kind, value = attr.get("type"), attr.get("value")
        if not isinstance(kind, str) or not kind:
            problems.append(Message(N_("%(where)s: type is missing"), where=where))
            return None
        if not isinstance(value, str) or not value or len(value) > 131_072:
            problems.append(
                Message(
                    N_("%(where)s (%(kind)s): value is missing, not text, or longer than 128 KiB"),
                    where=where,
                    kind=kind,
                )
            )
            return None
        tags = misp_items.tags_of(attr, where, problems, notices)
        dist = misp_items.distribution_of(attr.get("distribution"), where, problems)
        level = misp_items.marking(tags, dist, event_tlp)
        seed = f"{event_uuid}/{where}"
        attr_uuid = misp_items.item_uuid(attr.get("uuid"), seed=seed)
        stamp = misp_items.stamp(
            attr.get("timestamp"), datetime.fromisoformat(when.replace("Z", "+00:00"))
        )
        kept = {k: v for k, v in attr.items() if k != "Sighting"}
        obj: dict[str, Any] = {
            "spec_version": "2.1",
            "created": stamp,
            "modified": stamp,
            "name": f"{kind}: {value}"[:250],
            "object_marking_refs": [TLP2_MARKINGS[level]],
            "x_misp_attribute": kept,
        }
        if tags:
            obj["labels"] = tags
        if object_ref is not None:
            obj["x_misp_object_ref"] = object_ref
        pattern = PATTERNS.get(kind)
        if pattern is not None:
            index_kind, template = pattern
            if index_kind == "ipv4" and ":" in value:
                index_kind, stix_type = "ipv6", "ipv6-addr"
            else:
                stix_type = "ipv4-addr"
            normal = lookup.normalise(index_kind, value)
            if normal is None and index_kind in ("ipv4", "ipv6") and "/" in value:
                # MISP's ip-src/ip-dst hold CIDR ranges too; the index keeps them per prefix.
                network = lookup.normalise_network(index_kind, value)
                normal = network[1] if network else None
            if normal is None or "'" in normal or "\\" in normal:
                problems.append(
                    Message(
                        N_("%(where)s (%(kind)s): %(value)r is not a valid %(kind)s"),
                        where=where,
                        kind=kind,
                        value=value[:80],
                    )
                )
                return None
            obj |= {
                "type": "indicator",
                "id": f"indicator--{attr_uuid}",
                "pattern": template.format(t=stix_type, v=normal),
                "pattern_type": "stix",
                "valid_from": stamp,
            }
        else:
            obj |= {"type": "x-misp-attribute", "id": f"x-misp-attribute--{attr_uuid}"}
        converted.objects.append(obj)
        converted.attributes += 1
        converted.tags += len(tags)
        if isinstance(attr.get("uuid"), str):
            by_misp_uuid[attr["uuid"]] = obj["id"]
        for index, seen in enumerate(attr.get("Sighting") or []):
            sighting = misp_items.sighting(seen, obj["id"], f"{seed}/sighting/{index}", level, now)
            if sighting is None:
                problems.append(
                    Message(
                        N_("%(where)s, sighting %(number)s: not a MISP sighting"),
                        where=where,
                        number=index + 1,
                    )
                )
                continue
            converted.objects.append(sighting)
            converted.sightings += 1
        return str(obj["id"])

    for index, attr in enumerate(attributes):
        ref = attribute(attr, Message(N_("attribute %(number)s"), number=index + 1), None)
        if ref:
            refs.append(ref)
    relations: list[tuple[str, dict[str, Any], str]] = []
    for index, misp_object in enumerate(misp_objects):
        where = Message(N_("object %(number)s"), number=index + 1)
        if not isinstance(misp_object, dict) or not isinstance(misp_object.get("name"), str):
            problems.append(Message(N_("%(where)s: an object needs a name"), where=where))
            continue
        tags = misp_items.tags_of(misp_object, where, problems, notices)
        dist = misp_items.distribution_of(misp_object.get("distribution"), where, problems)
        level = misp_items.marking(tags, dist, event_tlp)
        object_uuid = misp_items.item_uuid(misp_object.get("uuid"), seed=f"{event_uuid}/{where}")
        object_id = f"x-misp-object--{object_uuid}"
        members = []
        for a_index, attr in enumerate(misp_object.get("Attribute") or []):
            ref = attribute(
                attr,
                Message(
                    N_("%(where)s (%(name)s) attribute %(number)s"),
                    where=where,
                    name=misp_object["name"],
                    number=a_index + 1,
                ),
                object_id,
            )
            if ref:
                members.append(ref)
        stamp = misp_items.stamp(
            misp_object.get("timestamp"), datetime.fromisoformat(when.replace("Z", "+00:00"))
        )
        kept = {k: v for k, v in misp_object.items() if k != "Attribute"}
        obj = {
            "type": "x-misp-object",
            "spec_version": "2.1",
            "id": object_id,
            "created": stamp,
            "modified": stamp,
            "name": misp_object["name"],
            "object_marking_refs": [TLP2_MARKINGS[level]],
            "x_misp_object": kept,
        }
        if members:
            obj["object_refs"] = members
        if tags:
            obj["labels"] = tags
        converted.objects.append(obj)
        converted.misp_objects += 1
        converted.tags += len(tags)
        refs.append(object_id)
        if isinstance(misp_object.get("uuid"), str):
            by_misp_uuid[misp_object["uuid"]] = object_id
        for reference in misp_object.get("ObjectReference") or []:
            if isinstance(reference, dict):
                relations.append((object_id, reference, stamp))
    for source, reference, stamp in relations:
        target = by_misp_uuid.get(str(reference.get("referenced_uuid")))
        verb = reference.get("relationship_type")
        if target is None or not isinstance(verb, str) or not verb:
            continue  # kept in its object's x_misp_object; no STIX object to point at
        seed = f"{source}/{target}/{verb}"
        converted.objects.append(
            {
                "type": "relationship",
                "spec_version": "2.1",
                "id": f"relationship--{misp_items.item_uuid(reference.get('uuid'), seed=seed)}",
                "created": stamp,
                "modified": stamp,
                "relationship_type": misp_items.verb(verb),
                "source_ref": source,
                "target_ref": target,
                "object_marking_refs": [TLP2_MARKINGS[event_tlp]],
            }
        )
    if problems:
        raise MispInvalid(problems)
    converted.notices = notices
    meta = {k: v for k, v in event.items() if k not in ("Attribute", "Object")}
    head: dict[str, Any] = {
        "type": "x-misp-event",
        "spec_version": "2.1",
        "id": converted.event_id,
        "created": when,
        "modified": when,
        "name": str(event.get("info") or "MISP event")[:250],
        "object_marking_refs": [TLP2_MARKINGS[event_tlp]],
        "x_misp_event": meta,
    }
    if refs:
        head["object_refs"] = refs
    if event_tags:
        head["labels"] = event_tags
    converted.objects.insert(0, head)
    return converted
