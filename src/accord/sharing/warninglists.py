"""Warninglists: values known to be benign, in MISP's warninglist format.

What a list is and how its entries match, and the shipped defaults, are in
:mod:`accord.sharing.warninglist_format` (its names importable from here too). This module
holds the lists the hub keeps: operators load their own, replace a default with a newer
version of the same name, turn a default off, or remove a list (page
``/admin/sharing/warninglists``, ``accord sharing warninglists ...``).

Matching is in memory (``warninglist_matching.py``): each process builds the shipped
defaults' ``Matcher`` once, and joins it with one of the stored lists into the ``Lists`` in
force (``warninglist_lists.py``), kept until a list changes (``_signature``: one small query a use).
Ranges are cut into disjoint segments, each with the lists that hold it, so an address is
one binary search however many ranges there are; strings and host names are dictionary
look-ups.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.errors import N_, Message, NotFound
from accord.identity.audit import record
from accord.identity.policy import Action, Actor, authorize
from accord.sharing import bulk
from accord.sharing.models import Warninglist, WarninglistEntry
from accord.sharing.warninglist_format import (
    MAX_ENTRIES,
    MAX_ENTRY_LENGTH,
    TYPES,
    Parsed,
    defaults,
    normal_entry,
    parse,
    read_file,
)
from accord.sharing.warninglist_lists import Lists
from accord.sharing.warninglist_matching import Matcher

# Callers read the format and the matcher from here, as they did before each had a module.
__all__ = [
    "MAX_ENTRIES",
    "MAX_ENTRY_LENGTH",
    "TYPES",
    "ListInfo",
    "Lists",
    "Matcher",
    "Parsed",
    "defaults",
    "flags",
    "flags_of_pattern",
    "listing",
    "load",
    "matcher",
    "normal_entry",
    "parse",
    "read_file",
    "remove",
    "set_enabled",
    "shipped_matcher",
]


@dataclass(frozen=True)
class ListInfo:
    """A list as the operators' page and the API show it."""

    name: str
    list_type: str
    description: str
    version: str
    entries: int
    default: bool
    enabled: bool
    replaced: bool  # a default replaced by a loaded list of its name


# -- operators' changes ---------------------------------------------------------------------


def load(db: Session, *, actor: Actor, parsed: Parsed) -> Warninglist:
    """Store a list, replacing the stored or default list of the same name, in one go."""
    authorize(actor, Action.HUB_OPERATE)
    stamp = _stamp(db)  # before the delete: after every change stored, the replaced list's too
    db.execute(delete(Warninglist).where(Warninglist.name == parsed.name))
    row = Warninglist(
        name=parsed.name,
        description=parsed.description,
        list_type=parsed.list_type,
        version=parsed.version,
        matching_attributes=list(parsed.matching_attributes),
        enabled=True,
        entry_count=len(parsed.entries),
        changed_at=stamp,
    )
    db.add(row)
    db.flush()
    bulk.insert_rows(
        db.connection(),
        WarninglistEntry,
        [{"list_id": row.id, "value": value} for value in parsed.entries],
    )
    record(
        db,
        actor=actor,
        action="sharing.warninglist.load",
        target=f"warninglist:{parsed.name}",
        details={"entries": len(parsed.entries), "type": parsed.list_type},
    )
    return row


def remove(db: Session, *, actor: Actor, name: str) -> None:
    """Remove a loaded list (a default it replaced comes back), or turn a default off."""
    authorize(actor, Action.HUB_OPERATE)
    row = db.scalar(select(Warninglist).where(Warninglist.name == name))
    is_default = name in defaults()
    if row is None and not is_default:
        raise NotFound(
            Message(N_("name: no warninglist is called %(name)r"), name=name), field="name"
        )
    if row is not None:
        db.delete(row)
    elif is_default:
        db.add(_turned_off(db, name))
    db.flush()
    record(db, actor=actor, action="sharing.warninglist.remove", target=f"warninglist:{name}")


def set_enabled(db: Session, *, actor: Actor, name: str, enabled: bool) -> None:
    """Turn a list on or off, keeping its entries."""
    authorize(actor, Action.HUB_OPERATE)
    row = db.scalar(select(Warninglist).where(Warninglist.name == name))
    if row is None:
        if name not in defaults():
            raise NotFound(
                Message(N_("name: no warninglist is called %(name)r"), name=name), field="name"
            )
        if not enabled:
            db.add(_turned_off(db, name))
    elif row.entry_count == 0 and name in defaults() and enabled:
        db.delete(row)  # a default turned off comes back as shipped
    else:
        row.enabled = enabled
        row.changed_at = _stamp(db)
    db.flush()
    record(
        db,
        actor=actor,
        action="sharing.warninglist.enable" if enabled else "sharing.warninglist.disable",
        target=f"warninglist:{name}",
    )


def _stamp(db: Session) -> datetime:
    """When a list changes, as ``changed_at`` keeps it: now, or just after the latest change
    stored if this process's clock is behind it (another host's, or set back). The matchers
    of every process are built again only when the signature (``_signature``: count, latest
    change, latest id) moves; a change stamped before the latest one moved none of them, and
    turning a list off or on was then missed by every process that had built its matcher."""
    latest = db.scalar(select(func.max(Warninglist.changed_at)))
    now = utcnow()
    return now if latest is None or now > latest else latest + _TICK


