"""Traffic Light Protocol 2.0 on STIX 2.1 objects, and who may see each level.

The marking-definition ids are the official ones: TLP 2.0 from the OASIS extension
``extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`` (cti-stix-common-objects),
TLP 1.0 from the STIX 2.1 specification, section 7.2.1.4, mapped to their 2.0 successors
(WHITE became CLEAR; GREEN, AMBER and RED kept their meaning).

The visibility rule is one table, :data:`AUDIENCE`: for each level, the relations a reader may
have to an object that let it see the object. :func:`visible` reads it for one object, and
``accord.sharing.visibility`` turns the same table into a SQL filter, so that pages and counts
are computed over visible rows only.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping


class Tlp(enum.StrEnum):
    """The five TLP 2.0 levels, from the least to the most restrictive."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"


TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

TLP2_MARKINGS: Mapping[Tlp, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

TLP1_MARKINGS: Mapping[str, Tlp] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,  # TLP:WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,
}

MARKING_LEVELS: Mapping[str, Tlp] = {
    **{ref: level for level, ref in TLP2_MARKINGS.items()},
    **TLP1_MARKINGS,
}

_RANK = {level: rank for rank, level in enumerate(Tlp)}


def most_restrictive(levels: Iterable[Tlp]) -> Tlp | None:
    """The tightest of ``levels`` (an object marked twice is handled as the stricter)."""
    found = list(levels)
    return max(found, key=_RANK.__getitem__) if found else None


def level_of(marking_refs: Iterable[str], *, default: Tlp) -> Tlp:
    """The TLP level of an object from its marking references, else the collection's default.

    References to other markings (statements, custom ones) do not change the level.
    """
    level = most_restrictive(MARKING_LEVELS[r] for r in marking_refs if r in MARKING_LEVELS)
    return default if level is None else level


class Relation(enum.StrEnum):
    """How a reader stands to one object."""

    PRODUCER = "producer"  # a member of the organization that shared it
    RECIPIENT_ORG = "recipient_org"  # a member of an organization named when it was shared
    RECIPIENT_GROUP = "recipient_group"  # a member of a sharing group named then
    COMMUNITY = "community"  # a member of any organization of the hub
    ANYONE = "anyone"  # whoever may read the collection, signed in or not


AUDIENCE: Mapping[Tlp, frozenset[Relation]] = {
    # CLEAR: everyone allowed to read the collection.
    Tlp.CLEAR: frozenset(Relation),
    # GREEN: the community, i.e. the member organizations, not the public.
    Tlp.GREEN: frozenset(
        {Relation.PRODUCER, Relation.RECIPIENT_ORG, Relation.RECIPIENT_GROUP, Relation.COMMUNITY}
    ),
    # AMBER: the organizations and sharing groups named when it was shared.
    Tlp.AMBER: frozenset({Relation.PRODUCER, Relation.RECIPIENT_ORG, Relation.RECIPIENT_GROUP}),
    # AMBER+STRICT: the producing organization alone.
    Tlp.AMBER_STRICT: frozenset({Relation.PRODUCER}),
    # RED: named recipients only: organizations named one by one, not whole groups.
    Tlp.RED: frozenset({Relation.PRODUCER, Relation.RECIPIENT_ORG}),
}


def visible(level: Tlp, relations: Iterable[Relation]) -> bool:
    """Whether a reader standing in ``relations`` to an object of ``level`` may see it."""
    return not AUDIENCE[level].isdisjoint(relations)


def levels_for(relation: Relation) -> frozenset[Tlp]:
    """Every level that ``relation`` alone lets a reader see."""
    return frozenset(level for level, who in AUDIENCE.items() if relation in who)
