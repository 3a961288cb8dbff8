"""What a figure is: its id, how it reads, the records it comes from, and its computation.

The figures themselves are listed by group in ``figures_disclosure.py``,
``figures_advisories.py``, ``figures_sharing.py`` and ``figures_registry.py``;
:mod:`accord.accountability.figures` gathers them into the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accord.accountability.measures import Figure
from accord.accountability.periods import Period
from accord.accountability.rows import Records
from accord.web.i18n import N_


@dataclass(frozen=True)
class Definition:
    """A figure's id, how it reads, and how it is computed."""

    id: str
    group: str  # disclosure, advisories, sharing, registry
    title: str
    unit: str  # count, hours, share, yes/no, counts by TLP
    parts: tuple[str, ...]  # the definition's sentences, each translated apart
    compute: Callable[[Records, Period], Figure]
    sortable: bool = True
    # The records it reads, named as the methods page names them; by group unless given.
    sources: tuple[str, ...] = ()

    @property
    def reads(self) -> tuple[str, ...]:
        """The sources of the figure: the hub's own records, or what signatories publish
        elsewhere as the registry's scheduled checks found it."""
        return self.sources or SOURCES_BY_GROUP[self.group]

    @property
    def text(self) -> str:
        """The definition, in English (the API's and the reports' text)."""
        return " ".join(self.parts)


# Where each group's figures come from. "Checks" are what signatories publish on their own
# sites (security.txt, the policy page, CSAF provider metadata), fetched by the hub.
SOURCES_BY_GROUP: dict[str, tuple[str, ...]] = {
    "disclosure": (N_("the hub's disclosure cases (vendors' statuses, messages, embargoes)"),),
    "advisories": (N_("the advisories published on the hub"),),
    "sharing": (N_("the objects shared on the hub and its TAXII server's deliveries"),),
    "registry": (N_("the registry's scheduled checks of what signatories publish"),),
}
