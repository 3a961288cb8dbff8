"""Bounds on everything the hub parses from outside, in one place.

Every reader of outside input (records being imported, files given to ``accord check`` or
its page, TAXII envelopes, STIX patterns) goes through the functions here, so that a small
hostile input cannot cost memory or time out of proportion to its size: a 703-byte YAML
alias bomb expanded to gigabytes, a zip member declared small inflated to a gibibyte, and a
deeply nested document or pattern overflowed Python's stack. Each bound is a named constant;
going past one raises :class:`LimitExceeded`, a domain error naming the input and the bound
(413 or 422 on the web, one line and a non-zero exit in the CLI).
"""

from __future__ import annotations

import json
import re
import tomllib
import zipfile
from itertools import accumulate
from typing import Annotated, Any
from xml.etree.ElementTree import Element

import yaml
from annotated_types import Ge, Le
from pydantic import AfterValidator

from accord.errors import N_, AccordError, Message, at_field

# Integers in requests that reach a database column: INTEGER is 32 bits on PostgreSQL, so an id,
# number or offset past it was a DataError there (and past 64 bits an OverflowError on SQLite),
# answered 500. Bounded in the request's schema instead, they are a 422 naming the field.
MAX_DB_INTEGER = 2**31 - 1
DbInt = Annotated[int, Ge(-MAX_DB_INTEGER - 1), Le(MAX_DB_INTEGER)]

# Documents. YAML and TOML are read by slower parsers, hence their smaller bounds; a JSON
# document may be a whole database's records in one array.
MAX_JSON_BYTES = 256 * 1024 * 1024
MAX_YAML_BYTES = 16 * 1024 * 1024
MAX_TOML_BYTES = 16 * 1024 * 1024
MAX_XML_BYTES = 64 * 1024 * 1024
# Nesting of arrays and objects (or elements). Real documents stay under 20; the hub's own
# recursive readers and jsonschema need stack in proportion to it.
MAX_DEPTH = 64
# Nodes that YAML aliases may add once expanded, beyond the nodes written: legitimate files
# repeat a few anchors, an alias bomb multiplies them.
MAX_YAML_ALIAS_NODES = 100_000

# Zip archives (OSV.dev's per-ecosystem exports hold up to a few hundred thousand records).
MAX_ZIP_MEMBERS = 1_000_000
MAX_ZIP_MEMBER_BYTES = 64 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 16 * 1024**3
# Uncompressed over compressed size; JSON records compress about 10 to 1. Checked only for
# members of more than a mebibyte, where the ratio of a tiny file means nothing.
MAX_ZIP_RATIO = 200
_RATIO_FLOOR = 1024 * 1024
MAX_DOWNLOAD_BYTES = 2 * 1024**3

# STIX patterns (STIX 2.1, section 9). The grammar's parser recurses per nesting level and per
# boolean operator, and its error recovery is quadratic in unclosed parentheses: at the
# bounds, a pattern costs about 0.15 s to check.
MAX_PATTERN_CHARS = 16_384
MAX_PATTERN_NESTING = 32
MAX_PATTERN_TERMS = 128


class LimitExceeded(AccordError):
    """An input goes past one of the hub's bounds: ``what`` it is, and the bound."""

    status_code = 422
    code = "limit_exceeded"
    exit_code = 2  # the CLI: input the command could not take, not a refused action

    def __init__(self, what: str, reason: str, *, field: str | None = None) -> None:
        # "what: reason" in the reader's language, the reason marked where it is raised.
        super().__init__(at_field(what, reason), field=field)
        self.what = what
        self.reason = reason


class TooLarge(LimitExceeded):
    """An input larger than its bound (413: the size alone is refused)."""

    status_code = 413
    code = "too_large"


def check_size(size: int, bound: int, *, what: str, field: str | None = None) -> None:
    """Refuse ``size`` bytes past ``bound``."""
    if size > bound:
        raise TooLarge(what, Message(N_("larger than %(size)s"), size=_bytes(bound)), field=field)


def check_depth(value: Any, *, what: str, bound: int = MAX_DEPTH, field: str | None = None) -> None:
    """Refuse a parsed document whose arrays and objects nest deeper than ``bound``.

    Iterative, so that it cannot itself overflow the stack it protects.
    """
    if not isinstance(value, dict | list):
        return
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                if depth >= bound:
                    raise _too_deep(what, bound, field)
                stack.append((child, depth + 1))


def _within_depth(value: dict[str, Any]) -> dict[str, Any]:
    try:
        check_depth(value, what="value")
    except LimitExceeded as exc:
        raise ValueError(exc.reason) from None
    return value


# A free-form JSON object in a request (an OSV record's ``database_specific``): pydantic takes
# it as is, and past the bound it failed later, in serializing the answer (a 500).
BoundedJson = Annotated[dict[str, Any], AfterValidator(_within_depth)]


