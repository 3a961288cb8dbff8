"""In a real browser: a vendor answers per vulnerability on the case page (a mistake shows
the reason beside the field and keeps the text), at 1280 and at 390 pixels wide, without the
page scrolling sideways; the reporter's page shows each vulnerability's status at 390 too."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.disclosure.vulnerability_world import two_vulnerabilities
from tests.disclosure.world import World
from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser


def _shot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("ACCORD_SCREENSHOTS")  # a folder to look at them afterwards
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def _fits(page: Any, selector: str) -> None:
    """Nothing under ``selector`` reaches past the viewport, except inside a scroll box
    (a table too wide scrolls within its own box, not the page)."""
    wide = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector + ' *')]
            .filter(e => !e.closest('.scroll'))
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .map(e => e.tagName + ' ' + Math.round(e.getBoundingClientRect().right))""",
        selector,
    )
    assert wide == [], wide
    boxes = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector + ' .scroll')]
            .map(e => Math.round(e.getBoundingClientRect().right))""",
        selector,
    )
    assert all(right <= page.viewport_size["width"] for right in boxes), boxes


def test_a_vendor_answers_per_vulnerability_at_any_width(
    live_hub: str, browser: Any, client: TestClient, make: Factories, tmp_path: Path
) -> None:
    world = World.build(make)
    world.open_case(client)
    two_vulnerabilities(client, world, answered=False)
    client.put(
        f"/api/v1/disclosure/cases/{world.case_id}/vulnerabilities/1/vendors/vendor-b/status",
        json={"product": "B Shop", "purl": "pkg:npm/b-shop", "status": "affected"},
        headers=world.headers("vendor_b"),
    ).raise_for_status()
    errors: list[str] = []
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        # The refused answer below is a 422 the browser logs; anything else is a fault.
        page.on(
            "console",
            lambda m: errors.append(m.text) if m.type == "error" and "422" not in m.text else None,
        )
        page.goto(f"{live_hub}/login")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_hub}/disclosure/cases/{world.case_id}")
        second = page.locator("#vulnerability-2")
        if width == 1280:
            second.get_by_text("Answer for vulnerability 2").click()
            second.get_by_label("State for this vulnerability").select_option("not_affected")
            second.get_by_label("Note on this product").fill("The results page escapes it.")
            second.get_by_role("button", name="Save this answer").click()
            second = page.locator("#vulnerability-2")
            assert "not affected needs a VEX justification" in second.inner_text()
            assert second.get_by_label("Note on this product").input_value() == (
                "The results page escapes it."
            )
            second.get_by_label("Why not affected (VEX)").select_option(
                "vulnerable_code_not_present"
            )
            second.get_by_role("button", name="Save this answer").click()
            second = page.locator("#vulnerability-2")
            table = second.locator("table").inner_text()
            assert "the vulnerable code is not in the product" in table
        page.locator("#vulnerabilities").scroll_into_view_if_needed()
        _fits(page, "#vulnerabilities")
        # Each vendor's status per product reads without scrolling sideways, even at 390 px:
        # one block per row, each value under its column's name.
        wide = page.evaluate(
            """() => [...document.querySelectorAll('#vulnerabilities table.statuses')]
                .map(t => [t, ...t.querySelectorAll('*'), t.closest('.scroll')].filter(e => e))
                .flat().filter(e => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0
                                    && getComputedStyle(e).overflowX !== 'visible')
                .map(e => e.tagName + ' ' + e.scrollWidth + '>' + e.clientWidth)"""
        )
        assert wide == [], wide
        if width == 390:
            cell = page.locator("#vulnerability-1 table.statuses td[data-label]").first
            label = cell.evaluate("e => getComputedStyle(e, '::before').content")
            assert label == '"Vendor: "', label
        _shot(page, tmp_path, f"case-{width}")
        context.close()

    reporter = browser.new_context(viewport={"width": 390, "height": 900}).new_page()
    reporter.goto(f"{live_hub}/disclosure/follow?token={world.report_token}")
    table = reporter.locator("#vulnerabilities table")
    assert "Stored cross-site scripting in search results" in table.inner_text()
    assert "B Shop" not in table.inner_text()
    _fits(reporter, "#vulnerabilities")
    _shot(reporter, tmp_path, "follow-390")
    assert errors == []


def test_an_answer_offers_the_cases_packages_when_the_vendor_declared_none(
    live_hub: str, browser: Any, client: TestClient, make: Factories
) -> None:
    """A vendor without declared products is not left to type a purl: the form offers the
    package the report named, and says plainly what a typed one is."""
    world = World.build(make)
    world.open_case(client)
    two_vulnerabilities(client, world, answered=False)
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.goto(f"{live_hub}/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_hub}/disclosure/cases/{world.case_id}")
    for purl in (
        page.locator("#vulnerability-1 input[name=purl]"),
        page.locator("details.action input[name=purl]").first,
    ):
        listed = purl.get_attribute("list")
        assert listed, "the purl field offers no list"
        offered = page.eval_on_selector_all(
            f"datalist#{listed} option", "os => os.map(o => [o.value, o.textContent])"
        )
        assert ["pkg:pypi/example-shop@2.1.0", "Example Shop (named in this case)"] in offered
        hint = page.locator("#" + purl.get_attribute("aria-describedby").split()[0])
        assert "type a package URL only if none fits" in (hint.text_content() or "")
    # Picking the offer fills the field; the answer is saved with it.
    first = page.locator("#vulnerability-1")
    first.get_by_text("Answer for vulnerability 1").click()
    first.locator("input[name=purl]").fill("pkg:pypi/example-shop@2.1.0")
    first.get_by_label("State for this vulnerability").select_option("affected")
    first.get_by_role("button", name="Save this answer").click()
    assert "pkg:pypi/example-shop@2.1.0" in page.locator("#vulnerability-1 table").inner_text()
    context.close()
