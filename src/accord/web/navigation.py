"""Navigation by role, from one definition: every page a person may use and how it is reached.

Each :class:`Entry` names a page, the policy action its route is guarded by, and where its
link lives: the header's main navigation, an organization's menu (and its dashboard), the
operators' menu (and their dashboard), or another page that links to it (``via``). The header
renders :func:`menu`; the browser crawl test (``tests/flows/test_browser_navigation.py``)
reads :func:`pages_for` and fails when a page listed here is not reached by clicking from the
home page, so a new page must be listed here and linked to be done.

Who sees an entry is decided by :func:`accord.identity.policy.allowed`, never here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.identity.models import MemberRole, Membership, Organization, OrgKind
from accord.identity.policy import Action, Actor, allowed
from accord.web.i18n import N_


class Place(enum.Enum):
    """Where a page's link is."""

    MAIN = "main"  # the header's main navigation, on every page
    ORG = "org"  # each organization's menu in the header, and its dashboard
    HUB = "hub"  # the operators' menu in the header, and their dashboard
    PAGE = "page"  # a link on another page (``Entry.via``)


@dataclass(frozen=True)
class Entry:
    """One page: its path (``{slug}`` for an organization's), label, guard and place."""

    path: str
    label: str
    action: Action
    place: Place
    via: str | None = None  # for Place.PAGE: the page whose link reaches it
    anonymous_only: bool = False  # offered to visitors who are not signed in (joining)
    signatories_only: bool = False  # an organization's page that only signatories have

    def href(self, slug: str | None = None) -> str:
        """The path, with the organization's slug where it takes one."""
        return self.path.format(slug=slug) if slug is not None else self.path


