"""Threat sharing by clicking: collections and groups created from pages, an object's page,
a sighting reported from it, correlations, and 403 with a reason for operators."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from accord.identity.models import MemberRole
from tests.factories import Factories, csrf_of, sign_in
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld
from tests.sharing.test_attack import post_all


def _form(client: TestClient, page: str, action: str, data: dict[str, str]) -> object:
    token = csrf_of(client.get(page).text)
    return client.post(action, data={**data, "csrf_token": token}, follow_redirects=False)


def test_an_admin_creates_a_collection_and_grants_a_group(
    client: TestClient, world: SharingWorld, make: Factories
) -> None:
    admin = make.user("chief")
    make.member(admin, world.slugs["producer"], MemberRole.ADMIN)
    sign_in(client, admin)
    assert 'href="/sharing/collections/new"' in client.get("/sharing").text
    # A mistake comes back beside its field, the input kept.
    bad = _form(
        client,
        "/sharing/collections/new",
        "/sharing/collections/new",
        {"org": world.slugs["producer"], "title": "Grid intel", "alias": "Bad Alias!"},
    )
    assert bad.status_code == 422
    assert 'id="alias-error"' in bad.text
    assert 'value="Grid intel"' in bad.text
    made = _form(
        client,
        "/sharing/collections/new",
        "/sharing/collections/new",
        {
            "org": world.slugs["producer"],
            "title": "Grid intel",
            "alias": "grid",
            "default_tlp": "green",
        },
    )
    assert made.status_code == 303
    url = made.headers["location"]
    collection = url.rsplit("/", 1)[1]
    page = client.get(url)
    assert "Grid intel" in page.text
    assert f"{url}/access" in page.text
    # A sharing group with the recipient organization, then read access for it.
    group = _form(
        client,
        "/sharing/groups",
        "/sharing/groups",
        {
            "org": world.slugs["producer"],
            "name": "Grid operators",
            "members": world.slugs["community"],
        },
    )
    assert group.status_code == 303
    groups_page = client.get("/sharing/groups").text
    assert "Grid operators" in groups_page
    assert "Community Org" in groups_page
    group_id = re.search(r'id="group-([0-9a-f-]{36})"', groups_page).group(1)  # type: ignore[union-attr]
    granted = _form(
        client, f"{url}/access", f"{url}/access", {"grantee": f"group:{group_id}", "access": "read"}
    )
    assert granted.status_code == 303
    assert "Grid operators" in client.get(f"{url}/access").text
    # The community member can now read the collection; before, it did not exist for it.
    reader = TestClient(client.app)
    sign_in(reader, world.people["community"])
    assert reader.get(url).status_code == 200
    assert any(collection in line for line in reader.get("/sharing").text.splitlines())
    # Someone who is not the owner's admin may not see or change the grants.
    assert reader.get(f"{url}/access").status_code == 403


def test_a_member_without_an_admin_role_is_told_why_it_cannot_create(
    client: TestClient, world: SharingWorld
) -> None:
    sign_in(client, world.people["recipient"])
    page = client.get("/sharing/collections/new")
    assert page.status_code == 200
    assert "You administer no organization" in page.text


def test_an_analyst_reports_a_sighting_from_the_objects_page(
    client: TestClient, world: SharingWorld
) -> None:
    shared = "d" * 64
    first = stixgen.indicator(shared, name="First loader")
    second = stixgen.indicator(shared, name="Same hash, other report")
    unrelated = stixgen.indicator(name="Unrelated")
    post_all(client, world, [first, second, unrelated])
    sign_in(client, world.people["producer"])
    url = f"/sharing/collections/{world.collection}/objects/{first['id']}"
    page = client.get(url)
    assert page.status_code == 200
    # Correlation: the other indicator testing the same hash, not the unrelated one.
    assert f'/objects/{second["id"]}"' in page.text
    assert f'/objects/{unrelated["id"]}"' not in page.text
    action = f"{url}/sightings"
    bad = _form(client, url, action, {"into": world.collection, "count": "many"})
    assert bad.status_code == 422
    assert 'id="count-error"' in bad.text
    bad = _form(
        client,
        url,
        action,
        {
            "into": world.collection,
            "count": "2",
            "first_seen": "2026-12-06T10:00",
            "last_seen": "2026-12-06T09:00",
        },
    )
    assert bad.status_code == 422
    assert 'id="last_seen-error"' in bad.text
    done = _form(
        client,
        url,
        action,
        {
            "into": world.collection,
            "count": "3",
            "first_seen": "2026-12-06T08:00",
            "description": "seen at substation 4",
        },
    )
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "Your sighting was added" in page.text
    assert "seen at substation 4" in page.text
    assert "Producer Org" in page.text
    # The sighting is a STIX object in the collection, counted by the indicator look-up.
    looked = client.post(
        "/sharing/lookup", data={"values": shared, "csrf_token": csrf_of(page.text)}
    )
    assert "3 sightings" in looked.text


def test_a_reader_without_write_access_is_told_where_sightings_go(
    client: TestClient, world: SharingWorld
) -> None:
    indicator = stixgen.indicator(name="Read only")
    post_all(client, world, [indicator])
    sign_in(client, world.people["recipient"])
    url = f"/sharing/collections/{world.collection}/objects/{indicator['id']}"
    page = client.get(url)
    assert "You may write to no collection" in page.text
    refused = _form(client, url, f"{url}/sightings", {"into": world.collection, "count": "1"})
    assert refused.status_code == 403
    assert "may not write" in refused.text


def test_operators_get_403_with_a_reason_and_others_404(
    client: TestClient, world: SharingWorld, make: Factories, session_factory: object
) -> None:
    from tests.sharing.conftest import make_collection

    private = make_collection(
        session_factory,
        world.slugs["producer"],
        title="Private",  # type: ignore[arg-type]
        public=False,
    )
    operator = make.user("op", operator=True)
    sign_in(client, operator)
    page = client.get(f"/sharing/collections/{private}")
    assert page.status_code == 403
    assert "ask its owner" in page.text
    other = TestClient(client.app)
    sign_in(other, world.people["outsider"])
    assert other.get(f"/sharing/collections/{private}").status_code == 404
    # An object the reader's TLP does not admit does not exist for it.
    red = stixgen.indicator(name="Red one", tlp=stixgen.Tlp.RED)
    post_all(client, world, [red])
    sign_in(other, world.people["community"])
    assert (
        other.get(f"/sharing/collections/{world.collection}/objects/{red['id']}").status_code == 404
    )


def test_a_cyber_observable_correlates_with_indicators_testing_its_value(
    client: TestClient, world: SharingWorld
) -> None:
    import uuid

    address = {
        "type": "ipv4-addr",
        "spec_version": "2.1",
        "id": f"ipv4-addr--{uuid.uuid4()}",
        "value": "198.51.100.9",
    }
    testing = stixgen.indicator("198.51.100.9", kind="ipv4", name="C2 address")
    other = stixgen.indicator("198.51.100.10", kind="ipv4", name="Another address")
    post_all(client, world, [address, testing, other])
    sign_in(client, world.people["recipient"])
    page = client.get(f"/sharing/collections/{world.collection}/objects/{address['id']}")
    assert page.status_code == 200
    assert f'/objects/{testing["id"]}"' in page.text
    assert f'/objects/{other["id"]}"' not in page.text
    # A cyber-observable is not sighted (a sighting names a domain object): no form.
    assert "Report the sighting" not in page.text


def test_a_groups_members_are_ticked_from_the_hubs_organizations_not_typed(
    client: TestClient, world: SharingWorld, make: Factories
) -> None:
    admin = make.user("grouper")
    make.member(admin, world.slugs["producer"], MemberRole.ADMIN)
    sign_in(client, admin)
    page = client.get("/sharing/groups").text
    form = page.split('action="/sharing/groups"', 1)[1].split("</form>", 1)[0]
    # Every organization is offered by name, as a box to tick; nothing asks for a slug.
    for slug in (world.slugs["community"], world.slugs["recipient"]):
        assert f'type="checkbox" name="members" value="{slug}"' in form
    assert "Community Org" in form
    assert '<input id="members"' not in form
    ticked = [world.slugs["community"], world.slugs["recipient"]]
    chosen = {"org": world.slugs["producer"], "csrf_token": csrf_of(page), "members": ticked}
    # A mistake elsewhere keeps the ticks.
    bad = client.post("/sharing/groups", data={**chosen, "name": "n" * 400})
    assert bad.status_code == 422
    for slug in ticked:
        assert f'value="{slug}" checked' in bad.text
    made = client.post(
        "/sharing/groups", data={**chosen, "name": "Grid operators"}, follow_redirects=False
    )
    assert made.status_code == 303
    section = client.get("/sharing/groups").text.split("Grid operators", 1)[1]
    members = section.split("</ul>", 1)[0]
    assert "Community Org" in members
    assert members.count("<li>") == 3  # the owner and the two ticked
