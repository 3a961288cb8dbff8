"""OSV documents: timestamps, the canonical JSON form, and records the hub writes itself.

A stored record is its RFC 8785 (JCS) serialization: one byte string per version, so that a
digest of it (for the transparency log) is the same on every hub that stores it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jcs

from accord.advisories.errors import BadRecord
from accord.errors import N_, Message

SCHEMA_VERSION = "1.7.5"


def canonical(record: dict[str, Any]) -> str:
    """The record as RFC 8785 canonical JSON."""
    return bytes(jcs.canonicalize(record)).decode("utf-8")


def sha256(text: str) -> str:
    """Hex SHA-256 of the UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC ending in ``Z``, as OSV requires (microseconds kept)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str, *, field: str) -> datetime:
    """An OSV timestamp as an aware datetime (fractions beyond microseconds are cut)."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    head, dot, rest = value.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        value = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadRecord(
            Message(N_("%(field)s: not an RFC 3339 timestamp: %(text)r"), field=field, text=text),
            field=field,
        ) from None
    if moment.tzinfo is None:
        raise BadRecord(
            Message(
                N_("%(field)s: the timestamp has no time zone: %(text)r"), field=field, text=text
            ),
            field=field,
        )
    return moment.astimezone(UTC)


def next_modified(previous: datetime | None, now: datetime) -> datetime:
    """A ``modified`` time later than the previous one even if the clock has not moved on."""
    if previous is not None and now <= previous:
        return previous + timedelta(microseconds=1)
    return now


def loads(text: str) -> dict[str, Any]:
    """A stored JSON document back as a dict."""
    loaded: dict[str, Any] = json.loads(text)
    return loaded
