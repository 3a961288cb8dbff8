"""The parts every MISP item shares, read for :mod:`accord.sharing.misp_convert`.

An event, an attribute and a MISP object each carry a uuid, a timestamp, tags and a
distribution; a sighting is a STIX object of its own. Each is read here the same way for
every kind of item, problems appended to the caller's list (the import names every problem
at once, so nothing here raises).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from accord.errors import N_, Message
from accord.sharing import taxonomies
from accord.sharing.stix_validation import format_timestamp
from accord.sharing.tlp import TLP2_MARKINGS, Tlp

_NAMESPACE = uuid.UUID("6f1c5d4e-2f0a-4c53-9a51-6d6973702e68")  # ids for items without a uuid
DISTRIBUTION_TLP = {0: Tlp.RED, 1: Tlp.AMBER, 2: Tlp.GREEN, 3: Tlp.CLEAR, 4: Tlp.AMBER}
TLP_DISTRIBUTION = {Tlp.RED: 0, Tlp.AMBER_STRICT: 0, Tlp.AMBER: 1, Tlp.GREEN: 2, Tlp.CLEAR: 3}


def item_uuid(value: Any, *, seed: str) -> str:
    """The item's own uuid, else one derived from ``seed`` (the same on every import)."""
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    return str(uuid.uuid5(_NAMESPACE, seed))


def stamp(value: Any, fallback: datetime) -> str:
    """A STIX timestamp from MISP's epoch seconds (a string or a number), else ``fallback``."""
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return format_timestamp(fallback)
    if not 0 < seconds < 32_503_680_000:
        return format_timestamp(fallback)
    return format_timestamp(datetime.fromtimestamp(seconds, UTC))


def tags_of(
    item: Mapping[str, Any], where: str, problems: list[str], notices: list[str]
) -> list[str]:
    """The item's tags as labels, checked as taxonomies (see :mod:`misp_convert`)."""
    names = []
    for index, tag in enumerate(item.get("Tag") or []):
        name = tag.get("name") if isinstance(tag, dict) else None
        if not isinstance(name, str):
            problems.append(
                Message(
                    N_("%(where)s, tag %(number)s: a tag needs a name"),
                    where=where,
                    number=index + 1,
                )
            )
            continue
        try:
            label = taxonomies.parse(name)
        except taxonomies.UnknownTag as exc:
            problems.append(Message(N_("%(where)s: %(problem)s"), where=where, problem=exc.message))
            continue
        names.append(label.text)
        if label.namespace is not None and not label.known:
            notices.append(
                Message(
                    N_("%(where)s: tag %(tag)r is of a taxonomy this hub does not know "
                       "(%(namespace)r); it was kept as a free label"),
                    where=where,
                    tag=label.text,
                    namespace=label.namespace,
                )
            )  # fmt: skip
    return names


def distribution_of(value: Any, where: str, problems: list[str]) -> int | None:
    """The item's distribution (0 to 5), or None when it names none."""
    if value is None or value == "":
        return None
    try:
        found = int(value)
    except (TypeError, ValueError):
        found = -1
    if not 0 <= found <= 5:
        problems.append(
            Message(
                N_("%(where)s: distribution %(value)r is not one of 0 to 5"),
                where=where,
                value=value,
            )
        )
        return None
    return found


def marking(tags: list[str], distribution: int | None, inherited: Tlp) -> Tlp:
    """The item's TLP: a ``tlp:`` tag's, else its distribution's, else ``inherited``."""
    named = taxonomies.tlp_of(taxonomies.read(tags))
    if named is not None:
        return Tlp(named)
    if distribution is None or distribution == 5:
        return inherited
    return DISTRIBUTION_TLP[distribution]


def verb(text: str) -> str:
    """A MISP relationship type as a STIX one (lower-case words joined by hyphens)."""
    cleaned = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    return cleaned[:250] or "related-to"


def sighting(seen: Any, target: str, seed: str, level: Tlp, now: datetime) -> dict[str, Any] | None:
    """A MISP sighting of ``target`` as a STIX ``sighting``; None if it is not one."""
    if not isinstance(seen, dict):
        return None
    when = stamp(seen.get("date_sighting") or seen.get("timestamp"), now)
    return {
        "type": "sighting",
        "spec_version": "2.1",
        "id": f"sighting--{item_uuid(seen.get('uuid'), seed=seed)}",
        "created": when,
        "modified": when,
        "first_seen": when,
        "last_seen": when,
        "count": 1,
        "sighting_of_ref": target,
        "object_marking_refs": [TLP2_MARKINGS[level]],
        "x_misp_sighting": seen,
    }
