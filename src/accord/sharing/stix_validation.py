"""Checks every STIX 2.1 object before it is stored (STIX 2.1, sections 3 to 7).

The checks are the ones a reader relies on: the common properties are present and well formed,
the id is ``<type>--<RFC 4122 UUID>`` and matches the type, timestamps are RFC 3339 in UTC with
``created <= modified``, ``spec_version`` is 2.1, references are identifiers, and an
indicator's STIX pattern passes ``stix2-patterns``. Every object the hub accepts is also
checked in the tests with ``stix2-validator``, the OASIS tool, which is too slow to run per
object at ingest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from accord.errors import N_, Message, Sentences, at_field
from accord.sharing import patterns
from accord.sharing.stix_language import LANGUAGE_TAG as _LANGUAGE_TAG
from accord.sharing.stix_timestamps import _TIMESTAMP as _TIMESTAMP
from accord.sharing.stix_timestamps import _from_groups as _from_groups
from accord.sharing.stix_timestamps import format_timestamp as format_timestamp
from accord.sharing.stix_timestamps import read_timestamp as _timestamp
from accord.sharing.stix_timestamps import stix_text as stix_text
from accord.sharing.stix_types import META_TYPES as META_TYPES
from accord.sharing.stix_types import REQUIRED as REQUIRED
from accord.sharing.stix_types import SCO_TYPES as SCO_TYPES
from accord.sharing.stix_types import SRO_TYPES as SRO_TYPES
from accord.sharing.stix_types import TIMESTAMP_PROPERTIES as TIMESTAMP_PROPERTIES
from accord.sharing.tlp import MARKING_LEVELS

SPEC_VERSION = "2.1"

# \Z, not $: "$" also matches before a final newline, which no STIX name or id may end with.
_TYPE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,248})[a-z0-9]\Z")
_PROPERTY = re.compile(r"^[a-z0-9_]{1,250}\Z")
# <type>--<UUID>: an RFC 4122 UUID (variant 10xx), its hex digits in either case, as the OASIS
# identifier schema has them (OASIS's own example bundles hold upper-case ones); the id is kept
# exactly as received. The UUID holds no "--", so the type is what comes before the last one
# (split there, not by one regex over the whole: its greedy type part backtracked over the
# UUID, 2 us an identifier).
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}\Z"
)
_NOT_AN_IDENTIFIER = N_("must be an identifier: <type>--<RFC 4122 UUID>")
# References whose target has a type of its own (STIX 2.1, sections 3.2 and 7.2).
_TYPED_REFS = {"object_marking_refs": "marking-definition", "created_by_ref": "identity"}
# Type names already found well formed (a feed sends a few): a set look-up, not the match.
_TYPES_SEEN: set[str] = set()


def _type(name: str) -> bool:
    """Whether ``name`` is a well-formed type name (``_TYPE``); remembered when it is."""
    found = _TYPE.match(name) is not None
    if found and len(_TYPES_SEEN) < 4096:
        _TYPES_SEEN.add(name)
    return found


# References already found well formed: a feed names the same markings and producer each time.
_REFS_SEEN: set[tuple[str, str | None]] = set()
# Property names already found well formed, each with what it names (a feed repeats the same
# few dozen): one reference, a list of them, or anything else.
_REF, _REFS, _OTHER = 1, 2, 0
_NAMES_SEEN: dict[str, int] = {}


class StixInvalid(ValueError):
    """An object that cannot be stored, with the property at fault and the reason (marked
    ``N_``, or a :class:`Message`): ``said`` is "field: reason" for a reader's language."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.said = at_field(
            field, reason if isinstance(reason, Message | Sentences) else Message(reason)
        )


class CheckedObject(NamedTuple):
    """What the hub keeps about a valid object besides its JSON (a named tuple: made once per
    object checked, three times cheaper than a frozen dataclass)."""

    stix_id: str
    stix_type: str
    spec_version: str
    version: datetime | None  # modified, else created; None for a SCO (date_added stands in)
    version_text: str | None  # the version as STIX writes it (format_timestamp), for statuses
    revoked: bool
    marking_refs: tuple[str, ...]
    comparisons: tuple[patterns.Comparison, ...]
    sighting_of: str | None
    sighting_count: int | None
    # The TLP markings granular markings apply to parts of the object (see ingest: the hub
    # refuses those stricter than the object's own level, which it does not enforce).
    granular_tlp_refs: tuple[str, ...] = ()


