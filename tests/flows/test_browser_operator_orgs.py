"""In a real browser: an operator reaches an organization that has no admin yet (one loaded by
``accord demo`` or created with ``accord org create``) by clicking from the home page, and
gives it its first admin; at 390 px and in Japanese too.
"""

from __future__ import annotations

from typing import Any

import pytest

from accord.web.i18n import LANGUAGE_COOKIE
from tests.factories import PASSWORD, Factories
from tests.flows import axe

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "language"), [(1280, "en"), (390, "ja")])
def test_an_operator_clicks_to_an_organization_and_adds_its_first_admin(
    width: int, language: str, live_hub: str, browser: Any, make: Factories, axe_source: str
) -> None:
    slug = make.org("Acme Widgets")
    make.user("operator", operator=True)
    make.user("future-admin")

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_hub}/login")
    page.get_by_label("Username").fill("operator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    host = live_hub.split("//", 1)[1].split(":", 1)[0]
    context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "domain": host, "path": "/"}])

    page.goto(f"{live_hub}/")
    for summary in page.locator("header details > summary").all():
        if summary.is_visible():  # the phone's menu, folded
            summary.click()
    page.locator("header a[href='/signatories']:visible").first.click()
    page.locator(f"main a[href='/signatories/{slug}']").click()
    offer = page.locator("#run-as-operator")
    assert offer.is_visible()
    axe.check(page, axe_source)
    offer.locator(f"a[href='/orgs/{slug}/members']").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/orgs/{slug}/members")
    assert page.locator("#no-members").is_visible()  # words, not an empty table

    page.locator("details:has(input[name=username]) > summary").click()
    form = page.locator("main form:has(input[name=username])")
    form.locator("input[name=username]").fill("future-admin")
    form.locator("select[name=role]").select_option("admin")
    form.locator("button").click()
    page.wait_for_load_state()
    assert "future-admin" in page.locator("#member-list").inner_text()
    assert page.locator("#no-members").count() == 0
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    context.close()
