"""In a real browser: the advisory editor's CVSS calculators score the choices as they are
made (htmx posting them to the hub, which scores them with the ``cvss`` library), with no
preview or save, and a vector the library refuses is said beside the field."""

from __future__ import annotations

from typing import Any

import pytest
from cvss import CVSS3, CVSS4

from accord.identity.models import MemberRole
from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser

V3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"
V4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


def _pick(page: Any, version: str, vector: str) -> None:
    for part in vector.split("/")[1:]:
        metric, value = part.split(":")
        page.locator(f'input[name="{version}-{metric}"][value="{value}"]').check()


def test_picking_a_metric_updates_the_score(live_hub: str, browser: Any, make: Factories) -> None:
    slug = make.org("Acme Security")
    make.member(make.user("author"), slug, MemberRole.MEMBER)
    page = browser.new_context().new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_hub}/login")
    page.get_by_label("Username").fill("author")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_hub}/orgs/{slug}/advisories/new")
    score = page.locator("#score-v3")
    assert "Choose every metric" in score.inner_text()

    _pick(page, "v3", V3)
    expected = str(CVSS3(V3).base_score)
    page.wait_for_function(
        "s => document.querySelector('#score-v3 strong')?.textContent === s", arg=expected
    )
    assert "Critical" in page.locator("#score-v3").inner_text()
    assert V3 in page.locator("#score-v3").inner_text()
    # Another choice, another score, still without sending the form.
    page.locator('input[name="v3-C"][value="L"]').check()
    lower = str(CVSS3(V3.replace("C:H", "C:L")).base_score)
    page.wait_for_function(
        "s => document.querySelector('#score-v3 strong')?.textContent === s", arg=lower
    )
    assert "/advisories/new" in page.url  # the page was never left

    _pick(page, "v4", V4)
    page.wait_for_function(
        "s => document.querySelector('#score-v4 strong')?.textContent === s",
        arg=str(CVSS4(V4).base_score),
    )

    # A pasted vector the library refuses: the reason beside the field, no score.
    page.locator("#cvss_v4 summary").click()
    page.locator('input[name="cvss_v4"]').fill("CVSS:4.0/AV:Q/AC:L")
    page.locator('input[name="cvss_v4"]').press("Tab")
    page.wait_for_selector("#cvss_v4-error")
    assert "invalid CVSS" in page.locator("#cvss_v4-error").inner_text()
    assert page.locator("#score-v4 strong").count() == 0
    # The 422 answer is the browser's only complaint; no script or style was refused.
    assert [e for e in errors if "422" not in e] == []