def parse_timestamp(value: object, field: str) -> datetime:
    """An RFC 3339 UTC timestamp as STIX writes it; subsecond digits past six are dropped."""
    if not isinstance(value, str):
        raise StixInvalid(field, N_("must be a timestamp such as 2024-01-31T12:00:00.000Z"))
    parsed = _timestamp(value)
    if isinstance(parsed, str):
        raise StixInvalid(field, parsed)
    return parsed


def check_identifier(value: object, field: str, *, of_type: str | None = None) -> str:
    """``<type>--<UUID>``, with the UUID in RFC 4122 form and, if given, the type expected."""
    if not isinstance(value, str):
        raise StixInvalid(field, _NOT_AN_IDENTIFIER)
    stix_type, separator, unique = value.rpartition("--")
    if (
        not separator
        or (stix_type not in _TYPES_SEEN and not _type(stix_type))
        or not _UUID.match(unique)
    ):
        raise StixInvalid(field, _NOT_AN_IDENTIFIER)
    if of_type is not None and stix_type != of_type:
        raise StixInvalid(
            field, Message(N_("must start with %(type)s-- (the object's type)"), type=of_type)
        )
    return value


def check_object(obj: object) -> CheckedObject:
    """Check one object; raise :class:`StixInvalid` naming the first problem found."""
    if not isinstance(obj, dict):
        raise StixInvalid("object", N_("must be a JSON object"))
    stix_type = obj.get("type")
    if not isinstance(stix_type, str) or (stix_type not in _TYPES_SEEN and not _type(stix_type)):
        raise StixInvalid("type", N_("must be 3-250 characters of a-z, 0-9 and '-'"))
    if stix_type == "bundle":
        raise StixInvalid("type", N_("a bundle is not stored; send its objects"))
    stix_id = check_identifier(obj.get("id"), "id", of_type=stix_type)
    # What the property names decide, found once per type and names (a feed sends a few
    # dozen): the checks below run in the order they always did, on the names present.
    names = (stix_type, *obj)
    plan = _PLANS.get(names)
    if plan is None:
        plan = _plan(names)
    references, common, missing, timestamps = plan
    # "2.1" as nearly all send it, without the call; anything else as _spec_version says.
    sent = obj.get("spec_version")
    spec_version = SPEC_VERSION if sent == SPEC_VERSION else _spec_version(obj, stix_type)
    version, version_text, version_as_sent = _versioning(obj, stix_type)
    if common:
        _common(obj)
    if missing is not None:
        raise StixInvalid(missing, Message(N_("is required on a %(type)s"), type=stix_type))
    # Parsed once: an indicator's valid_from and valid_until, a sighting's first_seen and
    # last_seen are compared below (with the other checks after the references, as always).
    # One that is the version's very text (an indicator's valid_from, mostly) is the version.
    stamps = [
        version
        if version is not None and obj[name] == version_as_sent
        else parse_timestamp(obj[name], name)
        for name in timestamps
    ]
    if references:
        _references(obj, references)
    comparisons = _indicator(obj, stamps) if stix_type == "indicator" else ()
    sighting_of, count = (
        _sighting(obj, dict(zip(timestamps, stamps, strict=True)))
        if stix_type == "sighting"
        else (None, None)
    )
    markings = tuple(obj.get("object_marking_refs", ()))
    revoked = obj.get("revoked") is True
    granular = granular_tlp_refs(obj) if "granular_markings" in obj else ()
    # Positional, in the named tuple's order: half the cost of keywords, once an object.
    return CheckedObject(
        stix_id, stix_type, spec_version, version, version_text, revoked, markings, comparisons,
        sighting_of, count, granular
    )  # fmt: skip


class _Plan(NamedTuple):
    """What an object's type and property names decide about checking it."""

    references: tuple[tuple[str, int], ...]  # reference properties, with their kind
    common: bool  # it has a property _common looks at (absent, each passes)
    missing: str | None  # the first property its type requires that it lacks
    timestamps: tuple[str, ...]  # its properties of TIMESTAMP_PROPERTIES, in that order


