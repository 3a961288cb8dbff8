"""No page is wider than the screen: every page of the example hub (``accord demo``), public and
signed in, rendered by chromium at 320, 390 and 1280 px in every language.

The pages are found by clicking, as the crawl test does: from ``/`` for a visitor, a vendor's
admin and an operator, following links breadth first but only one page of each shape (one
advisory, one case, one report, one collection), so every list and every kind of detail page
is measured. The crawl runs once in English; each page found is then opened once per language
and measured at each width by resizing the same page (the layout is redone, no new request).
A page fails where ``document.documentElement.scrollWidth`` exceeds ``innerWidth``; the
message names the widest elements that stick out, so the fix is easy to find.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.demo import services as demo
from accord.identity.models import MemberRole
from accord.identity.policy import ANONYMOUS
from accord.web import navigation
from accord.web.i18n import LANGUAGE_COOKIE, LANGUAGES
from tests.factories import PASSWORD, Factories
from tests.flows import test_browser_navigation as navigation_test

pytestmark = pytest.mark.browser

WIDTHS = (320, 390, 1280)
SCREENSHOTS = os.environ.get("ACCORD_SCREENSHOTS")
# What sticks out, named by tag, id and class: the three widest elements wider than the screen.
OVERFLOW = """() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    const parent = el.parentElement.getBoundingClientRect();
    const outermost = parent.right <= width + 1;
    if (box.right > width + 1 && box.width > 0 && outermost && el.checkVisibility()) {
      out.push([box.right, el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (typeof el.className === 'string' && el.className
          ? '.' + el.className.split(' ').join('.') : '')
        + ' "' + (el.textContent || '').trim().slice(0, 40) + '"']);
    }
  }
  out.sort((a, b) => b[0] - a[0]);
  return document.documentElement.scrollWidth + 'px: '
    + out.slice(0, 3).map(o => Math.round(o[0]) + ' ' + o[1]).join('; ');
}"""


def seed_example_hub(
    app: Any, session_factory: sessionmaker[Session], settings: Settings, make: Factories
) -> str:
    """The example hub, with an operator and an admin of its first vendor; returns the slug."""
    with unit_of_work(session_factory) as db:
        loaded = demo.load(db, settings=settings, limiter=app.state.limiter)
    vendor = loaded.organizations[0]
    make.user("operator", operator=True)
    make.member(make.user("admin"), vendor, MemberRole.ADMIN)
    return vendor


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def pages_of(
    browser: Any, base: str, username: str | None, session_factory: sessionmaker[Session]
) -> tuple[Any, list[str]]:
    """A browser context signed in as ``username`` (or not), and the pages it reaches."""
    if username is None:
        listed = navigation.pages_for(ANONYMOUS)
    else:
        listed = navigation.pages_for(*navigation_test._actor(session_factory, username))
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    if username is not None:
        sign_in(page, base, username)
    saved = navigation_test.PER_SHAPE
    navigation_test.PER_SHAPE = 1
    try:
        reached, failed = navigation_test.crawl(page, base, listed)
    finally:
        navigation_test.PER_SHAPE = saved
    assert failed == []
    return context, sorted(reached)


def too_wide(page: Any, base: str, paths: list[str], language: str) -> dict[str, str]:
    """The pages wider than the screen, at each width, in ``language``."""
    host = base.split("//", 1)[1].split(":", 1)[0]
    page.context.add_cookies(
        [{"name": LANGUAGE_COOKIE, "value": language, "domain": host, "path": "/"}]
    )
    found: dict[str, str] = {}
    for path in paths:
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(base + path)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            if (problem := page.evaluate(OVERFLOW)) is not None:
                found[f"{language} {width}px {path}"] = problem
            if SCREENSHOTS and width == 390:  # to look at: ACCORD_SCREENSHOTS=/tmp/shots
                name = f"{language}{path.replace('/', '_')}.png"
                page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)
    return found


def test_no_page_is_wider_than_a_phone_in_any_language(
    app: Any,
    live_hub: str,
    browser: Any,
    make: Factories,
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    seed_example_hub(app, session_factory, settings, make)
    found: dict[str, str] = {}
    measured: set[str] = set()
    for username in (None, "admin", "operator"):
        context, paths = pages_of(browser, live_hub, username, session_factory)
        # A page every role sees (the front page, the accord) is measured once.
        paths = [p for p in paths if username is None or p not in measured]
        measured.update(paths)
        page = context.pages[0]
        for language in LANGUAGES:
            found.update(too_wide(page, live_hub, paths, language))
        context.close()
    assert len(measured) > 40, sorted(measured)  # the crawl reached the detail pages too
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in sorted(found.items()))
