"""What public figures may read: what is public, and private records only in aggregates of
at least :data:`THRESHOLD`.

Every per-signatory figure is public. Computed over a vendor's unpublished cases, it told
anyone that a report had reached the vendor while nothing of the case was public ("reports
received: 1" for its one open case); broken down by TLP, how many TLP:RED objects it shares.
So, per signatory and period:

- an unpublished case counts only while the signatory's records of the period hold at least
  :data:`THRESHOLD` unpublished cases; fewer are left out (a published case always counts);
- objects marked above TLP:CLEAR are merged into one ``restricted`` group, counted only when
  it holds at least :data:`THRESHOLD` objects; fewer are left out.

Hub-wide aggregates are sums of these, so they inherit the rule. docs/accountability.md says
the same for readers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from accord.accountability.bounds import PRIVATE
from accord.accountability.rows import SharedCount, VendorCase, counted

THRESHOLD = 5
RESTRICTED = "restricted"
CLEAR = "CLEAR"


def vendor_cases(rows: Sequence[VendorCase]) -> list[VendorCase]:
    """The cases public figures may read: published ones, and unpublished ones of a
    signatory that has at least :data:`THRESHOLD` of them."""
    private: dict[int, set[str]] = defaultdict(set)
    for row in rows:
        if not row.public:
            private[row.org_id].add(row.ref)
    return [r for r in rows if r.public or len(private[r.org_id]) >= THRESHOLD]


def objects(rows: Sequence[SharedCount]) -> list[SharedCount]:
    """The TLP:CLEAR groups as they are, and per signatory one ``restricted`` group of every
    other marking when it holds at least :data:`THRESHOLD` objects."""
    found = [r for r in rows if r.tlp == CLEAR]
    restricted: dict[int, list[SharedCount]] = defaultdict(list)
    for row in rows:
        if row.tlp != CLEAR:
            restricted[row.org_id].append(row)
    for org_id, group in sorted(restricted.items()):
        count = sum(r.count for r in group)
        if count < THRESHOLD:
            continue
        found.append(
            SharedCount(
                ref=counted(f"{PRIVATE}objects:{RESTRICTED}", count),
                org_id=org_id,
                tlp=RESTRICTED,
                count=count,
                first_added=min(r.first_added for r in group),
                last_added=max(r.last_added for r in group),
            )
        )
    return found