# By (type, *property names in the object's order); bounded like the other caches here.
_PLANS: dict[tuple[str, ...], _Plan] = {}
_COMMON = frozenset(
    {"revoked", "confidence", "labels", "external_references", "granular_markings",
     "extensions", "lang"}
)  # fmt: skip


def _plan(names: tuple[str, ...]) -> _Plan:
    # Raises as the name loop always did: on the first ill-formed name, in the object's order.
    stix_type, properties = names[0], names[1:]
    references: list[tuple[str, int]] = []
    for name in properties:
        kind = _NAMES_SEEN.get(name)
        if kind is None:
            kind = _name_kind(name)
        if kind:
            references.append((name, kind))
    present = set(properties)
    plan = _Plan(
        tuple(references),
        not _COMMON.isdisjoint(present),
        next((n for n in REQUIRED.get(stix_type, ()) if n not in present), None),
        tuple(n for n in TIMESTAMP_PROPERTIES if n in present),
    )
    if len(_PLANS) < 4096:
        _PLANS[names] = plan
    return plan


def granular_tlp_refs(obj: Mapping[str, Any]) -> tuple[str, ...]:
    """The TLP marking definitions that an object's granular markings refer to, sorted."""
    found = {
        m.get("marking_ref")
        for m in obj.get("granular_markings", ())
        if isinstance(m, dict) and m.get("marking_ref") in MARKING_LEVELS
    }
    return tuple(sorted(str(r) for r in found))


def _spec_version(obj: dict[str, Any], stix_type: str) -> str:
    value = obj.get("spec_version")
    if value is None and stix_type in SCO_TYPES:
        return SPEC_VERSION  # optional on cyber-observables (STIX 2.1, section 6)
    if value != SPEC_VERSION:
        raise StixInvalid("spec_version", N_('must be "2.1" (the only version this hub stores)'))
    return SPEC_VERSION


def _versioning(
    obj: dict[str, Any], stix_type: str
) -> tuple[datetime, str, str] | tuple[None, None, None]:
    # The version, as STIX writes it, and the text it was parsed from (a timestamp property
    # with that same text is that same instant).
    if stix_type in SCO_TYPES or (stix_type.startswith("x-") and "created" not in obj):
        return None, None, None
    sent: Any = obj.get("created")  # a string once parsed
    created = parse_timestamp(sent, "created")
    if stix_type == "marking-definition":
        if "modified" in obj:
            raise StixInvalid("modified", N_("marking definitions are not versioned"))
        return created, stix_text(sent, created), sent
    # modified is mostly created's very text: one parse of it (the same string, the same value).
    text: Any = obj.get("modified")
    modified = created if text == sent else parse_timestamp(text, "modified")
    if modified < created:
        raise StixInvalid("modified", N_("must not be earlier than created"))
    return modified, stix_text(text, modified), text


def _common(obj: dict[str, Any]) -> None:
    if "revoked" in obj and not isinstance(obj["revoked"], bool):
        raise StixInvalid("revoked", N_("must be true or false"))
    confidence = obj.get("confidence", 0)
    if type(confidence) is not int or not 0 <= confidence <= 100:
        raise StixInvalid("confidence", N_("must be an integer from 0 to 100"))
    for name in ("labels",):
        if name in obj and not _strings(obj[name]):
            raise StixInvalid(name, N_("must be a non-empty list of strings"))
    if "external_references" in obj:
        refs = obj["external_references"]
        if not isinstance(refs, list) or not all(
            isinstance(r, dict) and isinstance(r.get("source_name"), str) for r in refs
        ):
            raise StixInvalid("external_references", N_("each needs a source_name"))
    if "granular_markings" in obj:
        _granular(obj["granular_markings"])
    if "extensions" in obj and not isinstance(obj["extensions"], dict):
        raise StixInvalid("extensions", N_("must be a dictionary"))
    if "lang" in obj:
        check_language(obj["lang"], "lang")


