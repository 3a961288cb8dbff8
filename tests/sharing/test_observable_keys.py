"""Migration sharing_0006: the look-up index's keys go from 32 hex characters to 64 bits, and
back, on the rows already stored."""

from __future__ import annotations

import hashlib

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from accord.db import alembic_config
from accord.sharing import lookup
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from accord.sharing.tlp import Tlp
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}
VALUES = {
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "ipv4": "198.51.100.23",
    "domain": "evil.example",
    "url": "https://evil.example/päth/ü",  # not ASCII: the digest is of its UTF-8
}


def _stored(engine: Engine) -> dict[tuple[str, str], object]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, value, key FROM sharing_observables"))
        return {(kind, value): key for kind, value, key in rows}


def _old_key(kind: str, value: str) -> str:
    # The key before sharing_0006, as the release before it computed it.
    return hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()[:32]


def test_keys_are_converted_both_ways_and_the_look_up_still_finds(
    client: TestClient, world: SharingWorld, engine: Engine
) -> None:
    objects = [stixgen.indicator(v, kind=k, tlp=Tlp.GREEN) for k, v in VALUES.items()]
    posted = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*objects),
        headers={**TAXII, **world.bearer("producer")},
    )
    assert posted.json()["success_count"] == len(VALUES), posted.text
    pairs = set(_stored(engine))
    assert {kind for kind, _ in pairs} == set(VALUES)

    config = alembic_config(engine)
    try:
        command.downgrade(config, "sharing_0005")
        assert _stored(engine) == {pair: _old_key(*pair) for pair in pairs}
    finally:
        command.upgrade(config, "heads")
    assert _stored(engine) == {pair: lookup.key(*pair) for pair in pairs}

    found = client.post(
        "/api/v1/sharing/lookup",
        json={"values": list(VALUES.values())},
        headers=world.bearer("community"),
    )
    # Each value finds its own indicator; the URL also finds its host's (a look-up of a URL
    # checks the domain it contains too).
    assert [len(result["indicators"]) for result in found.json()] == [1, 1, 1, 2]