ENTRIES: tuple[Entry, ...] = (
    # The public: the accord, who signed it, what they report, and the tools anyone may use.
    Entry("/accord", N_("The accord"), Action.PUBLIC_READ, Place.MAIN),
    Entry("/signatories", N_("Signatories"), Action.PUBLIC_READ, Place.MAIN),
    Entry("/accountability", N_("Progress reports"), Action.ACCOUNTABILITY_READ, Place.MAIN),
    Entry("/advisories", N_("Advisories"), Action.PUBLIC_READ, Place.MAIN),
    Entry("/check", N_("Am I affected?"), Action.PUBLIC_READ, Place.MAIN),
    Entry("/sharing", N_("Threat sharing"), Action.SHARING_READ, Place.MAIN),
    Entry("/disclosure/report", N_("Report a vulnerability"), Action.DISCLOSURE_REPORT, Place.MAIN),
    Entry("/log", N_("Log"), Action.PUBLIC_READ, Place.MAIN),
    Entry("/join", N_("Join"), Action.PUBLIC_SUBMIT, Place.MAIN, anonymous_only=True),
    # Reached from the pages above.
    Entry(
        "/sharing/import",
        N_("Import a MISP event"),
        Action.SHARING_WRITE,
        Place.PAGE,
        via="/sharing",
    ),
    Entry(
        "/accord/versions",
        N_("Versions of the accord"),
        Action.PUBLIC_READ,
        Place.PAGE,
        via="/accord",
    ),
    Entry("/partners", N_("Partners"), Action.PUBLIC_READ, Place.PAGE, via="/signatories"),
    Entry(
        "/policies",
        N_("Disclosure policies"),
        Action.PUBLIC_READ,
        Place.PAGE,
        via="/signatories",
    ),
    Entry(
        "/accountability/hub",
        N_("The hub's report"),
        Action.ACCOUNTABILITY_READ,
        Place.PAGE,
        via="/accountability",
    ),
    Entry(
        "/accountability/methods",
        N_("How the figures are made"),
        Action.ACCOUNTABILITY_READ,
        Place.PAGE,
        via="/accountability",
    ),
    Entry("/pledges", N_("Pledges"), Action.PUBLIC_READ, Place.PAGE, via="/signatories"),
    Entry("/campaigns", N_("Campaigns"), Action.PUBLIC_READ, Place.PAGE, via="/signatories"),
    Entry(
        "/sharing/lookup", N_("Indicator look-up"), Action.SHARING_READ, Place.PAGE, via="/sharing"
    ),
    Entry(
        "/sharing/collections/new",
        N_("New collection"),
        Action.SHARING_WRITE,
        Place.PAGE,
        via="/sharing",
    ),
    Entry(
        "/sharing/groups", N_("Sharing groups"), Action.SHARING_WRITE, Place.PAGE, via="/sharing"
    ),
    Entry(
        "/login",
        N_("Sign in"),
        Action.PUBLIC_READ,
        Place.PAGE,
        via="the header",
        anonymous_only=True,
    ),
    Entry("/account", N_("Your account"), Action.OWN_ACCOUNT_READ, Place.PAGE, via="the header"),
    # An organization's own pages, for its members (some for its admins).
    Entry("/orgs/{slug}", N_("Dashboard"), Action.ORG_PRIVATE_READ, Place.ORG),
    Entry("/disclosure", N_("Disclosure inbox"), Action.DISCLOSURE_READ, Place.ORG),
    Entry("/orgs/{slug}/advisories", N_("Advisories"), Action.ADVISORY_READ_RESTRICTED, Place.ORG),
    Entry("/orgs/{slug}/members", N_("Members"), Action.ORG_PRIVATE_READ, Place.ORG),
    Entry("/orgs/{slug}/webhooks", N_("Webhooks"), Action.WEBHOOKS_READ, Place.ORG),
    Entry("/orgs/{slug}/csaf-providers", N_("CSAF providers"), Action.ORG_PRIVATE_READ, Place.ORG),
    Entry(
        "/orgs/{slug}/accountability",
        N_("Progress reports"),
        Action.ACCOUNTABILITY_PUBLISH,
        Place.ORG,
        signatories_only=True,
    ),
    Entry("/sharing", N_("Threat sharing"), Action.SHARING_READ, Place.ORG),
    Entry("/signatories/{slug}", N_("Public profile"), Action.PUBLIC_READ, Place.ORG),
    Entry("/orgs/{slug}/profile", N_("Edit the public profile"), Action.ORG_EDIT, Place.ORG),
    Entry("/orgs/{slug}/pledges", N_("Pledges"), Action.PLEDGE_ENDORSE, Place.ORG),
    Entry(
        "/orgs/{slug}/leave-the-accord",
        N_("Leave the accord"),
        Action.REGISTRY_LEAVE,
        Place.ORG,
        signatories_only=True,
    ),
    # The operators' pages.
    Entry("/admin", N_("Dashboard"), Action.HUB_READ, Place.HUB),
    Entry("/admin/applications", N_("Applications"), Action.HUB_READ, Place.HUB),
    Entry("/disclosure", N_("Disclosure cases"), Action.DISCLOSURE_READ, Place.HUB),
    Entry("/admin/users", N_("Users"), Action.HUB_READ, Place.HUB),
    Entry("/admin/jobs", N_("Background jobs"), Action.JOBS_READ, Place.HUB),
    Entry("/admin/csaf-providers", N_("CSAF providers"), Action.HUB_READ, Place.HUB),
    Entry(
        "/admin/accountability", N_("Progress figures"), Action.ACCOUNTABILITY_OPERATE, Place.HUB
    ),
    Entry("/admin/accord", N_("The accord's text"), Action.HUB_OPERATE, Place.HUB),
    Entry("/admin/signatories", N_("Remove a signatory"), Action.REGISTRY_REMOVE, Place.HUB),
    Entry("/admin/pledges", N_("Pledges"), Action.CAMPAIGNS_MANAGE, Place.HUB),
    Entry("/admin/campaigns", N_("Campaigns"), Action.CAMPAIGNS_MANAGE, Place.HUB),
    Entry("/admin/audit", N_("Audit log"), Action.HUB_READ, Place.HUB),
    Entry("/admin/sharing/warninglists", N_("Warninglists"), Action.HUB_OPERATE, Place.HUB),
    Entry("/admin/sharing/federation", N_("Federation"), Action.HUB_OPERATE, Place.HUB),
    Entry(
        "/admin/sharing/federation/pull",
        N_("Pulled from"),
        Action.HUB_OPERATE,
        Place.PAGE,
        via="/admin/sharing/federation",
    ),
    Entry("/admin/log/witnessing", N_("Witnessing"), Action.HUB_OPERATE, Place.HUB),
)


