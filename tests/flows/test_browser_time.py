"""In a real browser: the hub learns the browser's time zone from its own static script, and
the one preferences form (a POST) changes it; screenshots at 1280 and 390 px."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_the_browser_zone_then_the_chosen_one(live_hub: str, browser: Any, tmp_path: Path) -> None:
    context = browser.new_context(timezone_id="America/Mexico_City")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_hub}/preferences")
    # The first page told the hub the browser's zone (static/zone.js, allowed by the CSP).
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    assert cookies.get("accord_browser_tz") == "America/Mexico_City"
    page.goto(f"{live_hub}/preferences")
    assert page.input_value("#tz") == "America/Mexico_City"
    assert "Time zone: Mexico (Mexico City) Time (change)" in page.inner_text("footer")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(tmp_path / f"preferences-{width}.png"), full_page=True)
        if width == 390:  # nothing wider than the screen
            assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Choosing another zone: typed into the searchable list, saved by the form's POST.
    page.fill("#tz", "Asia/Tokyo")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "Time zone: Japan Time (change)" in page.inner_text("footer")
    assert errors == []
    context.close()


def test_the_very_first_page_shows_the_browsers_zone(
    live_hub: str, browser: Any, make: Any, tmp_path: Path
) -> None:
    """No cookie yet: the server writes UTC and marks its moments; zone.js rewrites them in the
    browser's zone, in the page's language, before the page is shown."""
    make.org("Tokyo Widgets")
    reporter = browser.new_context(timezone_id="UTC")
    form = reporter.new_page()
    form.goto(f"{live_hub}/disclosure/report")
    form.get_by_label("Organization").select_option("tokyo-widgets")
    form.get_by_label("Title").fill("Session fixation")
    form.get_by_label("Affected product").fill("Widget")
    form.get_by_label("Description").fill("The session id survives the sign-in.")
    form.get_by_label("Steps to reproduce").fill("Sign in; compare the cookies.")
    form.get_by_role("button", name="Send the report").click()
    link = form.inner_text("#private-link")
    reporter.close()
    # The reporter opens the private link on another device: a browser the hub has never seen.
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_hub + link[link.index("/disclosure/") :])
    times = page.locator("main time")
    assert times.count() >= 1
    for text in times.all_inner_texts():
        assert text.endswith(" Asia/Tokyo"), text
        assert "UTC" not in text, text
        assert re.match(r"\d{4}/\d{2}/\d{2} \d{1,2}:\d{2} ", text), text  # as Babel writes ja
    # The same moment as the server writes it for this zone once it knows the zone.
    first = times.first.inner_text()
    assert page.locator("main time[data-local]").count() == 0
    # The footer names the zone in Japanese too (Intl's name here, Babel's from the server).
    assert "日本" in page.inner_text("footer")
    assert "UTC" not in page.inner_text("footer")
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    assert cookies.get("accord_browser_tz") == "Asia/Tokyo"
    page.reload()
    assert page.locator("main time").first.inner_text() == first
    assert page.locator("main time[data-local]").count() == 0
    assert "タイムゾーン: 日本時間（変更）" in page.inner_text("footer")  # noqa: RUF001
    page.set_viewport_size({"width": 390, "height": 900})
    page.screenshot(path=str(tmp_path / "first-load-ja-390.png"), full_page=True)
    assert errors == []
    context.close()
