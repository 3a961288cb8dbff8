"""Warninglists: values known to be benign, in MISP's warninglist format.

A list is MISP's JSON (``name``, ``type``, ``list``, ``description``, ``version``,
``matching_attributes``; https://github.com/MISP/misp-warninglists). Its ``type`` says how an
entry matches a value:

- ``string``: the value itself (compared without case);
- ``substring``: the value contains the entry (without case);
- ``hostname``: the value's host name is the entry or a name under it (``example.com``
  matches ``www.example.com``); a URL's host is compared;
- ``cidr``: the address is in the entry's range (an address alone is a range of one);
- ``regex``: Python's ``re.search`` of the entry (MISP's ``/.../flags`` form is read).

``matching_attributes`` names the MISP attribute types a list applies to (``ip-dst``,
``domain``, ``sha256``...); each kind of value the hub looks up maps to the MISP types in
``ATTRIBUTES``. A list without any applies to every kind. A URL is also checked by its host
against the lists for domains or addresses.

The hub ships a default set (``data/warninglists/``, see its NOTICE); operators load their
own, replace a default with a newer version of the same name, turn a default off, or remove
a list (page ``/admin/sharing/warninglists``, ``accord sharing warninglists ...``).

Matching is in memory (``warninglist_matching.py``): each process builds a ``Matcher`` from
the defaults and the stored lists and keeps it until a list changes (``_signature``: one
small query a use).
Ranges are cut into disjoint segments, each with the lists that hold it, so an address is
one binary search however many ranges there are; strings and host names are dictionary
look-ups.
"""

from __future__ import annotations

import functools
import gzip
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.errors import N_, InvalidInput, Message, NotFound, Sentences
from accord.identity.audit import record
from accord.identity.policy import Action, Actor, authorize
from accord.sharing import bulk
from accord.sharing.models import Warninglist, WarninglistEntry
from accord.sharing.warninglist_matching import (
    Lists,
    Matcher,
    compile_entry,
    range_text,
    span,
)

TYPES = ("string", "substring", "hostname", "cidr", "regex")
MAX_ENTRIES = 1_000_000
MAX_ENTRY_LENGTH = 2048
_KEYS = {"name", "type", "list", "description", "version", "matching_attributes"}
_SHOWN_ERRORS = 20


@dataclass(frozen=True)
class Parsed:
    """A checked list: what is stored, entries in their normal form."""

    name: str
    list_type: str
    description: str
    version: str
    matching_attributes: tuple[str, ...]
    entries: tuple[str, ...]


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


def parse(data: Any, *, source: str = "document") -> Parsed:
    """Check a MISP warninglist and put its entries in normal form.

    Every problem is reported, each entry by its position (``list[12]: ...``, the first 20
    shown and how many more), in one :class:`InvalidInput`; nothing is stored from a list
    with any.
    """
    if not isinstance(data, dict):
        raise InvalidInput(
            Message(N_("%(source)s: a warninglist is a JSON object"), source=source),
            field="document",
        )
    problems: list[Message] = []
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        keys = ", ".join(map(str, unknown))[:200]
        problems.append(Message(N_("unknown keys: %(keys)s"), keys=keys))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        problems.append(Message(N_("name: a text of 1 to 200 characters is required")))
        name = ""
    list_type = data.get("type")
    if list_type not in TYPES:
        problems.append(Message(N_("type: one of %(types)s is required"), types=", ".join(TYPES)))
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.append(Message(N_("description: must be a text")))
        description = ""
    version = data.get("version", "")
    if not isinstance(version, (int, str)) or isinstance(version, bool):
        problems.append(Message(N_("version: must be a number or a text")))
        version = ""
    attributes = data.get("matching_attributes", [])
    if not isinstance(attributes, list) or not all(isinstance(a, str) for a in attributes):
        problems.append(Message(N_("matching_attributes: must be a list of MISP attribute types")))
        attributes = []
    values = data.get("list")
    entries: dict[str, None] = {}
    if not isinstance(values, list):
        problems.append(Message(N_("list: a list of entries is required")))
    elif len(values) > MAX_ENTRIES:
        problems.append(
            Message(
                N_("list: %(count)s entries, more than the %(most)s allowed"),
                count=f"{len(values):,}",
                most=f"{MAX_ENTRIES:,}",
            )
        )
    elif list_type in TYPES:
        entry_problems: list[Message] = []
        for index, value in enumerate(values):
            try:
                entries[normal_entry(str(list_type), value)] = None
            except ValueError as exc:
                said = (
                    exc.args[0]
                    if exc.args and isinstance(exc.args[0], Message)
                    else Message(str(exc))
                )
                entry_problems.append(
                    Message(N_("list[%(index)s]: %(problem)s"), index=index, problem=said)
                )
        problems.extend(entry_problems[:_SHOWN_ERRORS])
        if len(entry_problems) > _SHOWN_ERRORS:
            more = f"{len(entry_problems) - _SHOWN_ERRORS:,}"
            problems.append(Message(N_("and %(count)s more entries like these"), count=more))
    if problems:
        label = f"{source} ({name})" if name else source
        said = Message(N_("%(label)s: %(problems)s"), label=label, problems=Sentences(problems))
        raise InvalidInput(said, field="document")
    return Parsed(
        name=name.strip(),
        list_type=str(list_type),
        description=description,
        version=str(version)[:40],
        matching_attributes=tuple(attributes),
        entries=tuple(entries),
    )