@dataclass(frozen=True)
class OrgRef:
    """One of the viewer's organizations, as the menus need it."""

    id: int
    slug: str
    name: str
    signatory: bool


@dataclass(frozen=True)
class Link:
    """A link as a template shows it: where it goes and its (untranslated) label."""

    href: str
    label: str


@dataclass(frozen=True)
class OrgMenu:
    """One organization the viewer belongs to, and the links of its menu."""

    slug: str
    name: str
    role: MemberRole
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Menu:
    """Everything the header shows one viewer."""

    main: tuple[Link, ...]
    orgs: tuple[OrgMenu, ...]
    hub: tuple[Link, ...]


def _offered(entry: Entry, actor: Actor, org: OrgRef | None = None) -> bool:
    if entry.anonymous_only and actor.is_authenticated:
        return False
    if entry.signatories_only and (org is None or not org.signatory):
        return False
    return allowed(actor, entry.action, org_id=org.id if org is not None else None)


def org_links(actor: Actor, org: OrgRef) -> tuple[Link, ...]:
    """An organization's menu as ``actor`` may use it (the header, its dashboard)."""
    return tuple(
        Link(e.href(org.slug), e.label)
        for e in ENTRIES
        if e.place is Place.ORG and _offered(e, actor, org)
    )


def menu(actor: Actor, orgs: Iterable[OrgRef] = ()) -> Menu:
    """The header of ``actor``, a member of ``orgs``."""
    main = tuple(
        Link(e.path, e.label) for e in ENTRIES if e.place is Place.MAIN and _offered(e, actor)
    )
    hub = tuple(
        Link(e.path, e.label) for e in ENTRIES if e.place is Place.HUB and _offered(e, actor)
    )
    org_menus = tuple(
        OrgMenu(slug=o.slug, name=o.name, role=actor.roles[o.id], links=org_links(actor, o))
        for o in orgs
        if o.id in actor.roles
    )
    return Menu(main=main, orgs=org_menus, hub=hub if actor.is_operator else ())


def pages_for(actor: Actor, orgs: Iterable[OrgRef] = ()) -> set[str]:
    """Every page ``actor``, a member of ``orgs``, may use: what a crawl by clicking from the
    home page must reach. Exactly the links :func:`menu` offers, plus the pages they lead to."""
    shown = menu(actor, orgs)
    found = {link.href for link in (*shown.main, *shown.hub)}
    found |= {link.href for org in shown.orgs for link in org.links}
    for entry in ENTRIES:
        if entry.place is Place.PAGE and _offered(entry, actor):
            found.add(entry.path)
    return found


def memberships(db: Session, actor: Actor) -> list[OrgRef]:
    """The viewer's organizations, the ones it administers first, then by name."""
    if not actor.roles:
        return []
    rows = db.execute(
        select(Organization.id, Organization.slug, Organization.name, Organization.kind)
        .where(Organization.id.in_(list(actor.roles)))
        .order_by(Organization.name)
    ).all()
    ordered = sorted(rows, key=lambda r: actor.roles[r.id] is not MemberRole.ADMIN)
    return [OrgRef(r.id, r.slug, r.name, r.kind is OrgKind.SIGNATORY) for r in ordered]


def landing(db: Session, *, user_id: int, is_operator: bool) -> str:
    """Where a person lands after signing in: operators on theirs, members of an organization
    on its dashboard (the one they administer first), anyone else on their account."""
    if is_operator:
        return "/admin"
    row = db.execute(
        select(Organization.slug)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user_id)
        .order_by((Membership.role != MemberRole.ADMIN), Organization.name)
        .limit(1)
    ).first()
    return f"/orgs/{row.slug}" if row is not None else "/account"
