"""Indicator look-up over the observable index, and sighting counts per indicator.

A value asked for is found by index seeks: its own key; for an address, the key of the range
holding it at each prefix length stored (``lookup.network_keys``); for a URL, its host name or
address too (and the ranges holding that address). Each hit carries its decay score
(``sharing.decay``) and results are ordered by it; indicators past their ``valid_until`` are
left out unless asked for; each value is checked against the warninglists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import orjson
from pydantic import BaseModel
from sqlalchemy import Text, bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ClauseElement

from accord import collector, prepared
from accord.clock import utcnow
from accord.identity.policy import Action, authorize
from accord.sharing import (
    batches,
    decay,
    lookup,
    lookup_planner,
    lookup_ranges,
    lookup_targets,
    visibility,
    warninglists,
)
from accord.sharing.models import Observable, StixObject
from accord.sharing.readers import Reader, readable_collection_ids, readable_collections
from accord.sharing.schemas import IndicatorHit, LookupResult

# What ``quote`` leaves as it is. (A STIX id's own shape, ``[a-z0-9-]+--[0-9a-fA-F-]+``,
# backtracks on each of its dashes: matching it cost more than the rest of a hit.)
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.~-]+")


def object_url(collection: str, stix_id: str) -> str:
    """Where a person reads one shared object (the collection's page for objects)."""
    # STIX ids are checked at ingest (<type>--<UUID>, the type [a-z0-9-]): nothing to quote,
    # and quoting thousands of them cost more than finding them.
    if _PLAIN_ID.fullmatch(stix_id) is None:
        stix_id = quote(stix_id)
    return f"/sharing/collections/{collection}/objects/{stix_id}"


def look_up(
    db: Session,
    *,
    reader: Reader,
    values: Iterable[str],
    include_expired: bool = False,
    now: datetime | None = None,
) -> list[LookupResult]:
    """For each value, the current indicators the reader may see whose patterns test it."""
    # A model's fields are the dictionary it is given (``trusted``): each its own copy, as
    # ``answer`` shares a hit between the values it answers.
    return [
        trusted(
            LookupResult,
            {
                **result,
                "indicators": [trusted(IndicatorHit, {**h}) for h in result["indicators"]],
                "warninglists": list(result["warninglists"]),
            },
        )
        for result in answer(
            db, reader=reader, values=values, include_expired=include_expired, now=now
        )
    ]


Pair = lookup_targets.Pair
Targets = lookup_targets.Targets


def answer(
    db: Session,
    *,
    reader: Reader,
    values: Iterable[str],
    include_expired: bool = False,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """:func:`look_up`'s answer as plain dictionaries, with ``LookupResult``'s and
    ``IndicatorHit``'s fields in their order: what the API writes as JSON (``orjson``), with
    no model per value and per hit (building and serializing those cost as much as finding
    the hits). A hit or list answering several values is shared by them: change none."""
    authorize(reader.actor, Action.SHARING_READ)
    now = now or utcnow()
    with _COLLECTION_PAUSED:
        values = values if isinstance(values, list) else list(values)
        classified, hosts = lookup.classify_all(values)
        asked = set(classified.values())
        lengths: dict[str, list[int]] = {}
        stored = None
        if any(k in lookup_targets.ADDRESS_KINDS for k, _ in asked):
            # The ranges stored, when kept for this transaction's version: only those are
            # sought; else one range an address at each prefix length stored.
            ranges = lookup_ranges.stored(db)
            if ranges is None:
                lengths = lookup_targets.prefix_lengths(db)
            else:
                lengths, stored = ranges.lengths, ranges.pairs
        targets = lookup_targets.targets(asked, lengths, hosts, stored)
        # The collections the reader may read, with their UUIDs: read once, for the hits,
        # their collections' names and their sightings.
        readable = readable_collections(db, reader.actor)
        rows = _hits(db, reader, targets, list(readable))
        answers = _answers(db, reader, rows, readable, targets, include_expired, now)
        flagged = warninglists.flags(db, asked, hosts)
        none: list[Any] = []
        results = []
        for value in values:
            pair = classified[value]
            results.append(
                {
                    "value": value,
                    "kind": pair[0],
                    "normalised": pair[1],
                    "indicators": answers.get(pair, none),
                    "warninglists": flagged.get(pair, none),
                }
            )
        return results


_COLLECTION_PAUSED = collector.PAUSED


_Model = TypeVar("_Model", bound=BaseModel)


def trusted(model: type[_Model], values: dict[str, Any]) -> _Model:
    """A model of the hub's own values, every field given, built as pydantic's
    ``model_construct`` builds one but without its walk over the fields and their aliases:
    a look-up of 10,000 values builds as many models, and that walk cost more than the
    database's part of the look-up."""
    built = model.__new__(model)
    object.__setattr__(built, "__dict__", values)
    object.__setattr__(built, "__pydantic_fields_set__", set(values))
    object.__setattr__(built, "__pydantic_extra__", None)
    object.__setattr__(built, "__pydantic_private__", None)
    return built


def _answers(
    db: Session,
    reader: Reader,
    rows: list[_Row],
    names: dict[int, str],
    targets: Targets,
    include_expired: bool,
    now: datetime,
) -> dict[Pair, list[dict[str, Any]]]:
    """The hits of each value asked, highest decay score first. Only hits are decoded and
    scored; each indicator's body is read once however many values it answers. ``names``:
    the collections the reader may read (every hit's is one), their UUIDs by row id."""
    producers = {row[3]: row[6] for row in rows}
    sightings = _sightings(db, reader=reader, producers=producers, readable=list(names))
    shown_of: dict[int, dict[str, Any] | None] = {}
    answers: dict[Pair, dict[int, dict[str, Any]]] = {}
    loads, judge, unseen, plain = orjson.loads, decay.judge, (0, None), _PLAIN_ID.fullmatch
    asked_of = targets.__getitem__
    # As ``object_url``, without its call: each collection's part written once.
    pages = {i: f"/sharing/collections/{name}/objects/" for i, name in names.items()}
    for kind, value, row_id, stix_id, tlp, revoked, _, body, collection_id in rows:
        if row_id in shown_of:
            shown = shown_of[row_id]
        else:
            # orjson reads faster than json; the fields read here were checked at ingest
            # (``confidence`` an integer of 0 to 100), so none is an integer beyond 64 bits.
            parsed = loads(body)
            count, last = sightings.get(stix_id, unseen)
            expired, score = judge(parsed, now, last)
            shown = None
            if include_expired or not expired:
                get = parsed.get
                shown = {
                    "id": stix_id,
                    "collection": names[collection_id],
                    "name": get("name"),
                    "pattern": get("pattern", ""),
                    "tlp": tlp,
                    "revoked": bool(revoked),
                    "sightings": count,
                    "via": None,
                    "valid_until": get("valid_until"),
                    "expired": expired,
                    "score": score,
                    "url": pages[collection_id] + stix_id
                    if plain(stix_id)
                    else object_url(names[collection_id], stix_id),
                }
            shown_of[row_id] = shown
        if shown is None:
            continue
        for key, via in asked_of((kind, value)):
            found = answers.get(key)
            if found is None:
                found = answers[key] = {}
            found[row_id] = shown if via is None else {**shown, "via": via}
    return {
        key: sorted(found.values(), key=_rank) if len(found) > 1 else list(found.values())
        for key, found in answers.items()
    }


def _rank(hit: dict[str, Any]) -> tuple[float, str]:
    return -hit["score"], hit["id"]


# A found index entry with its indicator: kind, value, id, stix_id, tlp, revoked,
# producer_org_id, body, collection_id (the driver's tuple: an object of each would cost more
# than the query).
_Row = tuple[Any, ...]

_HIT_COLUMNS = (
    StixObject.id,
    StixObject.stix_id,
    StixObject.tlp,
    StixObject.revoked,
    StixObject.producer_org_id,
    StixObject.body,
    StixObject.collection_id,
)


_HIT_STATEMENTS: dict[tuple[str, visibility.Shape], ClauseElement] = {}


def _hit_statement(dialect: str, shape: visibility.Shape) -> ClauseElement:
    """The index entries of the keys asked, with their indicators the reader may see: built
    once for each database and shape of the reader's TLP filter (``visibility``)."""
    found = _HIT_STATEMENTS.get((dialect, shape))
    if found is None:
        # No join with the collections: the planner may start from them and seek every key
        # once for each; their few ids and names are read apart.
        statement = select(Observable.kind, Observable.value, *_HIT_COLUMNS)
        if dialect == "sqlite":
            # The keys' JSON array joined row by row, each an index seek: ``IN (SELECT ...)``
            # first copied the keys into a temporary index (a fifth of the statement's
            # instructions). A key repeated (two values whose 64-bit keys collide) finds its
            # rows twice; ``_answers`` keeps a hit once by its row id.
            keys = func.json_each(bindparam("keys", type_=Text())).table_valued("value")
            statement = statement.select_from(keys).join(Observable, Observable.key == keys.c.value)
        else:
            statement = statement.where(
                batches.one_of_param(dialect, Observable.key, "keys", numbers=True)
            )
        statement = statement.join(StixObject, StixObject.id == Observable.object_id).where(
            batches.beside(dialect, StixObject.collection_id).in_(
                bindparam("readable", expanding=True)
            ),
            StixObject.is_latest.is_(True),
            visibility.shaped_clause(shape),
        )
        found = _HIT_STATEMENTS[(dialect, shape)] = statement
    return found


def _hits(db: Session, reader: Reader, targets: Targets, readable: list[int]) -> list[_Row]:
    """The index entries of the targets with the indicators the reader may see (in the
    collections ``readable``)."""
    if not readable or not targets:
        return []
    # Not sorted: the keys are one a target (distinct but for a 64-bit collision, whose
    # rows ``_answers`` keeps once), and neither database's statement gains from the order
    # (SQLite's join seeks each key in turn: the same instructions sorted or not, measured on
    # the bench's 11,667 keys; PostgreSQL 15 descends its index for each element of ``= ANY``).
    keys = lookup.keys(targets)
    dialect = db.get_bind().dialect.name
    # No parallel workers, and random pages priced as the cached seeks they are, to the end
    # of the transaction (a helper's connections start so: no round trip a slice).
    lookup_planner.settle(db)
    params = {
        "keys": batches.listed(dialect, keys),
        "readable": list(readable),
        **visibility.parameters(reader),
    }
    # Run on the driver's cursor (``accord.prepared``): thousands of rows, each read once.
    # A key shared by another value (64 bits can collide, see lookup.key) finds rows that
    # answer no value asked for.
    # (The collections' UUIDs come with ``readable``, read in the same transaction: no
    # statement of their own, a round trip and 0.3 to 0.4 ms of the server's CPU a slice.)
    return [
        row
        for row in prepared.rows(db, _hit_statement(dialect, visibility.shape_of(reader)), params)
        if (row[0], row[1]) in targets
    ]


def _sightings(
    db: Session,
    *,
    reader: Reader,
    producers: Mapping[str, int | None],
    readable: list[int] | None = None,
) -> dict[str, tuple[int, datetime | None]]:
    """Sightings per indicator (by its id, with its producer's organization) and when the
    last was added (see :func:`sighting_counts`); ``readable``: the collections the reader
    may read, if already read."""
    if not producers:
        return {}
    found: dict[str, tuple[int, datetime | None]] = {}
    dialect = db.get_bind().dialect.name
    # Statements built once (``_sighting_statement``) and run on the driver's cursor, their
    # values converted by the columns' types: the ids of a look-up's 6,000 hits are one
    # parameter, as the hits' keys are.
    if readable is None:
        readable = readable_collection_ids(db, reader.actor)
    seen = _sighting_statement(dialect, visibility.shape_of(reader))
    params = {
        "ids": batches.listed(dialect, list(producers)),
        "readable": list(readable),
        **visibility.parameters(reader),
    }
    if readable:
        for ref, n, last in prepared.typed_rows(db, seen, params):
            found[str(ref)] = (int(n), last)
    own = [i for i, producer in producers.items() if producer in reader.org_ids]
    if own:
        # The producer of an indicator counts every sighting of it, seen by it or not.
        mine = _sighting_statement(dialect, None)
        for ref, n, last in prepared.typed_rows(db, mine, {"ids": batches.listed(dialect, own)}):
            found[str(ref)] = (int(n), last)
    return found


_SIGHTING_STATEMENTS: dict[tuple[str, visibility.Shape | None], ClauseElement] = {}


def _sighting_statement(dialect: str, shape: visibility.Shape | None) -> ClauseElement:
    """The sightings of the indicators of the parameter ``ids``, counted and their last date:
    those the reader may see (``shape``: its TLP filter's, as ``visibility``), or all of them
    (None, for the indicators' producer). Built once for each database and shape."""
    found = _SIGHTING_STATEMENTS.get((dialect, shape))
    if found is None:
        total = func.sum(func.coalesce(StixObject.sighting_count, 1))
        statement = select(StixObject.sighting_of, total, func.max(StixObject.date_added))
        if dialect == "sqlite":
            # The ids' JSON array joined row by row, each an index seek: ``IN (SELECT ...)``
            # first copied the 6,000 ids of a look-up's hits into a temporary index, four
            # times the seeks' instructions. (The ids are a dictionary's keys: no repeats to
            # count twice.)
            ids = func.json_each(bindparam("ids", type_=Text())).table_valued("value")
            statement = statement.select_from(ids).join(
                StixObject, StixObject.sighting_of == ids.c.value
            )
        else:
            statement = statement.where(
                batches.one_of_param(dialect, StixObject.sighting_of, "ids", numbers=False)
            )
        statement = statement.where(StixObject.is_latest.is_(True)).group_by(StixObject.sighting_of)
        if shape is not None:
            statement = statement.where(
                batches.beside(dialect, StixObject.collection_id).in_(
                    bindparam("readable", expanding=True)
                ),
                visibility.shaped_clause(shape),
            )
        found = _SIGHTING_STATEMENTS[(dialect, shape)] = statement
    return found


def sighting_counts(
    db: Session, *, reader: Reader, indicators: dict[str, StixObject]
) -> dict[str, int]:
    """Sightings per indicator: all of them for its producer, else those the reader may see."""
    producers = {k: row.producer_org_id for k, row in indicators.items()}
    return {k: n for k, (n, _) in _sightings(db, reader=reader, producers=producers).items()}


def stored_flags(db: Session, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """The warninglists holding each of ``pairs`` (for pages listing objects)."""
    return warninglists.flags(db, pairs)
