"""What stored objects point at (``sharing_object_refs``): the ends of each relationship and
each attack-pattern's own ATT&CK id, written with the objects, so that an object's page finds
the relationships naming it (``objects.relations_of``) and a technique id its attack-pattern
(``attack.resolve``) by an index seek instead of searching every body."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection

from accord.sharing import bulk
from accord.sharing.attack import attack_id
from accord.sharing.models import ObjectRef

SOURCE, TARGET, ATTACK_ID = "source", "target", "attack-id"
# The objects that point at something the pages look for; every other object has no row.
TYPES = frozenset({"relationship", "attack-pattern"})


def refs_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    """The ``(role, ref)`` pairs of one object."""
    found: list[tuple[str, str]] = []
    if body.get("type") == "relationship":
        for role, name in ((SOURCE, "source_ref"), (TARGET, "target_ref")):
            ref = body.get(name)
            if isinstance(ref, str) and 0 < len(ref) <= 300:
                found.append((role, ref))
    elif body.get("type") == "attack-pattern":
        tid = attack_id(body)
        if tid and len(tid) <= 300:
            found.append((ATTACK_ID, tid))
    return found


def insert(connection: Connection, objects: Sequence[tuple[int, str, str]]) -> None:
    """The refs of stored objects (``(row id, type, body)``), one executemany."""
    found = [
        {"object_id": row_id, "role": role, "ref": ref}
        for row_id, stix_type, body in objects
        if stix_type in TYPES
        for role, ref in refs_of(orjson.loads(body))
    ]
    bulk.insert_rows(connection, ObjectRef, found)