def _granular(granular: object) -> None:
    if not isinstance(granular, list):
        raise StixInvalid("granular_markings", N_("must be a list"))
    for marking in granular:
        if not isinstance(marking, dict) or not _strings(marking.get("selectors")):
            raise StixInvalid("granular_markings", N_("each needs a list of selectors"))
        if "marking_ref" in marking:
            ref = marking["marking_ref"]
            check_identifier(ref, "granular_markings", of_type="marking-definition")
        elif "lang" in marking:
            check_language(marking["lang"], "granular_markings")
        else:
            raise StixInvalid("granular_markings", N_("each needs a marking_ref or a lang"))


def check_language(value: object, field: str) -> str:
    """A language tag as STIX 2.1 requires it (section 3.2, ``lang``): well-formed by RFC 5646."""
    if not isinstance(value, str) or not _LANGUAGE_TAG.match(value):
        raise StixInvalid(field, N_("must be an RFC 5646 language tag such as en or pt-BR"))
    return value


def _name_kind(name: str) -> int:
    """What a property name names (``_REF``, ``_REFS`` or ``_OTHER``), once it is checked."""
    if not _PROPERTY.match(name):
        raise StixInvalid(name, N_("property names are a-z, 0-9 and '_' only"))
    kind = _REF if name.endswith("_ref") else _REFS if name.endswith("_refs") else _OTHER
    if len(_NAMES_SEEN) < 4096:
        _NAMES_SEEN[name] = kind
    return kind


def _references(obj: dict[str, Any], names: tuple[tuple[str, int], ...]) -> None:
    for name, kind in names:
        value = obj[name]
        of_type = _TYPED_REFS.get(name)
        if name.startswith("x_") and value == "":
            # A custom reference left empty: MITRE ATT&CK's deprecated data components carry
            # x_mitre_data_source_ref "" (the bundle is kept whole, see docs/sharing.md).
            continue
        if kind == _REF:
            _reference(value, name, of_type)
        else:
            if not isinstance(value, list) or not value:
                raise StixInvalid(name, N_("must be a non-empty list of identifiers"))
            for item in value:
                _reference(item, name, of_type)


def _reference(value: object, field: str, of_type: str | None) -> None:
    if isinstance(value, str) and (value, of_type) in _REFS_SEEN:
        return
    checked = check_identifier(value, field, of_type=of_type)
    if len(_REFS_SEEN) < 4096:
        _REFS_SEEN.add((checked, of_type))


def _indicator(obj: dict[str, Any], stamps: list[datetime]) -> tuple[patterns.Comparison, ...]:
    # ``stamps`` are the object's TIMESTAMP_PROPERTIES present, in that order, parsed: an
    # indicator has valid_from (required), so it is the first, and valid_until the second.
    valid_from = stamps[0]
    if "valid_until" in obj and stamps[1] <= valid_from:
        raise StixInvalid("valid_until", N_("must be later than valid_from"))
    pattern, pattern_type = obj["pattern"], obj["pattern_type"]
    if not isinstance(pattern, str) or not isinstance(pattern_type, str):
        raise StixInvalid("pattern", N_("pattern and pattern_type must be strings"))
    if pattern_type != "stix":
        return ()  # sigma, yara, snort...: opaque to the hub
    checked = patterns.check(pattern)
    if not checked.valid:
        raise StixInvalid("pattern", Sentences(_problem(e) for e in checked.errors))
    return checked.comparisons


def _problem(error: str) -> str:
    # The grammar's own words ("FAIL: ..."), or a marked sentence (a bound passed) kept whole.
    return error if isinstance(error, Message) else error.removeprefix("FAIL: ")


def _sighting(obj: dict[str, Any], stamps: dict[str, datetime]) -> tuple[str, int]:
    target = obj["sighting_of_ref"]
    kind = target.partition("--")[0]
    if kind in SCO_TYPES or kind in SRO_TYPES or kind in META_TYPES:
        raise StixInvalid("sighting_of_ref", N_("must refer to a domain object (an indicator...)"))
    count = obj.get("count", 1)
    if type(count) is not int or not 0 <= count <= 999_999_999:
        raise StixInvalid("count", N_("must be an integer from 0 to 999999999"))
    seen = [stamps[k] for k in ("first_seen", "last_seen") if k in stamps]
    if len(seen) == 2 and seen[1] < seen[0]:
        raise StixInvalid("last_seen", N_("must not be earlier than first_seen"))
    return target, count


def _strings(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
