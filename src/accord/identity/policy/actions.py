"""What the hub guards and who asks: :class:`Action`, :class:`Actor`, and the rule that
answers (:func:`authorize`, :func:`allowed`).

Each action states the role it needs and the least token scope that may exercise it; a
browser session carries every scope of its user.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from accord.errors import Forbidden, Message, SecondFactorRequired, Unauthenticated
from accord.identity.models import MemberRole, TokenScope
from accord.web.i18n import N_

# Token scopes in order: a token may do what its scope or any lesser one allows.
SCOPE_RANK = {TokenScope.READ: 1, TokenScope.WRITE: 2, TokenScope.ADMIN: 3}


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
    # (``collection_rights`` and ``may_see_object`` in ``sharing.py``).
    SHARING_READ = ("sharing.read", Who.ANYONE, TokenScope.READ)
    SHARING_WRITE = ("sharing.write", Who.SIGNED_IN, TokenScope.WRITE)
    # Coordinated disclosure: anyone reports; the reporter follows with the private link;
    # signed-in users reach cases, where participation then decides (``case_standing`` in
    # ``disclosure.py``).
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
        and SCOPE_RANK[actor.token_scope] < SCOPE_RANK[needed]
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


# What someone who must enrol a second factor may still do: look at their account, enrol.
WHILE_ENROLLING = frozenset(
    {Action.PUBLIC_READ, Action.PUBLIC_SUBMIT, Action.OWN_ACCOUNT_READ, Action.OWN_FACTORS_MANAGE}
)
