"""The look-up API's answer, written from plain dictionaries (``indicators.answer``), is the
JSON that ``list[LookupResult]`` models wrote, byte for byte, for a varied batch."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.identity.models import User
from accord.identity.policy import ANONYMOUS
from accord.identity.services import actor_for
from accord.sharing import indicators
from accord.sharing.readers import reader_for
from accord.sharing.schemas import LookupResult
from accord.sharing.tlp import Tlp
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld
from tests.sharing.test_lookup import SHA, _post

RESULTS = TypeAdapter(list[LookupResult])
VALUES = [
    SHA,
    "203.0.113.77",  # inside a stored /24 only
    "203.0.113.9",  # itself and inside the /24
    "http://evil.example/a?b=1",  # itself, and its host
    "https://EVIL.example/other",  # its host only
    "evil.example",
    "gone.example",  # expired
    "8.8.8.8",  # on a shipped warninglist
    SHA,  # asked twice
    "nothing.example",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
]


def _models_json(found: list[dict[str, object]]) -> bytes:
    """What the route wrote before: each result validated into its model, then FastAPI's
    rendering of ``response_model=list[LookupResult]``."""
    models = RESULTS.validate_python(found)
    rendered = RESULTS.dump_python(models, mode="json")
    return json.dumps(rendered, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize("include_expired", [False, True])
def test_the_written_answer_is_the_models_json(
    client: TestClient, world: SharingWorld, db: Session, include_expired: bool
) -> None:
    hashed = stixgen.indicator(SHA.lower(), tlp=Tlp.GREEN, name="dropper «Ω» 日本")
    unnamed = stixgen.indicator(SHA.lower(), tlp=Tlp.CLEAR)
    del unnamed["name"]
    unnamed["confidence"] = 85
    ranged = stixgen.indicator("203.0.113.0/24", kind="ipv4", tlp=Tlp.GREEN)
    address = stixgen.indicator("203.0.113.9", kind="ipv4", tlp=Tlp.AMBER)
    url = stixgen.indicator("http://evil.example/a?b=1", kind="url", tlp=Tlp.GREEN)
    host = stixgen.indicator("evil.example", kind="domain", tlp=Tlp.GREEN)
    gone = stixgen.indicator("gone.example", kind="domain", tlp=Tlp.GREEN)
    gone["valid_until"] = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    recent = stixgen.indicator("evil.example", kind="domain", tlp=Tlp.GREEN, name="recent")
    recent["valid_from"] = (utcnow() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    recent["valid_until"] = (utcnow() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    _post(client, world, hashed, unnamed, ranged, address, url, host, gone, recent)
    _post(client, world, stixgen.sighting(hashed["id"], count=3, tlp=Tlp.GREEN))
    for reader in ("producer", "community", None):
        response = client.post(
            "/api/v1/sharing/lookup",
            json={"values": VALUES, "include_expired": include_expired},
            headers=world.bearer(reader) if reader else {},
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        db.rollback()
        found = json.loads(response.content)
        assert response.content == _models_json(found)
        # The pages' models hold the same answer.
        actor = ANONYMOUS
        if reader:
            user = db.scalars(select(User).where(User.username == world.people[reader].username))
            actor = actor_for(db, user.one())
        models = indicators.look_up(
            db, reader=reader_for(db, actor), values=VALUES, include_expired=include_expired
        )
        assert RESULTS.dump_python(models, mode="json") == found
    # The batch is varied: ranges and hosts, an unnamed indicator, warninglists, the expired.
    producer = client.post(
        "/api/v1/sharing/lookup",
        json={"values": VALUES, "include_expired": include_expired},
        headers=world.bearer("producer"),
    ).json()
    hits = [hit for result in producer for hit in result["indicators"]]
    assert {hit["via"] for hit in hits} >= {None, "203.0.113.0/24", "evil.example"}
    assert None in {hit["name"] for hit in hits}
    assert producer[7]["warninglists"]
    assert any(hit["sightings"] == 3 for hit in hits)
    assert any(hit["expired"] for hit in hits) == include_expired
