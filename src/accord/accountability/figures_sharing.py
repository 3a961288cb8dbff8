"""The sharing figures: the objects a signatory shares and how others read them.

Part of the registry of :mod:`accord.accountability.figures`, in its order.
"""

from __future__ import annotations

from accord.accountability.definition import Definition
from accord.accountability.measures import (
    objects_by_tlp,
    objects_pulled,
    objects_shared,
    pulling_organizations,
    sightings_received,
)
from accord.web.i18n import N_

_PULLS = N_(
    "Deliveries by the hub's TAXII server (GET of a collection's objects or of one object, "
    "federation pulls by other hubs' accounts included) of object versions the signatory "
    "produced to signed-in readers of other organizations, counted per UTC day; version "
    "lists, manifests, anonymous readers and the signatory's own members are not counted. "
    "A reader in several organizations counts for one of them. Each web process counts in "
    "memory and stores its counts every few seconds: a process killed without warning loses "
    "its last unstored seconds."
)

SHARING: tuple[Definition, ...] = (
    Definition(
        "objects_shared",
        "sharing",
        N_("Objects shared"),
        "count",
        (
            N_(
                "STIX objects the signatory produced whose first version was added to a hub "
                "collection within the period; objects pulled from other servers are not "
                "counted."
            ),
        ),
        objects_shared,
    ),
    Definition(
        "objects_shared_by_tlp",
        "sharing",
        N_("Objects shared by TLP"),
        "counts by TLP",
        (N_("The objects shared, counted by their TLP 2.0 marking."),),
        objects_by_tlp,
        sortable=False,
    ),
    Definition(
        "sightings_received",
        "sharing",
        N_("Sightings received"),
        "count",
        (
            N_(
                "STIX sightings added within the period by other organizations of objects the "
                "signatory produced."
            ),
        ),
        sightings_received,
    ),
    Definition(
        "objects_pulled",
        "sharing",
        N_("Objects pulled by others"),
        "count",
        (
            _PULLS,
            N_(
                "The figure is the number of object versions delivered on the days of the "
                "period; the same object delivered twice counts twice."
            ),
        ),
        objects_pulled,
    ),
    Definition(
        "pulling_organizations",
        "sharing",
        N_("Organizations pulling"),
        "count",
        (
            _PULLS,
            N_(
                "The figure is the number of distinct reader organizations those deliveries "
                "went to."
            ),
        ),
        pulling_organizations,
    ),
)
