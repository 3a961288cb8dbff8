"""The TAXII reads that look their caller up in their own worker thread (``sharing.routes``):
discovery, the API root and the collections answer as before, refuse what they refused, and
every TAXII route still checks the Accept header first."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.db import unit_of_work
from accord.identity.credentials import digest
from accord.identity.models import ApiToken
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE}
LIGHT_READS = ("/taxii2/", "/taxii2/hub/", "/taxii2/hub/collections/")


def _routes(collection: str) -> list[tuple[str, str]]:
    objects = f"/taxii2/hub/collections/{collection}/objects/"
    some = "indicator--00000000-0000-4000-8000-000000000000"
    return [
        ("GET", "/taxii2/"),
        ("GET", "/taxii2/hub/"),
        ("GET", "/taxii2/hub/status/00000000-0000-4000-8000-000000000000/"),
        ("GET", "/taxii2/hub/collections/"),
        ("GET", f"/taxii2/hub/collections/{collection}/"),
        ("GET", f"/taxii2/hub/collections/{collection}/manifest/"),
        ("GET", objects),
        ("POST", objects),
        ("GET", f"{objects}{some}/"),
        ("DELETE", f"{objects}{some}/"),
        ("GET", f"{objects}{some}/versions/"),
    ]


def test_every_route_refuses_an_unacceptable_accept_before_its_guard(
    client: TestClient, world: SharingWorld
) -> None:
    # Anonymous callers and callers without write access: the 406 comes before their 401 or
    # 403, as when the check was the router's dependency.
    for method, path in _routes(world.collection):
        for headers in ({}, world.bearer("outsider"), world.bearer("producer")):
            answer = client.request(method, path, headers={"Accept": "text/html", **headers})
            assert answer.status_code == 406, (method, path, answer.text)
            assert answer.json()["http_status"] == "406"


def test_discovery_and_api_root_answer_anyone(client: TestClient, world: SharingWorld) -> None:
    for headers in ({}, world.bearer("outsider")):
        discovery = client.get("/taxii2/", headers={**TAXII, **headers})
        assert discovery.status_code == 200
        assert discovery.headers["content-type"] == TAXII_MEDIA_TYPE
        assert discovery.json()["api_roots"] == ["http://testserver/taxii2/hub/"]
        root = client.get("/taxii2/hub/", headers={**TAXII, **headers})
        assert root.status_code == 200
        assert root.json()["versions"] == [TAXII_MEDIA_TYPE]


def test_collections_are_listed_by_the_callers_rights(
    client: TestClient, world: SharingWorld
) -> None:
    listed = client.get("/taxii2/hub/collections/", headers={**TAXII, **world.bearer("producer")})
    assert [c["id"] for c in listed.json()["collections"]] == [world.collection]
    assert listed.json()["collections"][0]["can_write"] is True
    one = client.get(
        f"/taxii2/hub/collections/{world.collection}/",
        headers={**TAXII, **world.bearer("recipient")},
    )
    assert one.status_code == 200
    assert (one.json()["can_read"], one.json()["can_write"]) == (True, False)
    unknown = client.get(
        "/taxii2/hub/collections/nope/", headers={**TAXII, **world.bearer("recipient")}
    )
    assert unknown.status_code == 404


@pytest.mark.parametrize("path", LIGHT_READS)
def test_a_revoked_token_is_refused_on_the_next_request(
    client: TestClient, world: SharingWorld, session_factory: sessionmaker[Session], path: str
) -> None:
    headers = {**TAXII, **world.bearer("recipient")}
    assert client.get(path, headers=headers).status_code == 200
    with unit_of_work(session_factory) as db:
        db.execute(update(ApiToken).where(ApiToken.secret_hash == digest(world.tokens["recipient"]))
                   .values(revoked_at=utcnow()))  # fmt: skip
    refused = client.get(path, headers=headers)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic")


def test_a_malformed_authorization_header_is_refused(client: TestClient) -> None:
    answer = client.get("/taxii2/hub/", headers={**TAXII, "Authorization": "Token x"})
    assert answer.status_code == 401
