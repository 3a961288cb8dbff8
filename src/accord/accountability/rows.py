"""The records figures are computed from, as plain immutable values.

``collect.py`` reads them from the database; tests build them by hand. Every time is an aware
datetime. A record is named for the methods page and the links behind a figure by a
:class:`RecordRef` such as ``case:ACCORD-2026-0001`` or ``advisory:ACCORD-2026-0001``.

Shared objects and sightings come by the million, so they are read as counts, not one by one:
a :class:`SharedCount` or :class:`SightingCount` stands for many records, and its ref names
the group with how many it holds after a ``*`` (``objects:CLEAR*1250``, see :func:`counted`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

RecordRef = str

# Between a group's name and how many records it stands for: no ref kind uses it otherwise
# (STIX ids, OSV ids, case refs and row ids never contain it).
TIMES = "*"


def counted(ref: RecordRef, count: int) -> RecordRef:
    """The ref of a group of ``count`` records named ``ref``: ``objects:CLEAR*1250``."""
    return f"{ref}{TIMES}{count}"


def weight(ref: RecordRef) -> int:
    """How many records ``ref`` stands for: a group's count, else 1."""
    _, times, count = ref.rpartition(TIMES)
    return int(count) if times and count.isascii() and count.isdigit() else 1


@dataclass(frozen=True)
class StatusChange:
    """A vendor's stated status at a moment (the case history's ``status_changed`` event)."""

    at: datetime
    status: str  # a disclosure VendorStatus value


@dataclass(frozen=True)
class VendorCase:
    """One signatory taking part in one disclosure case as a vendor."""

    ref: RecordRef
    org_id: int
    notified_at: datetime  # when the hub told the vendor (CaseVendor.invited_at)
    statuses: tuple[StatusChange, ...] = ()
    messages_at: tuple[datetime, ...] = ()  # messages written by the vendor's members
    embargo_at: datetime | None = None
    embargo_accepted: bool = False  # the vendor accepted the embargo now set
    release_agreed: bool = False
    case_ref: str = ""  # the ACCORD id an advisory names the case by
    published_at: datetime | None = None  # the case's publication as an advisory
    public: bool = False  # the case is published: anyone may follow the link


@dataclass(frozen=True)
class AdvisoryRow:
    """An advisory a signatory published on the hub."""

    ref: RecordRef
    org_id: int
    first_published_at: datetime  # the first version's publication on the hub
    tlp: str
    has_fixed_version: bool  # an OSV range event "fixed" (a machine-readable fix version)
    aliases: tuple[str, ...] = ()
    public: bool = True


@dataclass(frozen=True)
class ProviderAdvisoryRow:
    """An advisory a signatory published on its own CSAF provider, read by the hub's
    aggregator (``aggregation``): released by the provider at ``released_at`` (the CSAF
    document's ``initial_release_date``), first read by the hub at ``seen_at``."""

    ref: RecordRef
    org_id: int
    released_at: datetime
    seen_at: datetime
    public: bool = True


@dataclass(frozen=True)
class SharedCount:
    """How many first versions of STIX objects of one TLP a signatory shared (not pulled
    from a remote), added from ``first_added`` to ``last_added`` (both included)."""

    ref: RecordRef  # the group, with its count: see counted()
    org_id: int
    tlp: str
    count: int
    first_added: datetime
    last_added: datetime


@dataclass(frozen=True)
class SightingCount:
    """How many sightings other organizations reported of objects the signatory shared,
    added from ``first_added`` to ``last_added`` (both included)."""

    ref: RecordRef  # the group, with its count: see counted()
    org_id: int  # the signatory whose objects were sighted
    count: int
    first_added: datetime
    last_added: datetime


@dataclass(frozen=True)
class SecurityTxtCheckRow:
    """One check of the signatory's security.txt by the hub."""

    ref: RecordRef
    org_id: int
    fetched_at: datetime
    ok: bool
    expires_at: datetime | None


@dataclass(frozen=True)
class ReachCheckRow:
    """One check by the hub that the signatory's disclosure policy or CSAF provider metadata
    is reachable (``kind`` "policy" or "csaf")."""

    ref: RecordRef
    org_id: int
    kind: str
    fetched_at: datetime
    ok: bool
    # A policy page that stated safe harbour (registry/policy_text.py found the sentence).
    safe_harbour: bool = False


@dataclass(frozen=True)
class DeliveryRow:
    """How many of the signatory's object versions readers of one other organization pulled
    on one UTC day (TAXII GETs of objects, federation pulls included)."""

    ref: RecordRef
    org_id: int  # the producer
    reader_org_id: int
    day: date
    objects: int


@dataclass(frozen=True)
class Records:
    """Everything one signatory's figures read."""

    vendor_cases: tuple[VendorCase, ...] = ()
    advisories: tuple[AdvisoryRow, ...] = ()
    # Released on the signatory's own CSAF provider and read by the aggregator.
    provider_advisories: tuple[ProviderAdvisoryRow, ...] = ()
    objects: tuple[SharedCount, ...] = ()
    sightings: tuple[SightingCount, ...] = ()
    checks: tuple[SecurityTxtCheckRow, ...] = field(default=())
    reach_checks: tuple[ReachCheckRow, ...] = ()
    deliveries: tuple[DeliveryRow, ...] = ()
    # The goals of the hub's campaigns started before the period's end (campaigns/goals.py),
    # the same for every signatory: what "campaign goals met" counts against.
    campaign_goals: tuple[str, ...] = ()
