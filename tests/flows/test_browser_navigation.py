"""Every page a role may use is reached by clicking from the home page.

For each role (the public, a member of a vendor, its admin, an operator) a browser starts at
``/``, collects the page's ``a[href]`` links to this hub, and follows them breadth first,
within a bound. The pages the role must reach are those ``accord.web.navigation`` lists for it,
so a page added to that list without a link on the way fails here, and so does a link to a
page the role may not open (a 4xx or 5xx on the way).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from sqlalchemy.orm import Session, sessionmaker

from accord.db import unit_of_work
from accord.identity import services
from accord.identity.models import MemberRole, OrgKind
from accord.identity.policy import ANONYMOUS, Actor
from accord.web import navigation
from accord.web.i18n import LANGUAGE_COOKIE, LANGUAGES
from tests.factories import PASSWORD, Factories
from tests.flows import axe

pytestmark = pytest.mark.browser

# Followed, but not to every item of a long list: at most this many pages of one shape.
PER_SHAPE = 2
MAX_PAGES = 120
# Not pages: downloads, machine formats, and links that change the browser's settings.
SKIPPED = re.compile(
    r"^/(api/|v1/|taxii2|\.well-known/|static/|log/tile|log/checkpoint"
    r"|disclosure/(cases/[^/]+|follow)/(attachments|history)/)"
)


def _shape(path: str) -> str:
    """Pages differing only in their last segment (one advisory, one log entry) share one."""
    parts = path.strip("/").split("/")
    return "/".join(parts[:-1]) + f"/*{len(parts)}" if len(parts) > 1 else path


def crawl(
    page: Any, base: str, listed: set[str], visit: Callable[[Any], None] | None = None
) -> tuple[set[str], list[str]]:
    """The paths reached from ``/`` by following links, and the links that failed. The bound
    spares links to ``listed`` pages: it is there for long lists, not for the menus.
    ``visit`` is called with the page each time one is reached, as loaded (the widths test
    measures it there rather than loading it again)."""
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    reached: set[str] = set()
    failed: list[str] = []
    queue: deque[tuple[str, str]] = deque([("/", "(start)")])
    while queue and len(seen) < MAX_PAGES:
        target, source = queue.popleft()
        response = page.goto(base + target)
        status = response.status if response is not None else 0
        path = urlsplit(page.url).path
        if status >= 400:
            failed.append(f"{target} ({status}, linked from {source})")
            continue
        reached.add(path)
        if visit is not None:
            visit(page)
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for href in hrefs:
            url, _ = urldefrag(href)
            parts = urlsplit(url)
            if f"{parts.scheme}://{parts.netloc}" != base or SKIPPED.match(parts.path):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            shape = _shape(parts.path) + ("?" if parts.query else "")  # one list, many filters
            if link in seen or (shapes.get(shape, 0) >= PER_SHAPE and link not in listed):
                continue
            seen.add(link)
            shapes[shape] = shapes.get(shape, 0) + 1
            queue.append((link, path))
    return reached, failed


def _actor(factory: sessionmaker[Session], username: str) -> tuple[Actor, list[navigation.OrgRef]]:
    """The actor the policy sees for ``username``, and its organizations."""
    with unit_of_work(factory) as db:
        user = services.get_user(db, username)
        actor = Actor(
            user_id=user.id,
            username=user.username,
            is_operator=user.is_operator,
            roles={m.organization_id: m.role for m in user.memberships},
        )
        return actor, navigation.memberships(db, actor)


@pytest.mark.parametrize("role", ["anonymous", "member", "org admin", "operator"])
def test_every_page_of_a_role_is_reached_by_clicking_from_the_home_page(
    role: str, live_hub: str, browser: Any, make: Factories, session_factory: Any
) -> None:
    vendor = make.org("Acme Widgets")
    make.org("Open Research Lab", kind=OrgKind.PARTNER)
    make.member(make.user("member"), vendor, MemberRole.MEMBER)
    make.member(make.user("admin"), vendor, MemberRole.ADMIN)
    make.user("operator", operator=True)

    page = browser.new_context().new_page()
    if role == "anonymous":
        actor, orgs = ANONYMOUS, []
    else:
        username = role.replace("org ", "")
        actor, orgs = _actor(session_factory, username)
        page.goto(f"{live_hub}/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    expected = navigation.pages_for(actor, orgs)
    reached, failed = crawl(page, live_hub, expected)

    assert failed == [], f"links that fail for the {role}"
    assert expected - reached == set(), f"pages the {role} may use but cannot click to"
    if role != "operator":
        assert not any(path.startswith("/admin") for path in reached)


def test_the_lists_differ_by_role_as_the_policy_says() -> None:
    member = Actor(user_id=1, username="m", roles={7: MemberRole.MEMBER})
    admin = Actor(user_id=2, username="a", roles={7: MemberRole.ADMIN})
    operator = Actor(user_id=3, username="o", is_operator=True)
    acme = [navigation.OrgRef(7, "acme", "Acme", signatory=True)]

    public = navigation.pages_for(ANONYMOUS)
    assert {"/accountability", "/sharing", "/sharing/lookup", "/join", "/login"} <= public
    assert "/account" not in public
    assert not any(p.startswith(("/orgs/", "/admin")) for p in public)

    for_member = navigation.pages_for(member, acme)
    assert {"/orgs/acme", "/orgs/acme/advisories", "/disclosure", "/account"} <= for_member
    # Webhooks and progress reports are the admins'.
    assert "/orgs/acme/webhooks" not in for_member
    assert "/orgs/acme/accountability" not in for_member
    assert "/join" not in for_member

    for_admin = navigation.pages_for(admin, acme)
    assert {"/orgs/acme/webhooks", "/orgs/acme/accountability"} <= for_admin
    # A partner publishes no progress reports: its admins are not sent to a page it lacks.
    partner = [navigation.OrgRef(7, "acme", "Acme", signatory=False)]
    assert "/orgs/acme/accountability" not in navigation.pages_for(admin, partner)

    for_operator = navigation.pages_for(operator)
    assert {
        "/admin",
        "/admin/jobs",
        "/admin/accountability",
        "/admin/accord",
        "/admin/applications",
        "/admin/log/witnessing",
    } <= for_operator
    assert not any(p.startswith("/admin") for p in for_admin)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_menus_and_dashboards_pass_axe_core(
    width: int,
    live_hub: str,
    browser: Any,
    axe_source: str,
    make: Factories,
) -> None:
    vendor = make.org("Acme Widgets")
    make.member(make.user("admin"), vendor, MemberRole.ADMIN)
    make.user("operator", operator=True)
    found: dict[str, list[str]] = {}
    for username, paths in (
        ("operator", ["/admin", "/advisories"]),
        ("admin", [f"/orgs/{vendor}", f"/orgs/{vendor}/profile"]),
    ):
        context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
        page = context.new_page()
        page.goto(f"{live_hub}/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        for language in LANGUAGES:  # the words differ in length, and so may the layout
            host = live_hub.split("//", 1)[1].split(":", 1)[0]
            cookie = {"name": LANGUAGE_COOKIE, "value": language, "domain": host, "path": "/"}
            context.add_cookies([cookie])
            for path in paths:
                page.goto(f"{live_hub}{path}")
                # With its menus open: what a keyboard or screen reader meets once they are.
                for summary in page.locator("header details > summary").all():
                    if summary.is_visible():
                        summary.click()
                if problems := axe.violations(page, axe_source):
                    found[f"{username} {language} {path}"] = problems
        context.add_cookies([{**cookie, "value": "en"}])
        if username == "admin":  # a form sent back with a mistake beside its field
            page.goto(f"{live_hub}/orgs/{vendor}/profile")
            page.get_by_label("Website", exact=True).fill("not a web address")
            page.get_by_role("button", name="Save the profile").click()
            assert page.locator("#website-error").is_visible()
            if problems := axe.violations(page, axe_source):
                found["admin profile with a mistake"] = problems
        context.close()
    assert found == {}
