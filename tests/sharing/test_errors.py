"""Bad requests get TAXII error messages with the right status; authentication schemes."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.db import unit_of_work
from accord.identity.credentials import digest
from accord.identity.models import ApiToken
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.factories import PASSWORD
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}


def _basic(user: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def _is_taxii_error(response: object, status: int) -> None:
    from httpx2 import Response

    assert isinstance(response, Response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == TAXII_MEDIA_TYPE
    body = response.json()
    assert body["http_status"] == str(status)
    assert body["title"]
    assert body["description"]


def test_media_types(client: TestClient, world: SharingWorld) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    auth = world.bearer("producer")
    _is_taxii_error(client.get(url, headers={"Accept": "application/xml", **auth}), 406)
    _is_taxii_error(
        client.get(url, headers={"Accept": "application/taxii+json;version=2.0", **auth}), 406
    )
    assert client.get(url, headers={"Accept": "application/taxii+json", **auth}).status_code == 200
    posted = client.post(
        url,
        json=stixgen.envelope(stixgen.indicator()),
        headers={"Accept": TAXII_MEDIA_TYPE, **auth},
    )
    _is_taxii_error(posted, 415)


def test_bad_envelopes(client: TestClient, world: SharingWorld) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    auth = {**TAXII, **world.bearer("producer")}
    _is_taxii_error(client.post(url, content=b"{not json", headers=auth), 400)
    _is_taxii_error(client.post(url, json=[1, 2], headers=auth), 400)
    _is_taxii_error(client.post(url, json={"objects": "x"}, headers=auth), 400)
    # NaN, Infinity and numbers beyond a double are not JSON: refused, not stored altered.
    for number in (b"NaN", b"-Infinity", b"1e400"):
        body = b'{"objects": [{"type": "x-thing", "n": ' + number + b"}]}"
        _is_taxii_error(client.post(url, content=body, headers=auth), 400)
    _is_taxii_error(client.get(url, params={"limit": "-1"}, headers=auth), 400)
    _is_taxii_error(client.get(url, params={"added_after": "yesterday"}, headers=auth), 400)


def test_oversized_request_is_413_in_taxii_form(client: TestClient, world: SharingWorld) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    huge = stixgen.envelope(*[stixgen.indicator() for _ in range(3000)])
    response = client.post(url, json=huge, headers={**TAXII, **world.bearer("producer")})
    _is_taxii_error(response, 413)
    # Elsewhere the hub's own JSON error format is unchanged.
    other = client.post("/api/v1/sharing/lookup", content=b"x" * 2_000_000)
    assert other.status_code == 413
    assert other.json()["error"] == "too_large"


def test_basic_takes_an_api_token_never_a_password(client: TestClient, world: SharingWorld) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    user = world.people["producer"].username
    assert (
        client.get(url, headers={**TAXII, **_basic(user, world.tokens["producer"])}).status_code
        == 200
    )
    _is_taxii_error(client.get(url, headers={**TAXII, **_basic(user, PASSWORD)}), 401)
    # Someone else's token under this name is refused too.
    _is_taxii_error(
        client.get(url, headers={**TAXII, **_basic(user, world.tokens["recipient"])}), 401
    )
    _is_taxii_error(client.get(url, headers={**TAXII, "Authorization": "Basic !!!"}), 401)
    # Basic is for TAXII clients only: the rest of the API keeps to bearer tokens.
    api = client.get("/api/v1/me", headers=_basic(user, world.tokens["producer"]))
    assert api.status_code == 401
    assert api.json()["error"] == "unauthenticated"


def test_writes_need_write_access(client: TestClient, world: SharingWorld) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    body = stixgen.envelope(stixgen.indicator())
    _is_taxii_error(
        client.post(url, json=body, headers={**TAXII, **world.bearer("recipient")}), 403
    )
    _is_taxii_error(client.post(url, json=body, headers=TAXII), 401)


@pytest.mark.parametrize("path", ["/taxii2/hub/nothing/", "/taxii2/other-root/"])
def test_unknown_paths_are_taxii_404s(client: TestClient, path: str) -> None:
    _is_taxii_error(client.get(path, headers=TAXII), 404)


@pytest.mark.parametrize("query", ["", "?limit=500"])  # on the loop (SQLite), and in a hop
def test_a_revoked_token_reads_nothing_from_the_next_request(
    client: TestClient, world: SharingWorld, session_factory: sessionmaker[Session], query: str
) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/objects/{query}"
    headers = {**TAXII, "Authorization": f"Bearer {world.tokens['producer']}"}
    assert client.get(url, headers=headers).status_code == 200
    with unit_of_work(session_factory) as db:
        db.execute(update(ApiToken).where(ApiToken.secret_hash == digest(world.tokens["producer"]))
                   .values(revoked_at=utcnow()))  # fmt: skip
    _is_taxii_error(client.get(url, headers=headers), 401)
