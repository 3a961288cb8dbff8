"""No page is wider than the screen, and axe-core finds nothing on it: every page of the example
hub (``accord demo``), public and signed in, rendered by chromium at 320, 390 and 1280 px in
every language, and checked by axe-core (every impact) at 390 and 1280 px.

The pages are found by clicking, as the crawl test does: from ``/`` for a visitor, a vendor's
admin and an operator, following links breadth first but only one page of each shape (one
advisory, one case, one report, one collection), so every list and every kind of detail page
is measured. Each (page, language) is loaded once: in English as the crawl reaches it, in the
other languages one after another; each width is then measured by resizing the same page (the
layout is redone, no new request), and axe-core, put in by the browser context, runs there.
A page fails where ``document.documentElement.scrollWidth`` exceeds ``innerWidth``; the
message names the widest elements that stick out, so the fix is easy to find.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.demo import services as demo
from accord.identity.models import MemberRole
from accord.identity.policy import ANONYMOUS
from accord.web import i18n, navigation
from accord.web.i18n import LANGUAGE_COOKIE, LANGUAGES
from tests.factories import PASSWORD, Factories
from tests.flows import axe
from tests.flows import test_browser_navigation as navigation_test

pytestmark = pytest.mark.browser

WIDTHS = (320, 390, 1280)
AXE_WIDTHS = (390, 1280)  # a phone's and a desktop's: 320 px is measured for width alone
POT = Path(str(resources.files("accord"))) / "locale" / "messages.pot"
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
    # Names no catalog holds, so that the English check below does not take them for words.
    make.user("hubkeeper", operator=True)
    make.member(make.user("widgetlead"), vendor, MemberRole.ADMIN)
    return vendor


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


# Every text a page shows: each text node (trimmed) and each label-like attribute, except
# what the page marks as English (stored records, the accord's signed text) and code.
TEXTS = """() => {
  const texts = new Set();
  const skipped = el => el.closest('[lang="en"], code, pre, script, style, kbd, samp');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text && !skipped(node.parentElement)) texts.add(text);
  }
  for (const el of document.querySelectorAll('[placeholder], [title], [aria-label], [alt]')) {
    if (skipped(el)) continue;
    for (const name of ['placeholder', 'title', 'aria-label', 'alt']) {
      const value = el.getAttribute(name);
      if (value) texts.add(value.replace(/\\s+/g, ' ').trim());
    }
  }
  texts.add(document.title);
  return [...texts];
}"""
# The page at one width: what sticks out, and (when asked) axe-core's violations.
MEASURE = (
    f"""async ([resized, check]) => [({OVERFLOW})(), check ? await ({axe.RUN})(resized) : []]"""
)
# English words a translated page may show as they are, and why.
ALLOWED_ENGLISH: dict[str, str] = {}


def english_strings(language: str) -> set[str]:
    """The catalog's English sentences and words that ``language`` translates differently:
    one of them on a page in ``language`` is a string left untranslated. Strings with
    placeholders or markup are left out (a page never shows them whole)."""
    translations = i18n.translations(language)
    with POT.open("rb") as source:
        catalog = read_po(source)
    found = set()
    for message in catalog:
        if not message.id or isinstance(message.id, tuple):
            continue
        text = message.id
        if "%(" in text or "<" in text or text in ALLOWED_ENGLISH:
            continue
        if translations.gettext(text) != text:
            found.add(text)
    return found


@dataclass
class Findings:
    """What the crawl found, keyed by language, width and page."""

    axe_source: str
    wide: dict[str, str] = field(default_factory=dict)
    untranslated: dict[str, list[str]] = field(default_factory=dict)
    inaccessible: dict[str, list[str]] = field(default_factory=dict)

    def measure(self, page: Any, language: str, english: set[str]) -> None:
        """The page as loaded, in ``language``: its English strings, then at each width
        (from the one it was loaded at, resizing the same page: the layout is redone, no new
        request) whether it is wider than the screen and, where axe runs, its violations."""
        path = urlsplit(page.url).path
        # A plain-text feed is measured for its width, but it is no HTML page for axe to read.
        texts, html = page.evaluate(f"() => [({TEXTS})(), document.contentType === 'text/html']")
        if english and (shown := sorted(english.intersection(texts))):
            self.untranslated[f"{language} {path}"] = shown
        current = page.viewport_size["width"]
        for width in sorted(WIDTHS, key=lambda w: w != current):
            if width != current:
                page.set_viewport_size({"width": width, "height": 800})
            # One round trip for both checks: the width, then axe on the page as it is laid out.
            problem, found = page.evaluate(
                MEASURE, [width != current, html and width in AXE_WIDTHS]
            )
            if problem is not None:
                self.wide[f"{language} {width}px {path}"] = problem
            if found:
                self.inaccessible[f"{language} {width}px {path}"] = axe.lines(found)
            if SCREENSHOTS and width == 390:  # to look at: ACCORD_SCREENSHOTS=/tmp/shots
                name = f"{language}{path.replace('/', '_')}.png"
                page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)


def crawl_and_measure(
    browser: Any,
    base: str,
    username: str | None,
    session_factory: sessionmaker[Session],
    findings: Findings,
    measured: set[str],
) -> tuple[Any, list[str]]:
    """A browser context signed in as ``username`` (or not), and the addresses it reaches
    that ``measured`` lacks, each measured in English as the crawl loads it."""
    if username is None:
        listed = navigation.pages_for(ANONYMOUS)
    else:
        listed = navigation.pages_for(*navigation_test._actor(session_factory, username))
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(script=findings.axe_source)
    page = context.new_page()
    if username is not None:
        sign_in(page, base, username)
    found: list[str] = []

    def visit(page: Any) -> None:
        parts = urlsplit(page.url)
        if parts.path in measured:  # a page every role sees (the front page) counts once
            return
        measured.add(parts.path)
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        findings.measure(page, i18n.SOURCE_LANGUAGE, set())

    saved = navigation_test.PER_SHAPE
    navigation_test.PER_SHAPE = 1
    try:
        _, failed = navigation_test.crawl(page, base, listed, visit)
    finally:
        navigation_test.PER_SHAPE = saved
    assert failed == []
    return context, found


@pytest.mark.slow
def test_every_page_fits_a_phone_speaks_each_language_and_passes_axe_core(
    app: Any,
    live_hub: str,
    browser: Any,
    make: Factories,
    session_factory: sessionmaker[Session],
    settings: Settings,
    axe_source: str,
) -> None:
    seed_example_hub(app, session_factory, settings, make)
    findings = Findings(axe_source)
    measured: set[str] = set()
    host = live_hub.split("//", 1)[1].split(":", 1)[0]
    for username in (None, "widgetlead", "hubkeeper"):
        context, addresses = crawl_and_measure(
            browser, live_hub, username, session_factory, findings, measured
        )
        page = context.pages[0]
        for language in LANGUAGES:
            if language == i18n.SOURCE_LANGUAGE:
                continue  # measured as the crawl loaded each page
            cookie = {"name": LANGUAGE_COOKIE, "value": language, "domain": host, "path": "/"}
            context.add_cookies([cookie])
            english = english_strings(language)
            for address in addresses:
                page.goto(live_hub + address)
                findings.measure(page, language, english)
        context.close()
    assert len(measured) > 40, sorted(measured)  # the crawl reached the detail pages too
    wide, untranslated = findings.wide, findings.untranslated
    assert wide == {}, "\n".join(f"{k}: {v}" for k, v in sorted(wide.items()))
    assert untranslated == {}, "\n".join(f"{k}: {v}" for k, v in sorted(untranslated.items()))
    assert findings.inaccessible == {}, "\n".join(
        f"{k}: {v}" for k, v in sorted(findings.inaccessible.items())
    )