def check_element_depth(root: Element, *, what: str, bound: int = MAX_DEPTH) -> None:
    """Refuse an XML tree whose elements nest deeper than ``bound``."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if len(element) and depth >= bound:
            raise _too_deep(what, bound, None)
        stack.extend((child, depth + 1) for child in element)


def load_json(
    text: str | bytes,
    *,
    what: str,
    bound: int = MAX_JSON_BYTES,
    field: str | None = None,
    **options: Any,
) -> Any:
    """``json.loads`` within the size and depth bounds; syntax errors stay ``ValueError``.

    ``options`` are passed on (``parse_constant``, ``parse_float``).
    """
    check_size(len(text), bound, what=what, field=field)
    try:
        value = json.loads(text, **options)
    except RecursionError:
        raise _too_deep(what, MAX_DEPTH, field) from None
    if isinstance(value, dict | list):
        check_depth(value, what=what, field=field)
    return value


def load_toml(text: str, *, what: str) -> dict[str, Any]:
    """``tomllib.loads`` within the size and depth bounds (``TOMLDecodeError`` as is)."""
    check_size(len(text), MAX_TOML_BYTES, what=what)
    try:
        value = tomllib.loads(text)
    except RecursionError:
        raise _too_deep(what, MAX_DEPTH, None) from None
    check_depth(value, what=what)
    return value


def load_yaml(text: str | bytes, *, what: str, loader: type[Any] = yaml.CSafeLoader) -> Any:
    """One YAML document through ``loader`` (a safe one), once its events are within bounds.

    The events are read first with libyaml, without building anything: they give the nesting
    and what every alias would expand to, so a bomb is refused before it is built.
    ``yaml.YAMLError`` from a malformed document is raised as is.
    """
    check_size(len(text), MAX_YAML_BYTES, what=what)
    _check_yaml_events(text, what=what)
    return yaml.load(text, Loader=loader)  # noqa: S506 (callers pass safe loaders)


def _check_yaml_events(text: str | bytes, *, what: str) -> None:
    # Per open collection, the nodes it holds so far; anchors map to their expanded size.
    open_sizes: list[int] = []
    open_anchors: list[str | None] = []
    anchors: dict[str, int] = {}
    expanded = 0
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            if len(open_sizes) >= MAX_DEPTH:
                raise _too_deep(what, MAX_DEPTH, None)
            open_sizes.append(1)
            open_anchors.append(event.anchor)
        elif isinstance(event, yaml.CollectionEndEvent):
            size = open_sizes.pop()
            anchor = open_anchors.pop()
            if anchor is not None:
                anchors[anchor] = size
            if open_sizes:
                open_sizes[-1] += size
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                anchors[event.anchor] = 1
            if open_sizes:
                open_sizes[-1] += 1
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor in open_anchors:
                # An alias to a collection still open: a cycle, which no reader walks safely.
                raise LimitExceeded(
                    what,
                    Message(N_("the YAML alias *%(anchor)s refers to itself"), anchor=event.anchor),
                )
            # An undefined alias counts one node; loading the document then reports it.
            expansion = anchors.get(event.anchor or "", 1)
            expanded += expansion
            if expanded > MAX_YAML_ALIAS_NODES:
                raise LimitExceeded(
                    what,
                    Message(
                        N_("YAML aliases expand to more than %(count)s nodes"),
                        count=f"{MAX_YAML_ALIAS_NODES:,}",
                    ),
                )
            if open_sizes:
                open_sizes[-1] += expansion


def zip_members(archive: zipfile.ZipFile, *, what: str) -> list[zipfile.ZipInfo]:
    """The members of ``archive``, once their count and declared total size are in bounds."""
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise LimitExceeded(
            what,
            Message(N_("more than %(count)s files in the archive"), count=f"{MAX_ZIP_MEMBERS:,}"),
        )
    total = sum(m.file_size for m in members)
    if total > MAX_ZIP_TOTAL_BYTES:
        raise TooLarge(
            what,
            Message(N_("uncompresses to more than %(size)s"), size=_bytes(MAX_ZIP_TOTAL_BYTES)),
        )
    return members


def read_zip_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, *, what: str) -> bytes:
    """A member's bytes, refused by its declared size, its compression ratio, or (whatever its
    header says) once more than :data:`MAX_ZIP_MEMBER_BYTES` come out of it."""
    check_size(member.file_size, MAX_ZIP_MEMBER_BYTES, what=what)
    if member.file_size > _RATIO_FLOOR and member.file_size > MAX_ZIP_RATIO * max(
        member.compress_size, 1
    ):
        raise LimitExceeded(
            what,
            Message(N_("compressed more than %(ratio)s to 1: a zip bomb?"), ratio=MAX_ZIP_RATIO),
        )
    with archive.open(member) as stream:
        data = stream.read(MAX_ZIP_MEMBER_BYTES + 1)
    check_size(len(data), MAX_ZIP_MEMBER_BYTES, what=what)
    return data


# A STIX string literal (as in accord.sharing.patterns): brackets inside one do not nest.
_LITERAL = re.compile(r"'[^'\\]*(?:\\['\\][^'\\]*)*'")
_TERM = re.compile(r"\b(?:AND|OR|FOLLOWEDBY)\b")
_NESTING = {"(": 1, "[": 1, ")": -1, "]": -1}


def pattern_problem(pattern: str) -> str | None:
    """Why a STIX pattern is past the bounds on its length, nesting and terms (None: it is not).

    Cheap for the usual pattern: the exact count runs only when the brackets could nest
    deeper than the bound.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        return Message(N_("is longer than %(count)s characters"), count=f"{MAX_PATTERN_CHARS:,}")
    openings = pattern.count("(") + pattern.count("[")
    if openings <= MAX_PATTERN_NESTING and len(pattern) < 1024:
        return None
    bare = _LITERAL.sub("''", pattern)
    steps = [_NESTING[c] for c in bare if c in _NESTING]
    if steps and max(accumulate(steps)) > MAX_PATTERN_NESTING:
        return Message(
            N_("is nested deeper than %(count)s parentheses or brackets"), count=MAX_PATTERN_NESTING
        )
    if len(_TERM.findall(bare)) >= MAX_PATTERN_TERMS:
        return Message(
            N_("joins more than %(count)s comparisons and observations"), count=MAX_PATTERN_TERMS
        )
    return None


def _too_deep(what: str, bound: int, field: str | None) -> LimitExceeded:
    return LimitExceeded(
        what, Message(N_("nested deeper than %(count)s levels"), count=bound), field=field
    )


def _bytes(count: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count:,} bytes"
