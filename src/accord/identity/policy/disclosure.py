"""Coordinated disclosure: how a party stands to a case, which messages it reads and
writes, and which of the case's steps it may take."""

from __future__ import annotations

from dataclasses import dataclass

from accord.identity.policy.actions import SYSTEM, Actor


@dataclass(frozen=True)
class CaseStanding:
    """How one party stands to one disclosure case.

    ``vendor_org_ids`` are the actor's organizations that take part in the case as vendors;
    the reporter holds no account and is known by the case's private link alone.
    """

    coordinator: bool = False
    vendor_org_ids: frozenset[int] = frozenset()
    reporter: bool = False

    @property
    def participant(self) -> bool:
        """Whether the party takes part in the case at all (else it must not learn of it)."""
        return self.coordinator or self.reporter or bool(self.vendor_org_ids)


REPORTER = CaseStanding(reporter=True)


def is_coordinator(actor: Actor, *, coordinator_org_id: int | None) -> bool:
    """Coordinators: the hub's operators, and members of the coordinating organization."""
    if not actor.is_authenticated and actor is not SYSTEM:
        return False
    return actor.is_operator or (
        coordinator_org_id is not None and coordinator_org_id in actor.roles
    )


def case_standing(
    actor: Actor, *, case_vendor_org_ids: frozenset[int], coordinator_org_id: int | None
) -> CaseStanding:
    """The standing of a signed-in actor in a case whose vendors are ``case_vendor_org_ids``."""
    if not actor.is_authenticated and actor is not SYSTEM:
        return CaseStanding()
    return CaseStanding(
        coordinator=is_coordinator(actor, coordinator_org_id=coordinator_org_id),
        vendor_org_ids=case_vendor_org_ids & frozenset(actor.roles),
    )


@dataclass(frozen=True)
class MessageReach:
    """Which messages one standing reads: the one rule both Python and SQL apply.

    ``every``: all of them (coordinators). Otherwise the messages whose audience is in
    ``audiences``, and the ``vendor`` messages addressed to one of ``vendor_org_ids``.
    """

    every: bool = False
    audiences: frozenset[str] = frozenset()
    vendor_org_ids: frozenset[int] = frozenset()


def message_reach(standing: CaseStanding) -> MessageReach:
    """Who reads what: coordinators read everything; a vendor never reads another vendor's
    private messages; the reporter reads what is addressed to everyone or to the reporter.
    ``may_see_message`` and ``accord.disclosure.messages.visible`` both read this."""
    if standing.coordinator:
        return MessageReach(every=True)
    audiences: set[str] = set()
    if standing.participant:
        audiences.add("all")
    if standing.reporter:
        audiences.add("reporter")
    if standing.vendor_org_ids:
        audiences.add("vendors")
    return MessageReach(audiences=frozenset(audiences), vendor_org_ids=standing.vendor_org_ids)


def may_see_message(standing: CaseStanding, *, audience: str, vendor_org_id: int | None) -> bool:
    """Whether ``standing`` may read a message (or history entry) for ``audience``."""
    reach = message_reach(standing)
    if reach.every or audience in reach.audiences:
        return True
    return audience == "vendor" and vendor_org_id in reach.vendor_org_ids


def may_post_message(standing: CaseStanding, *, audience: str, vendor_org_id: int | None) -> bool:
    """Whether ``standing`` may write to ``audience``: exactly the audiences it may read."""
    return may_see_message(standing, audience=audience, vendor_org_id=vendor_org_id)


def narrows(
    *, audience: str, vendor_org_id: int | None, parent: str, parent_vendor_org_id: int | None
) -> bool:
    """Whether every reader of a message to (``audience``, ``vendor_org_id``) also reads its
    parent: a reply may keep its thread's audience or narrow it, never widen it.

    Decided by ``may_see_message`` itself over one standing of each kind: a coordinator, the
    reporter, a member of each vendor named, and a vendor named by neither.
    """
    named = {v for v in (vendor_org_id, parent_vendor_org_id) if v is not None}
    stranger = max(named, default=0) + 1
    standings = [CaseStanding(coordinator=True), REPORTER] + [
        CaseStanding(vendor_org_ids=frozenset({org})) for org in (*sorted(named), stranger)
    ]
    return all(
        may_see_message(s, audience=parent, vendor_org_id=parent_vendor_org_id)
        for s in standings
        if may_see_message(s, audience=audience, vendor_org_id=vendor_org_id)
    )


def may_manage_case(standing: CaseStanding) -> bool:
    """Triage a report, open it as a case, invite vendors, propose an embargo."""
    return standing.coordinator or bool(standing.vendor_org_ids)


def may_answer_for(standing: CaseStanding, org_id: int) -> bool:
    """Set one vendor's status or embargo answer: that vendor's members, or a coordinator."""
    return standing.coordinator or org_id in standing.vendor_org_ids


def may_decide_embargo(standing: CaseStanding, *, coordinators_decide: bool) -> bool:
    """Put a proposed embargo in force without waiting for the vendors: a coordinator, where
    the hub lets coordinators decide (``ACCORD_DISCLOSURE_COORDINATORS_DECIDE_EMBARGO``)."""
    return standing.coordinator and coordinators_decide


def may_close_case(standing: CaseStanding) -> bool:
    """Close a case without publishing it, or reopen it: coordinators alone."""
    return standing.coordinator


def may_publish_case(standing: CaseStanding) -> bool:
    """Publish the case's advisory (every vendor's answer in one record): coordinators."""
    return standing.coordinator


def may_publish_for(standing: CaseStanding, org_id: int) -> bool:
    """Publish one vendor's own advisory from the case (once it is affected or fixed): that
    vendor's members, or a coordinator on its behalf."""
    return standing.coordinator or org_id in standing.vendor_org_ids


def may_edit_vulnerabilities(standing: CaseStanding) -> bool:
    """Add a vulnerability to a case, edit one, or split the report's into several:
    coordinators alone."""
    return standing.coordinator


def may_see_vendor_statuses(standing: CaseStanding) -> bool:
    """Read each vendor's status per vulnerability and product: coordinators, and the case's
    vendors (who have always read every vendor's answer in the case's vendor table). The
    reporter reads each vulnerability's aggregate status alone; anyone else reads nothing
    before publication, and the published advisories after it."""
    return standing.coordinator or bool(standing.vendor_org_ids)
