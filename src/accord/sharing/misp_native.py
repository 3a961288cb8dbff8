"""The hub's own objects as one MISP event: what was shared here by TAXII or a STIX file, not
imported from MISP (those keep their own events, ``misp_export.py``).

- an indicator whose STIX pattern is one equality on an observable MISP knows (an address,
  a domain, a URL, a hash, an e-mail address) becomes an attribute of that type; any other
  indicator becomes a ``stix2-pattern`` attribute holding the pattern whole, so none is lost;
- an observable (``ipv4-addr``, ``ipv6-addr``, ``domain-name``, ``url``, ``email-addr``, and
  each hash of a ``file``) becomes an attribute not meant for detection (``to_ids`` false);
- labels become the attribute's tags, and its TLP a ``tlp:`` tag and MISP's distribution;
- a sighting of one of them becomes a MISP sighting of its attribute.

Other objects (reports, malware, relationships...) have no MISP attribute and stay out.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from accord.sharing import patterns
from accord.sharing.misp_convert import TLP_DISTRIBUTION
from accord.sharing.models import Collection, StixObject
from accord.sharing.tlp import Tlp

_NAMESPACE = uuid.UUID("0b8f3f52-7f0e-4bd4-9c1e-6e6174697665")  # "native"
# MISP attribute type of one equality, by (object type, property path); MISP's sane default
# category of each type (PyMISP's describeTypes.json).
_BY_PATH: dict[tuple[str, tuple[str, ...]], str] = {
    ("ipv4-addr", ("value",)): "ip-dst",
    ("ipv6-addr", ("value",)): "ip-dst",
    ("domain-name", ("value",)): "domain",
    ("url", ("value",)): "url",
    ("email-addr", ("value",)): "email",
    ("file", ("hashes", "MD5")): "md5",
    ("file", ("hashes", "SHA-1")): "sha1",
    ("file", ("hashes", "SHA-256")): "sha256",
    ("file", ("hashes", "SHA-512")): "sha512",
}
_CATEGORY = {"ip-dst": "Network activity", "domain": "Network activity", "url": "Network activity",
             "email": "Social network", "md5": "Payload delivery", "sha1": "Payload delivery",
             "sha256": "Payload delivery", "sha512": "Payload delivery",
             "stix2-pattern": "Payload installation"}  # fmt: skip
_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-512": "sha512"}
_OBSERVABLES = ("ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file")
EXPORTED_TYPES = ("indicator", *_OBSERVABLES)


def event_uuid(collection: Collection) -> str:
    """The uuid of the collection's native event: the same at every export."""
    return str(uuid.uuid5(_NAMESPACE, collection.uuid))


def native_event(
    db: Session, *, collection: Collection, visible: ColumnElement[bool]
) -> dict[str, Any] | None:
    """The MISP event of ``collection``'s own objects that ``visible`` admits; None if none."""

    def latest(*conditions: Any) -> list[tuple[str, dict[str, Any]]]:
        query = select(StixObject.tlp, StixObject.body).where(
            StixObject.collection_id == collection.id,
            StixObject.is_latest.is_(True),
            visible,
            *conditions,
        )
        return [(tlp, orjson.loads(body)) for tlp, body in db.execute(query)]

    attributes: list[dict[str, Any]] = []
    by_stix_id: dict[str, dict[str, Any]] = {}
    for tlp, obj in latest(StixObject.stix_type.in_(EXPORTED_TYPES)):
        if _from_misp(obj):
            continue
        made = list(_attributes(obj, Tlp(tlp)))
        attributes.extend(made)
        if made:
            by_stix_id[obj["id"]] = made[0]
    if not attributes:
        return None
    for _, sighting in latest(StixObject.stix_type == "sighting"):
        target = by_stix_id.get(str(sighting.get("sighting_of_ref")))
        if target is not None and not _from_misp(sighting):
            target.setdefault("Sighting", []).append(misp_sighting(sighting))
    newest = max(int(a["timestamp"]) for a in attributes)
    return {
        "uuid": event_uuid(collection),
        "info": f"{collection.title}: objects shared on this hub",
        "date": datetime.fromtimestamp(newest, UTC).date().isoformat(),
        "timestamp": str(newest),
        "analysis": "2",
        "threat_level_id": "4",
        "published": False,
        "distribution": str(min(int(a["distribution"]) for a in attributes)),
        "Attribute": attributes,
        "Object": [],
        "Tag": [],
    }


def misp_sighting(sighting: dict[str, Any]) -> dict[str, Any]:
    """A STIX sighting as MISP's (the one MISP gave, when it came from MISP)."""
    kept = sighting.get("x_misp_sighting")
    if isinstance(kept, dict):
        return dict(kept)
    stamp = sighting.get("last_seen") or sighting.get("created")
    found = {
        "uuid": sighting["id"].partition("--")[2],
        "type": "0",
        "date_sighting": str(_epoch(stamp)),
        "source": "accord",
    }
    if sighting.get("count", 1) != 1:
        found["source"] = f"accord (count {sighting['count']})"
    return found


def _from_misp(obj: dict[str, Any]) -> bool:
    return any(key.startswith("x_misp_") for key in obj)


def _attributes(obj: dict[str, Any], tlp: Tlp) -> Iterable[dict[str, Any]]:
    kind = obj["type"]
    if kind == "indicator":
        yield _indicator(obj, tlp)
    elif kind == "file":
        hashes = obj.get("hashes") or {}
        for name, misp_type in _HASHES.items():
            if isinstance(hashes.get(name), str):
                yield _attribute(obj, tlp, misp_type, hashes[name], to_ids=False, part=name)
    elif isinstance(obj.get("value"), str):
        misp_type = _BY_PATH[(kind, ("value",))]
        yield _attribute(obj, tlp, misp_type, obj["value"], to_ids=False)


def _indicator(obj: dict[str, Any], tlp: Tlp) -> dict[str, Any]:
    pattern = str(obj.get("pattern", ""))
    if obj.get("pattern_type", "stix") == "stix":
        checked = patterns.check(pattern)
        if checked.valid and len(checked.comparisons) == 1:
            only = checked.comparisons[0]
            path = tuple(str(p) for p in only.path)
            misp_type = _BY_PATH.get((only.object_type, path))
            if misp_type and only.operator == "=" and only.value.startswith("'"):
                return _attribute(obj, tlp, misp_type, patterns.unquote(only.value), to_ids=True)
    return _attribute(obj, tlp, "stix2-pattern", pattern, to_ids=True)


def _attribute(
    obj: dict[str, Any], tlp: Tlp, misp_type: str, value: str, *, to_ids: bool, part: str = ""
) -> dict[str, Any]:
    stamp = obj.get("modified") or obj.get("created")
    when = _epoch(stamp) if stamp else 0
    object_uuid = obj["id"].partition("--")[2]
    labels = [str(label) for label in obj.get("labels") or []]
    tags = [f"tlp:{tlp.value}", *(t for t in labels if not t.lower().startswith("tlp:"))]
    found: dict[str, Any] = {
        "uuid": str(uuid.uuid5(_NAMESPACE, obj["id"] + part)) if part else object_uuid,
        "type": misp_type,
        "category": _CATEGORY[misp_type],
        "value": value,
        "to_ids": to_ids,
        "timestamp": str(when),
        "distribution": str(TLP_DISTRIBUTION[tlp]),
        "comment": str(obj.get("description") or obj.get("name") or obj["id"]),
        "Tag": [{"name": tag} for tag in tags],
    }
    return found


def _epoch(stamp: Any) -> int:
    return int(datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp())
