"""The authorization policy: the one place that decides who may do what.

Routes name an :class:`Action` (through ``accord.web.deps.guard`` / ``org_guard``) and this
module answers. No route compares roles itself. Each action states the role it needs and the
least token scope that may exercise it; a browser session carries every scope of its user.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accord.errors import Forbidden, Message, SecondFactorRequired, StepUpRequired, Unauthenticated
from accord.identity.models import MemberRole, TokenScope
from accord.sharing import tlp
from accord.web.i18n import N_

_SCOPE_RANK = {TokenScope.READ: 1, TokenScope.WRITE: 2, TokenScope.ADMIN: 3}


class Who(enum.Enum):
    """The role an action requires."""

    ANYONE = "anyone"
    SIGNED_IN = "signed_in"
    ORG_MEMBER = "org_member"
    ORG_ADMIN = "org_admin"
    OPERATOR = "operator"


class Action(enum.Enum):
    """Everything the hub guards: (name, who may, least token scope).

    The name comes first and is unique: two actions with the same rule must stay two members
    (an Enum turns a duplicate value into an alias of the first).
    """

    PUBLIC_READ = ("public.read", Who.ANYONE, None)
    PUBLIC_SUBMIT = ("public.submit", Who.ANYONE, None)
    # C2SP tlog-witness: any log may ask; the log's signature is the only authentication.
    LOG_WITNESS = ("log.witness", Who.ANYONE, None)
    OWN_ACCOUNT_READ = ("account.read", Who.SIGNED_IN, TokenScope.READ)
    OWN_TOKENS_MANAGE = ("account.tokens", Who.SIGNED_IN, TokenScope.ADMIN)
    # One's own second factors, recovery codes and browser sessions (pages only).
    OWN_FACTORS_MANAGE = ("account.factors", Who.SIGNED_IN, TokenScope.ADMIN)
    OWN_SESSIONS_MANAGE = ("account.sessions", Who.SIGNED_IN, TokenScope.ADMIN)
    ORG_PRIVATE_READ = ("org.read", Who.ORG_MEMBER, TokenScope.READ)
    ORG_EDIT = ("org.edit", Who.ORG_ADMIN, TokenScope.WRITE)
    ORG_MEMBERS_MANAGE = ("org.members", Who.ORG_ADMIN, TokenScope.ADMIN)
    # A member leaves an organization of its own accord (never its last admin).
    ORG_LEAVE = ("org.leave", Who.ORG_MEMBER, TokenScope.WRITE)
    # Anyone holding an invitation's link opens it; joining then needs the invited address.
    INVITATION_ACCEPT = ("invitation.accept", Who.ANYONE, None)
    # Single sign-on: an organization's admins register its OpenID Connect provider
    # (operators register the hub-wide one with HUB_OPERATE).
    ORG_SSO_MANAGE = ("org.sso", Who.ORG_ADMIN, TokenScope.ADMIN)
    HUB_READ = ("hub.read", Who.OPERATOR, TokenScope.READ)
    HUB_OPERATE = ("hub.operate", Who.OPERATOR, TokenScope.ADMIN)
    # Leaving the accord: a signatory's admins, with a confirmation; operators remove one
    # with a reason (HUB_OPERATE is wider than this: kept apart so that the matrix names it).
    REGISTRY_LEAVE = ("registry.leave", Who.ORG_ADMIN, TokenScope.ADMIN)
    REGISTRY_REMOVE = ("registry.remove", Who.OPERATOR, TokenScope.ADMIN)
    # Pledges and campaigns: operators publish them; an organization's admins endorse a
    # pledge for it (or withdraw); everyone reads them.
    CAMPAIGNS_MANAGE = ("campaigns.manage", Who.OPERATOR, TokenScope.ADMIN)
    PLEDGE_ENDORSE = ("campaigns.endorse", Who.ORG_ADMIN, TokenScope.WRITE)
    # Background jobs (operators) and an organization's webhooks (its admins).
    JOBS_READ = ("jobs.read", Who.OPERATOR, TokenScope.READ)
    JOBS_RETRY = ("jobs.retry", Who.OPERATOR, TokenScope.ADMIN)
    WEBHOOKS_READ = ("webhooks.read", Who.ORG_ADMIN, TokenScope.READ)
    WEBHOOKS_MANAGE = ("webhooks.manage", Who.ORG_ADMIN, TokenScope.ADMIN)
    # Advisories.
    ADVISORY_READ_GREEN = ("advisory.read.green", Who.SIGNED_IN, TokenScope.READ)
    ADVISORY_READ_RESTRICTED = ("advisory.read.restricted", Who.ORG_MEMBER, TokenScope.READ)
    ADVISORY_AUTHOR = ("advisory.author", Who.ORG_MEMBER, TokenScope.WRITE)
    ADVISORY_PUBLISH = ("advisory.publish", Who.ORG_MEMBER, TokenScope.WRITE)
    # Threat sharing: reaching TAXII at all. Collection grants and TLP then decide per object
    # (collection_rights and may_see_object below).
    SHARING_READ = ("sharing.read", Who.ANYONE, TokenScope.READ)
    SHARING_WRITE = ("sharing.write", Who.SIGNED_IN, TokenScope.WRITE)
    # Coordinated disclosure: anyone reports; the reporter follows with the private link;
    # signed-in users reach cases, where participation then decides (case_standing below).
    DISCLOSURE_REPORT = ("disclosure.report", Who.ANYONE, None)
    DISCLOSURE_FOLLOW = ("disclosure.follow", Who.ANYONE, None)
    DISCLOSURE_READ = ("disclosure.read", Who.SIGNED_IN, TokenScope.READ)
    DISCLOSURE_WRITE = ("disclosure.write", Who.SIGNED_IN, TokenScope.WRITE)
    # Accountability: figures and reports are public; a signatory's admins publish its
    # reports; operators exclude from publication and refresh the precomputed figures.
    ACCOUNTABILITY_READ = ("accountability.read", Who.ANYONE, None)
    ACCOUNTABILITY_PUBLISH = ("accountability.publish", Who.ORG_ADMIN, TokenScope.WRITE)
    ACCOUNTABILITY_OPERATE = ("accountability.operate", Who.OPERATOR, TokenScope.ADMIN)

    @property
    def who(self) -> Who:
        """The role this action requires."""
        return self.value[1]  # type: ignore[no-any-return]

    @property
    def scope(self) -> TokenScope | None:
        """The least token scope that may perform it (None: no credential needed)."""
        return self.value[2]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Actor:
    """Who is making a request, as the policy sees it."""

    user_id: int | None = None
    username: str | None = None
    is_operator: bool = False
    roles: Mapping[int, MemberRole] = field(default_factory=dict)
    # None for a browser session or the CLI on the server itself: the user's full rights.
    token_scope: TokenScope | None = None
    ip_address: str | None = None
    # Second factors (see :func:`enrolment_needed`): whether the user has one, whether they
    # must enrol one before doing anything else, until when an operator may go without,
    # and when this browser last proved one (None for tokens and the CLI).
    has_factor: bool = False
    must_enrol: bool = False
    enrol_by: datetime | None = None
    factor_at: datetime | None = None

    @property
    def is_authenticated(self) -> bool:
        """Whether any credential was presented and accepted."""
        return self.user_id is not None

    @property
    def label(self) -> str:
        """How the audit log names this actor."""
        return self.username or "anonymous"


ANONYMOUS = Actor()
SYSTEM = Actor(username="system", is_operator=True)


def allowed(actor: Actor, action: Action, *, org_id: int | None = None) -> bool:
    """Whether ``actor`` may perform ``action`` (on organization ``org_id`` where it applies)."""
    try:
        authorize(actor, action, org_id=org_id)
    except (Forbidden, Unauthenticated):
        return False
    return True


def authorize(actor: Actor, action: Action, *, org_id: int | None = None) -> None:
    """Raise :class:`Unauthenticated` or :class:`Forbidden` unless the action is allowed."""
    who = action.who
    # Before anything else: what anyone may do is refused too, since a signed-in reader
    # of "anyone" routes (TAXII collections, say) still reads with their organizations.
    if actor.must_enrol and action not in WHILE_ENROLLING:
        raise SecondFactorRequired(N_("enrol a second factor first"))
    if who is Who.ANYONE:
        return
    if not actor.is_authenticated and actor is not SYSTEM:
        raise Unauthenticated(N_("sign in or present an API token"))
    needed = action.scope
    if (
        actor.token_scope is not None
        and needed is not None
        and _SCOPE_RANK[actor.token_scope] < _SCOPE_RANK[needed]
    ):
        raise Forbidden(
            Message(
                N_("this token's scope is %(token_scope)s; %(needed)s is needed"),
                token_scope=actor.token_scope,
                needed=needed,
            )
        )
    if who is Who.SIGNED_IN:
        return
    if actor.is_operator:
        return
    if who is Who.OPERATOR:
        raise Forbidden(N_("only hub operators may do this"))
    if org_id is None:
        raise Forbidden(N_("this action needs an organization"))
    role = actor.roles.get(org_id)
    if role is None:
        raise Forbidden(N_("you are not a member of this organization"))
    if who is Who.ORG_ADMIN and role is not MemberRole.ADMIN:
        raise Forbidden(N_("only this organization's admins may do this"))


# -- second factors ------------------------------------------------------------------------

# What someone who must enrol a second factor may still do: look at their account, enrol.
WHILE_ENROLLING = frozenset(
    {Action.PUBLIC_READ, Action.PUBLIC_SUBMIT, Action.OWN_ACCOUNT_READ, Action.OWN_FACTORS_MANAGE}
)


def enrolment_needed(
    *,
    has_factor: bool,
    is_operator: bool,
    operators_need: bool,
    grace_until: datetime | None,
    org_requires: bool,
    now: datetime,
) -> bool:
    """Whether a user must enrol a second factor before doing anything else.

    Never once they have one. Otherwise: a member of an organization that requires one, and
    an operator (where the hub requires it) whose grace period has run out. An operator's
    grace starts at their first sign-in; an operator who never signed in has none running,
    and is held to the rule only from their first sign-in (their tokens came from the CLI).
    """
    if has_factor:
        return False
    if org_requires:
        return True
    return is_operator and operators_need and grace_until is not None and grace_until <= now


def require_fresh_factor(actor: Actor, *, max_age: timedelta, now: datetime) -> None:
    """Raise :class:`StepUpRequired` unless ``actor``'s browser proved a second factor within
    ``max_age``: for sensitive actions (publishing, approving an application, changing roles,
    creating an admin token, reading a case's attachments, changing one's factors).

    Only a browser session of a user who has a factor is asked: an API token cannot answer a
    challenge (it was created under one), and a user without a factor has nothing to prove.
    """
    if not actor.has_factor or actor.token_scope is not None or not actor.is_authenticated:
        return
    if actor.factor_at is None or now - actor.factor_at > max_age:
        raise StepUpRequired(N_("confirm it is you with your second factor"))


# -- single sign-on -----------------------------------------------------------------------


def may_link_account(
    *, provider_org_id: int | None, user_is_operator: bool, user_org_ids: frozenset[int]
) -> bool:
    """Whether a provider's word may sign in an account that already exists (same address).

    The hub-wide provider, which operators registered, may. An organization's provider may
    sign in only its own members and never an operator: otherwise an organization's admin
    who listed another company's domain could take over that company's accounts.
    """
    if provider_org_id is None:
        return True
    return not user_is_operator and provider_org_id in user_org_ids


def password_sign_in_allowed(*, is_operator: bool, passwords_allowed: list[bool]) -> bool:
    """Whether a password may sign this account in: unless one of its organizations says
    single sign-on only (``passwords_allowed`` holds each organization provider's choice).
    Operators keep their password: an organization cannot lock the hub's operators out."""
    return is_operator or all(passwords_allowed)


# -- threat sharing ------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectionGrants:
    """Who a TAXII collection admits; groups already resolved to their organizations."""

    owner_org_id: int
    public_read: bool
    community_read: bool
    reader_org_ids: frozenset[int]
    writer_org_ids: frozenset[int]


@dataclass(frozen=True)
class CollectionRights:
    """What an actor may do with one collection."""

    can_read: bool
    can_write: bool


def collection_rights(actor: Actor, grants: CollectionGrants) -> CollectionRights:
    """Read: anyone on a public collection, any member organization on a community one, else
    the owner and the organizations granted (directly or through a sharing group). Write: the
    owner and the organizations granted write, with a token of write scope. Operators run the
    hub but get no reading rights from it: TLP is the producer's promise to its recipients.
    """
    orgs = frozenset(actor.roles)
    member = grants.owner_org_id in orgs
    can_read = (
        grants.public_read
        or (grants.community_read and bool(orgs))
        or member
        or not orgs.isdisjoint(grants.reader_org_ids)
    )
    scope_ok = actor.token_scope is None or _SCOPE_RANK[actor.token_scope] >= 2
    can_write = (
        actor.is_authenticated
        and scope_ok
        and (member or not orgs.isdisjoint(grants.writer_org_ids))
    )
    return CollectionRights(can_read=can_read, can_write=can_write)


def object_relations(
    actor: Actor,
    *,
    producer_org_id: int | None,
    recipient_org_ids: frozenset[int],
    recipient_group_ids: frozenset[int],
    actor_group_ids: frozenset[int],
) -> frozenset[tlp.Relation]:
    """How ``actor`` stands to one object: producer, named recipient, community, anyone."""
    orgs = frozenset(actor.roles)
    found = {tlp.Relation.ANYONE}
    if orgs:
        found.add(tlp.Relation.COMMUNITY)
    if producer_org_id is not None and producer_org_id in orgs:
        found.add(tlp.Relation.PRODUCER)
    if not orgs.isdisjoint(recipient_org_ids):
        found.add(tlp.Relation.RECIPIENT_ORG)
    if not actor_group_ids.isdisjoint(recipient_group_ids):
        found.add(tlp.Relation.RECIPIENT_GROUP)
    return frozenset(found)


def may_see_object(level: tlp.Tlp, relations: frozenset[tlp.Relation]) -> bool:
    """Whether a reader in ``relations`` may see an object of TLP ``level`` (tlp.AUDIENCE).

    ``accord.sharing.visibility`` is the same rule as a SQL filter; a test checks they agree.
    """
    return tlp.visible(level, relations)


# -- coordinated disclosure ----------------------------------------------------------------


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
