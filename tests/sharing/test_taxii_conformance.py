"""TAXII 2.1 behaviours that third-party clients and medallion 3.0.0 (the OASIS reference
server) rely on: DELETE filters, 400 for bad filters, ignored unknown filters, 405's Allow."""

from __future__ import annotations

import pytest
import requests
from fastapi.testclient import TestClient
from taxii2client.v21 import Collection

from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}


def _collection(live_hub: str, world: SharingWorld) -> Collection:
    return Collection(
        f"{live_hub}/taxii2/hub/collections/{world.collection}/",
        user=world.people["producer"].username,
        password=world.tokens["producer"],
    )


def test_delete_honours_match_spec_version(live_hub: str, world: SharingWorld) -> None:
    # medallion answers 404 and deletes nothing when no version matches the filters.
    collection = _collection(live_hub, world)
    versions = stixgen.versions_of(stixgen.indicator(), 2)
    collection.add_objects(stixgen.envelope(*versions))
    stix_id = versions[0]["id"]
    with pytest.raises(requests.HTTPError, match="404"):
        collection.delete_object(stix_id, spec_version="2.0")
    assert len(collection.object_versions(stix_id)["versions"]) == 2
    with pytest.raises(requests.HTTPError, match="404"):
        collection.delete_object(stix_id, spec_version="2.0", version="all")
    assert len(collection.object_versions(stix_id)["versions"]) == 2
    # Both filters together: only the matching version goes.
    collection.delete_object(stix_id, spec_version="2.1", version=versions[0]["modified"])
    assert collection.object_versions(stix_id)["versions"] == [versions[1]["modified"]]
    collection.delete_object(stix_id, spec_version="2.1")
    with pytest.raises(requests.HTTPError, match="404"):
        collection.get_object(stix_id)


def _is_taxii_error(response: object, status: int) -> dict[str, object]:
    from httpx2 import Response

    assert isinstance(response, Response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == TAXII_MEDIA_TYPE
    body = response.json()
    assert body["http_status"] == str(status)
    assert body["title"]
    assert body["description"]
    return dict(body)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "abc"),
        ("limit", "0"),
        ("limit", "-1"),
        ("limit", "²"),
        ("added_after", "garbage"),
        ("next", "garbage"),
        ("match[version]", "yesterday"),
        ("match[id]", ","),
    ],
)
@pytest.mark.parametrize("route", ["objects/", "manifest/"])
def test_bad_filters_are_400_taxii_errors(
    client: TestClient, world: SharingWorld, route: str, name: str, value: str
) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/{route}"
    response = client.get(url, params={name: value}, headers={**TAXII, **world.bearer("producer")})
    body = _is_taxii_error(response, 400)
    assert body["details"] == {"field": name}


def test_unknown_match_filters_are_ignored(client: TestClient, world: SharingWorld) -> None:
    auth = {**TAXII, **world.bearer("producer")}
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    sent = stixgen.indicator()
    assert client.post(url, json=stixgen.envelope(sent), headers=auth).status_code == 202
    found = client.get(url, params={"match[colour]": "red", "match[x]": ""}, headers=auth)
    assert found.status_code == 200, found.text
    assert [o["id"] for o in found.json()["objects"]] == [sent["id"]]


def test_a_mistyped_filter_on_delete_deletes_nothing(
    client: TestClient, world: SharingWorld
) -> None:
    # GET ignores filters it does not know; a DELETE would then take every version.
    auth = {**TAXII, **world.bearer("producer")}
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    sent = stixgen.indicator()
    assert client.post(url, json=stixgen.envelope(sent), headers=auth).status_code == 202
    for name in ("match[versions]", "match[type]"):
        refused = client.delete(f"{url}{sent['id']}/", params={name: "first"}, headers=auth)
        assert _is_taxii_error(refused, 400)["details"] == {"field": name}
    assert client.get(f"{url}{sent['id']}/", headers=auth).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "objects/", {"GET", "POST"}),
        ("PATCH", "objects/", {"GET", "POST"}),
        ("POST", "objects/{id}/", {"GET", "DELETE"}),
        ("DELETE", "manifest/", {"GET"}),
    ],
)
def test_405_names_every_supported_method(
    client: TestClient, world: SharingWorld, method: str, path: str, allowed: set[str]
) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/" + path.format(id=stixgen.indicator()["id"])
    response = client.request(method, url, headers={**TAXII, **world.bearer("producer")})
    _is_taxii_error(response, 405)
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
