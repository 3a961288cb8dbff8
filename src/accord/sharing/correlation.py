"""Correlation: the objects that share an observable value with one object.

Computed when asked from the observable index (``sharing_observables``, the look-up index):
the object's own entries (an indicator's equality comparisons), or for a cyber-observable
(``ipv4-addr``, ``file``...) the entries its value or hashes would have, are joined with every
other entry of the same key. No pairwise table is kept: one seek per value on the key index,
then the rows of the objects found, filtered to the collections the viewer may read and the
objects its TLP lets it see (``visibility``). Bench: ``bench/correlation.py``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from accord.sharing import lookup
from accord.sharing.models import Collection, Observable, StixObject
from accord.sharing.readers import Reader
from accord.sharing.visibility import visible_clause

LIMIT = 200  # objects listed at most; the page says when there are more


@dataclass(frozen=True)
class Correlated:
    """Another object that shares a value with this one, and which value."""

    stix_id: str
    stix_type: str
    name: str
    collection: str
    kind: str
    value: str


def observables_of_object(db: Session, row: StixObject) -> list[tuple[str, str]]:
    """The normalised ``(kind, value)`` pairs of an object: its index entries, or those of a
    cyber-observable's own value and hashes."""
    pairs = [
        (str(k), str(v))
        for k, v in db.execute(
            select(Observable.kind, Observable.value).where(Observable.object_id == row.id)
        )
    ]
    if pairs:
        return pairs
    return _sco_pairs(json.loads(row.body))


def _sco_pairs(body: dict[str, Any]) -> list[tuple[str, str]]:
    kind = {
        "ipv4-addr": "ipv4",
        "ipv6-addr": "ipv6",
        "domain-name": "domain",
        "url": "url",
        "email-addr": "email",
    }.get(str(body.get("type")))
    found: list[tuple[str, str]] = []
    if kind is not None and isinstance(body.get("value"), str):
        normal = lookup.normalise(kind, body["value"])
        if normal is not None:
            found.append((kind, normal))
    hashes = body.get("hashes")
    if body.get("type") in ("file", "artifact") and isinstance(hashes, dict):
        for name, value in hashes.items():
            hash_kind = lookup.HASH_KINDS.get(str(name).upper().replace("-", ""))
            normal = lookup.normalise(hash_kind, str(value)) if hash_kind else None
            if hash_kind and normal:
                found.append((hash_kind, normal))
    return found


def _newest_first(db: Session) -> ColumnElement[int]:
    """The newest index entries first (they are added with their objects).

    On SQLite, for a value that thousands share, the key index (whose equal keys are in row
    order) is walked backwards and stops at the limit, rather than every match being read and
    sorted. PostgreSQL, told to stop at a limit in id order, walks the primary key backwards
    instead, filtering a million entries by key to find the few of a value that early rows
    share (0.2 s at 400,000 rows, growing with the table): ordered by an expression, it reads
    the key's matches through the key index and sorts them (bench/correlation.py)."""
    if db.get_bind().dialect.name == "postgresql":
        return (Observable.id + 0).desc()
    return Observable.id.desc()


def related(
    db: Session,
    *,
    row: StixObject,
    reader: Reader,
    readable: Sequence[int],
    limit: int = LIMIT,
) -> tuple[list[Correlated], bool]:
    """The latest versions of other objects the reader may see that share a value with
    ``row``, and whether there were more than ``limit``."""
    pairs = observables_of_object(db, row)
    if not pairs or not readable:
        return [], False
    keys = {lookup.key(kind, value): (kind, value) for kind, value in pairs}
    query = (
        select(
            Observable.kind,
            Observable.value,
            StixObject.stix_id,
            StixObject.stix_type,
            StixObject.body,
            Collection.uuid,
        )
        .join(StixObject, StixObject.id == Observable.object_id)
        .join(Collection, Collection.id == StixObject.collection_id)
        .where(
            Observable.key.in_(list(keys)),
            Observable.object_id != row.id,
            StixObject.stix_id != row.stix_id,
            StixObject.is_latest.is_(True),
            StixObject.collection_id.in_(list(readable)),
            visible_clause(reader),
        )
        .order_by(_newest_first(db))
        .limit(limit + 1)
    )
    found = []
    for kind, value, stix_id, stix_type, body, collection in db.execute(query):
        if keys.get(lookup.key(kind, value)) != (kind, value):
            continue  # another value with the same 64-bit key (see lookup.key)
        obj = json.loads(body)
        found.append(
            Correlated(
                stix_id=stix_id,
                stix_type=stix_type,
                name=str(obj.get("name") or obj.get("pattern") or ""),
                collection=collection,
                kind=kind,
                value=value,
            )
        )
    return found[:limit], len(found) > limit
