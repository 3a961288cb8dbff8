"""Labels and tags as MISP taxonomies write them: ``namespace:predicate="value"``.

A tag is a *machine tag* when it has a namespace (``tlp:amber``, ``PAP:GREEN``,
``admiralty-scale:source-reliability="b"``). The taxonomies the hub knows (TLP, PAP, the
admiralty scale) are checked strictly: a predicate or value they do not define is an error
of that one item (``tlp:purple`` is a mistake, not a new level). A tag of a namespace the hub
does not know (``circl:incident-classification="malware"``, ``misp-galaxy:...``) is kept as
a *free label*, word for word: the hub shows it and passes it on, and claims nothing about it.
A tag without a namespace is a free label too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from accord.errors import N_, InvalidInput, Message

# namespace:predicate or namespace:predicate="value" (MISP taxonomies' machine-tag triple).
_MACHINE_TAG = re.compile(
    r'^(?P<namespace>[A-Za-z0-9_.+-]+):(?P<predicate>[^="]+?)(?:="(?P<value>[^"]*)")?$'
)
# A MITRE ATT&CK technique id (enterprise, mobile, ICS), sub-techniques included.
TECHNIQUE = re.compile(r"\b(T\d{4}(?:\.\d{3})?)\b")


@dataclass(frozen=True)
class Taxonomy:
    """One taxonomy the hub knows: its namespace and, per predicate, the values it allows
    (an empty set: the predicate takes no value)."""

    namespace: str
    title: str
    predicates: dict[str, frozenset[str]]
    case_insensitive: bool = False


KNOWN: dict[str, Taxonomy] = {
    t.namespace.lower(): t
    for t in (
        Taxonomy(
            "tlp",
            "Traffic Light Protocol",
            {p: frozenset() for p in ("clear", "white", "green", "amber", "amber+strict", "red")},
        ),
        Taxonomy(
            "PAP",
            "Permissible Actions Protocol",
            {p: frozenset() for p in ("CLEAR", "WHITE", "GREEN", "AMBER", "RED")},
            case_insensitive=True,
        ),
        Taxonomy(
            "admiralty-scale",
            "Admiralty scale (NATO source reliability and information credibility)",
            {
                "source-reliability": frozenset("abcdefg"),
                "information-credibility": frozenset("123456"),
            },
        ),
    )
}
# What each admiralty grade means (the taxonomy's own words, shortened).
ADMIRALTY = {
    "a": "Completely reliable",
    "b": "Usually reliable",
    "c": "Fairly reliable",
    "d": "Not usually reliable",
    "e": "Unreliable",
    "f": "Reliability cannot be judged",
    "g": "Deliberately deceptive",
    "1": "Confirmed by other sources",
    "2": "Probably true",
    "3": "Possibly true",
    "4": "Doubtful",
    "5": "Improbable",
    "6": "Truth cannot be judged",
}


@dataclass(frozen=True)
class Label:
    """A label as the hub understands it: a known taxonomy's tag, or a free label."""

    text: str
    namespace: str | None = None
    predicate: str | None = None
    value: str | None = None
    known: bool = False

    @property
    def meaning(self) -> str:
        """What a known tag says, in words (the admiralty grades), else ""."""
        if self.namespace == "admiralty-scale" and self.value:
            return ADMIRALTY.get(self.value, "")
        return ""


class UnknownTag(InvalidInput):
    """A tag of a known taxonomy that the taxonomy does not define."""


def parse(tag: str) -> Label:
    """The label ``tag`` is; raise :class:`UnknownTag` for a known taxonomy's undefined tag."""
    text = tag.strip()
    if not text:
        raise UnknownTag(N_("a tag must not be empty"), field="tag")
    if len(text) > 500:
        raise UnknownTag(
            Message(N_("tag %(text)r...: longer than 500 characters"), text=text[:40]), field="tag"
        )
    found = _MACHINE_TAG.match(text)
    if found is None:
        return Label(text=text)
    namespace, predicate, value = found["namespace"], found["predicate"], found["value"]
    taxonomy = KNOWN.get(namespace.lower())
    if taxonomy is None:
        return Label(text=text, namespace=namespace, predicate=predicate, value=value)
    wanted = predicate.upper() if taxonomy.case_insensitive else predicate.lower()
    if wanted not in taxonomy.predicates:
        allowed = ", ".join(sorted(taxonomy.predicates))
        raise UnknownTag(
            Message(
                N_(
                    "tag %(text)r: the %(namespace)s taxonomy has no %(predicate)r (it has "
                    "%(allowed)s)"
                ),
                text=text,
                namespace=taxonomy.namespace,
                predicate=predicate,
                allowed=allowed,
            ),
            field="tag",
        )
    values = taxonomy.predicates[wanted]
    if values and (value is None or value.lower() not in values):
        raise UnknownTag(
            Message(
                N_("tag %(text)r: %(namespace)s:%(wanted)s takes one of %(values)s"),
                text=text,
                namespace=taxonomy.namespace,
                wanted=wanted,
                values=", ".join(sorted(values)),
            ),
            field="tag",
        )
    if not values and value is not None:
        raise UnknownTag(
            Message(
                N_("tag %(text)r: %(namespace)s:%(wanted)s takes no value"),
                text=text,
                namespace=taxonomy.namespace,
                wanted=wanted,
            ),
            field="tag",
        )
    return Label(
        text=text,
        namespace=taxonomy.namespace,
        predicate=wanted,
        value=value.lower() if value is not None else None,
        known=True,
    )


def read(tags: list[str]) -> list[Label]:
    """Labels for display: a known taxonomy's undefined tag is shown as a free label (what
    came through TAXII is shown as received; checking is for what the hub is asked to add)."""
    labels = []
    for tag in tags:
        try:
            labels.append(parse(tag))
        except UnknownTag:
            labels.append(Label(text=tag.strip()))
    return labels


def tlp_of(labels: list[Label]) -> str | None:
    """The TLP level a list of tags names (the most restrictive), as ``sharing.tlp`` spells
    it (TLP:WHITE is CLEAR, AMBER+STRICT counts as AMBER); None if none names one."""
    order = ["clear", "green", "amber", "red"]
    found = [
        {"white": "clear", "amber+strict": "amber"}.get(label.predicate or "", label.predicate)
        for label in labels
        if label.known and label.namespace == "tlp"
    ]
    levels = [f for f in found if f in order]
    return max(levels, key=order.index) if levels else None


def techniques_in(text: str) -> list[str]:
    """The ATT&CK technique ids named in ``text`` (a tag, a galaxy cluster's name)."""
    return TECHNIQUE.findall(text)
