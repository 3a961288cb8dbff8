"""In a real browser: an analyst creates a collection, opens an object in it and reports a
sighting, at 1280 and at 390 pixels wide, without the page scrolling sideways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.identity.models import MemberRole, TokenScope
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.factories import PASSWORD, Factories
from tests.flows import axe
from tests.flows.test_browser_vulnerabilities import _fits, _shot
from tests.sharing import stixgen

pytestmark = pytest.mark.browser
TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}


def test_an_analyst_creates_a_collection_and_reports_a_sighting(
    live_hub: str,
    browser: Any,
    client: TestClient,
    make: Factories,
    tmp_path: Path,
    axe_source: str,
) -> None:
    slug = make.org("Grid Operator")
    analyst = make.user("analyst")
    make.member(analyst, slug, MemberRole.ADMIN)
    token = make.token(analyst, TokenScope.WRITE)
    errors: list[str] = []
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        # axe-core on every page of the journey (every impact), with the hub's CSP in force.
        context.add_init_script(script=axe_source)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{live_hub}/login")
        page.get_by_label("Username").fill("analyst")
        page.get_by_label("Password").fill(PASSWORD)
        axe.check(page, axe_source)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: not url.endswith("/login"))
        axe.check(page, axe_source)
        # The header's menu folds away at 390 pixels (its own tests open it): go to the list.
        page.goto(f"{live_hub}/sharing")
        axe.check(page, axe_source)
        page.get_by_role("link", name="New collection").click()
        page.get_by_label("Title").fill(f"Substation intel {width}")
        page.get_by_label("TLP of objects that carry no marking").select_option("green")
        _shot(page, tmp_path, f"sharing-new-collection-{width}")
        _fits(page, "main")
        axe.check(page, axe_source)
        page.get_by_role("button", name="Create the collection").click()
        page.get_by_role("heading", name=f"Substation intel {width}").wait_for()
        collection = page.url.rstrip("/").rsplit("/", 1)[1]
        axe.check(page, axe_source)
        # The owner's admin sees who may read it, and the sharing groups, at this width too.
        page.get_by_role("link", name="Who may read and write it").click()
        page.get_by_role("button", name="Grant").wait_for()
        _shot(page, tmp_path, f"sharing-access-{width}")
        _fits(page, "main")
        axe.check(page, axe_source)
        page.goto(f"{live_hub}/sharing/groups")
        page.get_by_label("Name", exact=True).fill(f"Grid operators {width}")
        page.get_by_role("button", name="Create the group").click()
        page.get_by_role("heading", name=f"Grid operators {width}").wait_for()
        _shot(page, tmp_path, f"sharing-groups-{width}")
        _fits(page, "main")
        axe.check(page, axe_source)
        page.goto(f"{live_hub}/sharing/collections/{collection}")
        # A feed puts an indicator in it (TAXII), and the analyst opens it from the list.
        indicator = stixgen.indicator(name=f"Loader seen at {width}")
        indicator["labels"] = ['admiralty-scale:information-credibility="2"', "ics"]
        client.post(
            f"/taxii2/hub/collections/{collection}/objects/",
            json=stixgen.envelope(indicator),
            headers={**TAXII, "Authorization": f"Bearer {token}"},
        ).raise_for_status()
        page.reload()
        axe.check(page, axe_source)
        page.get_by_role("link", name=f"Loader seen at {width}").click()
        page.get_by_role("heading", name=f"Loader seen at {width}").wait_for()
        axe.check(page, axe_source)
        page.get_by_label("How many times").fill("4")
        page.get_by_label("Note (optional)").fill("Beaconing from the HMI")
        page.get_by_role("button", name="Report the sighting").click()
        page.get_by_text("Your sighting was added").wait_for()
        assert page.get_by_role("cell", name="Beaconing from the HMI").is_visible()
        assert page.get_by_text("Probably true").is_visible()
        _shot(page, tmp_path, f"sharing-object-{width}")
        _fits(page, "main")
        axe.check(page, axe_source)
        context.close()
    assert errors == []
