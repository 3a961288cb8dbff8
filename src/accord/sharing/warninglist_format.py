"""MISP's warninglist format: a list checked and put in normal form, and the shipped defaults.

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

The hub ships a default set (``data/warninglists/``, see its NOTICE), read by
:func:`defaults`. The lists the hub holds, and matching them, are in
:mod:`accord.sharing.warninglists`.
"""

from __future__ import annotations

import functools
import gzip
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from accord.errors import N_, InvalidInput, Message, Sentences
from accord.sharing.warninglist_matching import compile_entry, range_text, span

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