def normal_entry(list_type: str, value: Any) -> str:
    """An entry in the form it is matched in; ValueError saying why it is not one."""
    if not isinstance(value, str):
        raise ValueError(N_("an entry must be a text"))
    text = value.strip()
    if not text:
        raise ValueError(N_("an empty entry"))
    if len(text) > MAX_ENTRY_LENGTH:
        raise ValueError(Message(N_("longer than %(count)s characters"), count=MAX_ENTRY_LENGTH))
    if list_type == "cidr":
        try:
            return range_text(*span(text))
        except ValueError:
            raise ValueError(
                Message(N_("%(entry)s is not an address or CIDR range"), entry=repr(text[:60]))
            ) from None
    if list_type == "hostname":
        host = text.lower().strip(".")
        if not host or " " in host:
            raise ValueError(Message(N_("%(entry)s is not a host name"), entry=repr(text[:60])))
        return host
    if list_type == "regex":
        compile_entry(text)
        return text
    return text.lower()


# -- the defaults ---------------------------------------------------------------------------


@functools.cache
def defaults() -> dict[str, Parsed]:
    """The lists the hub ships, by name (parsed once a process)."""
    found: dict[str, Parsed] = {}
    folder = resources.files("accord.sharing") / "data" / "warninglists"
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if item.name.endswith(".json.gz"):
            raw = gzip.decompress(item.read_bytes())
        elif item.name.endswith(".json"):
            raw = item.read_bytes()
        else:
            continue
        parsed = parse(json.loads(raw), source=item.name)
        found[parsed.name] = parsed
    return found


def read_file(raw: bytes, *, source: str) -> Parsed:
    """A list from a file's bytes (JSON, or JSON compressed with gzip)."""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InvalidInput(
                Message(N_("%(source)s: not a gzip file (%(exc)s)"), source=source, exc=exc),
                field="document",
            ) from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            Message(N_("%(source)s: not JSON (%(exc)s)"), source=source, exc=exc), field="document"
        ) from None
    return parse(data, source=source)


# -- operators' changes ---------------------------------------------------------------------


def load(db: Session, *, actor: Actor, parsed: Parsed) -> Warninglist:
    """Store a list, replacing the stored or default list of the same name, in one go."""
    authorize(actor, Action.HUB_OPERATE)
    db.execute(delete(Warninglist).where(Warninglist.name == parsed.name))
    row = Warninglist(
        name=parsed.name,
        description=parsed.description,
        list_type=parsed.list_type,
        version=parsed.version,
        matching_attributes=list(parsed.matching_attributes),
        enabled=True,
        entry_count=len(parsed.entries),
        changed_at=utcnow(),
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
        db.add(_turned_off(name))
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
            db.add(_turned_off(name))
    elif row.entry_count == 0 and name in defaults() and enabled:
        db.delete(row)  # a default turned off comes back as shipped
    else:
        row.enabled = enabled
        row.changed_at = utcnow()
    db.flush()
    record(
        db,
        actor=actor,
        action="sharing.warninglist.enable" if enabled else "sharing.warninglist.disable",
        target=f"warninglist:{name}",
    )


def _turned_off(name: str) -> Warninglist:
    shipped = defaults()[name]
    return Warninglist(
        name=name,
        description=shipped.description,
        list_type=shipped.list_type,
        version=shipped.version,
        matching_attributes=list(shipped.matching_attributes),
        enabled=False,
        entry_count=0,
        changed_at=utcnow(),
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


def flags(db: Session, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """For each normalised ``(kind, value)``, the lists that hold it (only those held)."""
    current = matcher(db)
    found = {}
    for kind, value in pairs:
        names = current.match(kind, value)
        if names:
            found[(kind, value)] = names
    return found


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
