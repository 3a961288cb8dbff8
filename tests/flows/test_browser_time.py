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
    assert "Times in America/Mexico_City" in page.inner_text("footer")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(tmp_path / f"preferences-{width}.png"), full_page=True)
        if width == 390:  # nothing wider than the screen
            assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Choosing another zone: typed into the searchable list, saved by the form's POST.
    page.fill("#tz", "Asia/Tokyo")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert re.search(r"Times in Asia/Tokyo", page.inner_text("footer"))
    assert errors == []
    context.close()
