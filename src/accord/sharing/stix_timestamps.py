"""STIX 2.1 timestamps: read (RFC 3339 in UTC, as STIX writes them) and written back.

Apart from :mod:`.stix_validation`, which raises its refusal from what :func:`read_timestamp`
answers and gives these names as it always did.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

from accord.errors import N_, Message

_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z\Z")
# The same form without its groups, for the check every timestamp passes: a third faster (the
# groups are read only when fromisoformat refuses, see read_timestamp).
_FORM = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\Z")


@functools.lru_cache(maxsize=4096)
def read_timestamp(value: str) -> datetime | str:
    # Cached: an object's created, modified and valid_from are often the same string, and the
    # objects of one envelope often share theirs. 4,096 strings (under 1 MB) cover that; at
    # 65,536 a feed of distinct timestamps filled 12 MB a process (docs/benchmarks.md, soak).
    if _FORM.match(value) is None:
        return N_("must be a timestamp such as 2024-01-31T12:00:00.000Z")
    try:
        # The form is the one checked above; fromisoformat reads it in one call, a third of
        # the cost of building it from the groups (tests/sharing/test_validation.py holds the
        # two to the same value). Past the sixth digit, both drop the fraction's digits.
        return datetime.fromisoformat(value)
    except ValueError:
        # Which part is out of range (February 30th, second 60), or digits fromisoformat
        # does not read (\d is any Unicode digit, as it always was here).
        match = _TIMESTAMP.match(value)
        assert match is not None  # the same form, with groups
        return _from_groups(match)


def _from_groups(match: re.Match[str]) -> datetime | str:
    year, month, day, hour, minute, second, fraction = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=UTC
        )
    except ValueError as exc:
        return Message(N_("is not a real date and time (%(detail)s)"), detail=str(exc))


def format_timestamp(value: datetime) -> str:
    """A timestamp as STIX writes it: UTC, ``Z``, milliseconds unless finer precision exists."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # isoformat, not strftime: a fifth of the cost (one per object in a status resource), and
    # years before 1000 keep their four digits.
    text = value.replace(tzinfo=None).isoformat(timespec="microseconds")
    return (text[:-3] if text.endswith("000") else text) + "Z"


def stix_text(text: str, value: datetime) -> str:
    """``format_timestamp(value)`` of a timestamp parsed from ``text``: ``text`` itself when it
    already has that form (milliseconds, or microseconds not ending in 000), as most do."""
    if len(text) == 24 or (len(text) == 27 and not text.endswith("000Z")):
        return text
    return format_timestamp(value)
