"""The top of the case page: the vendors' answers at a glance and what waits on whom.

Built from what the page has already read (the vendors' rows), so it costs no query. The
rules follow the inbox's "waiting on me" view (``inbox._waiting``): a vendor with no reply
owes its answer; a vendor that may be affected owes its acceptance of the embargo proposed
(or, with none proposed, of the one in force); a report owes its triage; an open case whose
embargo has passed, or whose vendors that may be affected all agreed to publish earlier, owes
its publication.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from accord.clock import utcnow
from accord.disclosure.models import CaseStatus, DisclosureCase, VendorStatus
from accord.disclosure.schemas import VendorRead

# Names listed in a sentence before "and N more".
NAMED = 5


@dataclass(frozen=True)
class Names:
    """Vendors owing something: the first few by name, and how many in all."""

    first: list[str] = field(default_factory=list)
    count: int = 0

    @property
    def more(self) -> int:
        """How many are not named."""
        return self.count - len(self.first)


def _names(names: list[str]) -> Names:
    return Names(names[:NAMED], len(names))


@dataclass(frozen=True)
class Glance:
    """The vendors' answers counted by status, and what waits on whom."""

    counts: list[tuple[VendorStatus, int]]
    triage: bool = False  # a report waits for its triage
    answers: Names = Names()  # vendors that have not answered
    acceptances: Names = Names()  # vendors that have not accepted the embargo asked
    propose: bool = False  # an open case with no embargo proposed or in force
    publish: bool = False  # the embargo has passed: publication waits
    yours: list[str] = field(default_factory=list)  # "answer", "embargo" owed by the viewer

    @property
    def nothing(self) -> bool:
        """Nothing waits on anyone."""
        return (
            not (self.triage or self.answers.count or self.acceptances.count or self.propose)
            and not self.publish
        )


def glance(case: DisclosureCase, vendors: list[VendorRead], mine: list[str]) -> Glance:
    """The overview of ``case`` over its ``vendors``; ``mine``: the viewer's vendor slugs."""
    counted = Counter(v.status for v in vendors)
    counts = [(s, counted[s]) for s in VendorStatus if counted[s]]
    if case.status is CaseStatus.REPORTED:
        return Glance(counts, triage=True)
    if case.status is not CaseStatus.OPEN:
        return Glance(counts)
    silent = [v for v in vendors if v.status is VendorStatus.NO_REPLY]
    asked = case.embargo_proposed_at or case.embargo_at
    pending = []
    if asked is not None:
        pending = [
            v
            for v in vendors
            if v.status is not VendorStatus.NOT_AFFECTED
            and not (v.proposal_accepted if case.embargo_proposed_at else v.embargo_accepted)
        ]
    yours = []
    if any(v.organization in mine for v in silent):
        yours.append("answer")
    if any(v.organization in mine for v in pending):
        yours.append("embargo")
    # As embargo.check_publishable: the embargo has passed, or every vendor that may be
    # affected agreed to publish earlier (and someone is affected, so there is a product).
    holding = [v for v in vendors if v.status is not VendorStatus.NOT_AFFECTED]
    early = bool(holding) and all(v.release_agreed for v in holding)
    passed = case.embargo_at is not None and case.embargo_at <= utcnow()
    return Glance(
        counts,
        answers=_names([v.name for v in silent]),
        acceptances=_names([v.name for v in pending]),
        propose=asked is None and not early,
        publish=passed or early,
        yours=yours,
    )
