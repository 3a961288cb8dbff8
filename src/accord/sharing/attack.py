"""MITRE ATT&CK techniques on objects: which technique ids an object names, and where each
technique's own object (an ``attack-pattern`` ingested from MITRE's bundle) is.

An object names a technique by an external reference of an ATT&CK source
(``external_id: T0800``), by a label (``T0800``, or a MISP galaxy tag
``misp-galaxy:mitre-attack-pattern="... - T0800"``), or by a relationship to the technique's
``attack-pattern`` (shown with the relationships). Each id resolves to the attack-pattern the
viewer may see whose ATT&CK external id it is, in the collections it may read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.sharing.models import Collection, ObjectRef, StixObject
from accord.sharing.readers import Reader
from accord.sharing.taxonomies import TECHNIQUE, techniques_in
from accord.sharing.visibility import visible_clause

ATTACK_SOURCES = frozenset({"mitre-attack", "mitre-ics-attack", "mitre-mobile-attack"})


@dataclass(frozen=True)
class Technique:
    """A technique id an object names, and the technique object it resolves to (if any)."""

    external_id: str
    name: str = ""
    stix_id: str | None = None
    collection: str | None = None


def attack_id(body: dict[str, Any]) -> str | None:
    """The ATT&CK id of an object that MITRE publishes (T0800, TA0100, S0603...)."""
    for ref in body.get("external_references") or []:
        if isinstance(ref, dict) and ref.get("source_name") in ATTACK_SOURCES:
            found = ref.get("external_id")
            return found if isinstance(found, str) else None
    return None


def named_techniques(body: dict[str, Any]) -> list[str]:
    """The technique ids an object names (not its own id if it is a technique itself)."""
    found: dict[str, None] = {}
    own = attack_id(body) if body.get("type") == "attack-pattern" else None
    for ref in body.get("external_references") or []:
        if not isinstance(ref, dict) or ref.get("source_name") not in ATTACK_SOURCES:
            continue
        external = ref.get("external_id")
        if isinstance(external, str) and TECHNIQUE.fullmatch(external) and external != own:
            found[external] = None
    for label in body.get("labels") or []:
        if isinstance(label, str):
            for tid in techniques_in(label):
                found[tid] = None
    found.pop(own or "", None)
    return list(found)


def resolve(
    db: Session, *, ids: Sequence[str], reader: Reader, readable: Sequence[int]
) -> list[Technique]:
    """Each id with the attack-pattern object whose ATT&CK id it is, if the reader sees one."""
    if not ids:
        return []
    resolved: dict[str, Technique] = {}
    if readable:
        query = (
            select(StixObject.stix_id, StixObject.body, Collection.uuid)
            .join(ObjectRef, ObjectRef.object_id == StixObject.id)
            .join(Collection, Collection.id == StixObject.collection_id)
            .where(
                # The attack-pattern's own id, written with it (sharing.refs).
                ObjectRef.role == "attack-id",
                ObjectRef.ref.in_(list(ids)),
                StixObject.stix_type == "attack-pattern",
                StixObject.is_latest.is_(True),
                StixObject.collection_id.in_(list(readable)),
                visible_clause(reader),
            )
        )
        for stix_id, body, collection in db.execute(query):
            obj = json.loads(body)
            tid = attack_id(obj)
            if tid is not None and tid in ids and tid not in resolved:
                resolved[tid] = Technique(tid, str(obj.get("name", "")), stix_id, collection)
    return [resolved.get(tid, Technique(tid)) for tid in ids]
