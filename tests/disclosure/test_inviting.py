"""Inviting a vendor by choosing an organization: the page offers every organization not yet
taking part (name shown, slug sent), the server takes a name or a slug, and an unknown one
comes back beside the field with what was typed."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.disclosure.test_pages import Page
from tests.disclosure.world import World
from tests.factories import Factories, csrf_of, sign_in


def test_the_page_offers_organizations_and_takes_a_name_or_a_slug(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    make.org("Third Party Labs")
    case = world.open_case(client)
    sign_in(client, world.people["coordinator"])
    page = f"/disclosure/cases/{case}"
    html = client.get(page).text
    offered = dict(
        re.findall(
            r'<option value="([^"]+)">([^<]+)</option>',
            html.split('id="organizations"')[1].split("</datalist>")[0],
        )
    )
    assert offered == {"other-vendor": "Other Vendor", "third-party-labs": "Third Party Labs"}
    token = csrf_of(html)
    unknown = client.post(
        f"{page}/vendors",
        data={"organization": "Nobody Incorporated", "csrf_token": token},
        follow_redirects=False,
    )
    assert unknown.status_code == 404, unknown.text[:300]
    shown = Page(unknown.text)
    assert shown.errors["organization"] == "no organization named Nobody Incorporated"
    assert shown.values["organization"] == "Nobody Incorporated"
    twice = client.post(
        f"{page}/vendors",
        data={"organization": "vendor-b", "csrf_token": token},
        follow_redirects=False,
    )
    assert twice.status_code == 409
    assert "takes part already" in Page(twice.text).errors["organization"]
    by_name = client.post(
        f"{page}/vendors",
        data={"organization": "third party labs", "csrf_token": token},
        follow_redirects=False,
    )
    assert by_name.status_code == 303, by_name.text[:300]
    vendors = client.get(
        f"/api/v1/disclosure/cases/{case}", headers=world.headers("coordinator")
    ).json()["vendors"]
    assert "third-party-labs" in {v["organization"] for v in vendors}
    by_api = client.post(
        f"/api/v1/disclosure/cases/{case}/vendors",
        json={"organization": "Other Vendor"},
        headers=world.headers("coordinator"),
    )
    assert (by_api.status_code, by_api.json()["organization"]) == (201, "other-vendor")
