"""Pagination cursors: signed, tied to their query, continued by any process, refused forged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from accord.config import Settings
from accord.sharing import cursor
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from accord.web.app import create_app
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}
NOW = datetime(2024, 5, 1, tzinfo=UTC)


def test_round_trip_and_refusals() -> None:
    key = b"k" * 32
    position = cursor.Position(date_added=NOW, row_id=42)
    token = cursor.encode(key, position, query="q1", now=NOW)
    assert cursor.decode(key, token, query="q1", now=NOW) == position
    body, _, mac = token.partition(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    for bad, query, now in [
        (forged, "q1", NOW),
        (token, "q2", NOW),  # another query's cursor
        (token, "q1", NOW + timedelta(days=2)),  # expired
        ("garbage", "q1", NOW),
        (token.replace(".", ""), "q1", NOW),
    ]:
        with pytest.raises(cursor.BadCursor):
            cursor.decode(key, bad, query=query, now=now)
    with pytest.raises(cursor.BadCursor):
        cursor.decode(b"x" * 32, token, query="q1", now=NOW)


def test_another_process_continues_the_walk(
    client: TestClient, world: SharingWorld, settings: Settings, engine: Engine
) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    auth = {**TAXII, **world.bearer("producer")}
    sent = [stixgen.indicator() for _ in range(5)]
    client.post(url, json=stixgen.envelope(*sent), headers=auth)
    first = client.get(url, params={"limit": "2"}, headers=auth).json()
    # A second application (another process behind the load balancer) on the same database.
    other = create_app(settings, engine=engine)
    with TestClient(other, base_url="http://testserver") as second:
        rest = second.get(url, params={"limit": "10", "next": first["next"]}, headers=auth).json()
    ids = [o["id"] for o in first["objects"] + rest["objects"]]
    assert ids == [o["id"] for o in sent]
    assert rest["more"] is False

    tampered = first["next"][:-3] + "xyz"
    refused = client.get(url, params={"next": tampered}, headers=auth)
    assert refused.status_code == 400
    assert refused.json()["details"]["field"] == "next"
    manifest = client.get(
        f"/taxii2/hub/collections/{world.collection}/manifest/",
        params={"next": first["next"]},
        headers=auth,
    )
    assert manifest.status_code == 400, "a cursor is tied to the query that made it"