_TICK = timedelta(microseconds=1)  # the finest time both databases keep


def _turned_off(db: Session, name: str) -> Warninglist:
    shipped = defaults()[name]
    return Warninglist(
        name=name,
        description=shipped.description,
        list_type=shipped.list_type,
        version=shipped.version,
        matching_attributes=list(shipped.matching_attributes),
        enabled=False,
        entry_count=0,
        changed_at=_stamp(db),
    )


def listing(db: Session) -> list[ListInfo]:
    """Every list: the defaults as shipped, replaced or turned off, and the loaded ones."""
    stored = {row.name: row for row in db.scalars(select(Warninglist))}
    shown: list[ListInfo] = []
    for name, shipped in defaults().items():
        row = stored.pop(name, None)
        replaced = row is not None and row.entry_count > 0
        shown.append(
            ListInfo(
                name=name,
                list_type=row.list_type if row and replaced else shipped.list_type,
                description=shipped.description if not replaced or not row else row.description,
                version=row.version if row and replaced else shipped.version,
                entries=row.entry_count if row and replaced else len(shipped.entries),
                default=True,
                enabled=row.enabled if row else True,
                replaced=replaced,
            )
        )
    for row in stored.values():
        shown.append(
            ListInfo(
                name=row.name,
                list_type=row.list_type,
                description=row.description,
                version=row.version,
                entries=row.entry_count,
                default=False,
                enabled=row.enabled,
                replaced=False,
            )
        )
    return sorted(shown, key=lambda i: i.name.lower())


_cache: dict[tuple[Any, ...], Lists] = {}
_cache_lock = threading.Lock()
_shipped: dict[frozenset[str], Matcher] = {}
_shipped_lock = threading.Lock()


def shipped_matcher(names: frozenset[str] | None = None) -> Matcher:
    """The matcher of the shipped lists ``names`` (all by default), built once a process.

    Built on first use: parsing and cutting the 60,000 ranges of the defaults takes about a
    second, which the first look-up of a process waits for. Building it when the app is made
    cost every hub's start that second (a test suite starts hubs by the hundred).
    """
    wanted = frozenset(defaults()) if names is None else names
    found = _shipped.get(wanted)
    if found is None:
        with _shipped_lock:
            found = _shipped.get(wanted)
            if found is None:
                found = Matcher([p for n, p in defaults().items() if n in wanted])
                _shipped[wanted] = found
    return found


def _signature(db: Session) -> tuple[Any, ...]:
    row = db.execute(
        select(func.count(), func.max(Warninglist.changed_at), func.max(Warninglist.id))
    ).one()
    return (db.get_bind().engine.url.render_as_string(), *row)


def matcher(db: Session) -> Lists:
    """The lists in force, their matcher built again only when a list changed."""
    signature = _signature(db)
    found = _cache.get(signature)
    if found is not None:
        return found
    with _cache_lock:
        found = _cache.get(signature)
        if found is None:
            stored = {row.name: row for row in db.scalars(select(Warninglist))}
            shipped = shipped_matcher(frozenset(n for n in defaults() if n not in stored))
            found = Lists(shipped, Matcher(_loaded(db, stored)))
            for stale in [s for s in _cache if s[0] == signature[0]]:
                del _cache[stale]
            _cache[signature] = found
    return found


def _loaded(db: Session, stored: dict[str, Warninglist]) -> list[Parsed]:
    loaded = [row for row in stored.values() if row.enabled and row.entry_count > 0]
    values: dict[int, list[str]] = {row.id: [] for row in loaded}
    if loaded:
        query = select(WarninglistEntry.list_id, WarninglistEntry.value).where(
            WarninglistEntry.list_id.in_(list(values))
        )
        for list_id, value in db.execute(query):
            values[list_id].append(value)
    return [
        Parsed(
            name=row.name,
            list_type=row.list_type,
            description=row.description,
            version=row.version,
            matching_attributes=tuple(row.matching_attributes),
            entries=tuple(values[row.id]),
        )
        for row in loaded
    ]


def flags(
    db: Session,
    pairs: Iterable[tuple[str, str]],
    hosts: Mapping[str, str | None] | None = None,
) -> dict[tuple[str, str], list[str]]:
    """For each normalised ``(kind, value)``, the lists that hold it (only those held);
    ``hosts``: the hosts of URLs among them already split (``lookup.classify_all``)."""
    return matcher(db).flags(pairs, hosts or {})


def flags_of_pattern(db: Session, pattern: str) -> list[str]:
    """The warninglists holding any value a STIX pattern compares for equality (for pages
    showing one object: its page, a collection's list)."""
    from accord.sharing import lookup, patterns

    pairs = lookup.observables_of(patterns.check(pattern).comparisons)
    current = matcher(db)
    found: dict[str, None] = {}
    for kind, value in pairs:
        if kind in lookup.NETWORK_KINDS.values():
            kind, value = {"ipv4-net": "ipv4", "ipv6-net": "ipv6"}[kind], value.split("/")[0]
        found.update(dict.fromkeys(current.match(kind, value)))
    return list(found)
