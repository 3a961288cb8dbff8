"""What the public log reveals of a case: nothing that links its entries to it while it is
private (each is logged under HMAC-SHA256 of the case's key), and, once published, the key,
so that anyone can then find and link them."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from accord.clock import utcnow
from accord.db import unit_of_work
from accord.disclosure.models import DisclosureCase
from tests.disclosure.world import World
from tests.factories import Factories, sign_in


def _entries(client: TestClient) -> list[dict[str, Any]]:
    listed = client.get("/api/v1/log/entries", params={"limit": "100"})
    assert listed.status_code == 200
    found = []
    for record in listed.json():
        entry = client.get(f"/api/v1/log/entries/{record['index']}").json()
        found.append({**record, "bytes": base64.b64decode(entry["entry"]), **entry})
    return found


def _subject(key: str, public_id: str, seq: int) -> str:
    opening = f"disclosure:{public_id}:{seq}".encode()
    return "disclosure:" + hmac.new(bytes.fromhex(key), opening, hashlib.sha256).hexdigest()


def test_the_public_log_does_not_link_a_private_case_until_it_is_published(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    ref = world.open_case(client)
    world.state(client, "vendor-a", "affected")
    world.agreed_embargo(client)
    case = client.get(f"/api/v1/disclosure/cases/{ref}", headers=world.headers("vendor_b")).json()
    history = client.get(
        f"/api/v1/disclosure/cases/{ref}/history", headers=world.headers("vendor_b")
    ).json()
    entries = _entries(client)
    # Neither the case's UUID nor its ACCORD id appears in any entry's bytes.
    for entry in entries:
        assert world.public_id.encode() not in entry["bytes"]
        assert ref.encode() not in entry["bytes"]
    # The participants hold the key that opens each subject.
    by_index = {e["index"]: e for e in entries}
    for event in history:
        subject = by_index[event["log_index"]]["subject"]
        assert subject == _subject(case["log_key"], world.public_id, event["seq"])
    subjects = {e["subject"] for e in entries}
    assert len({s for s in subjects if s.startswith("disclosure:")}) == len(history)

    # Published: the key is logged in the clear, and anyone links every entry of the case.
    with unit_of_work(make.factory) as db:
        db.execute(
            update(DisclosureCase)
            .where(DisclosureCase.ref == ref)
            .values(embargo_at=utcnow() - timedelta(minutes=1))
        )
    published = client.post(
        f"/api/v1/disclosure/cases/{ref}/publish", json={}, headers=world.headers("vendor_a")
    )
    assert published.status_code == 201, published.text
    entries = _entries(client)
    (revealed,) = [e for e in entries if e["type"] == "disclosure.published"]
    document = revealed["envelope"]["document"]
    assert document["ref"] == ref
    count = document["events"]
    linked = {_subject(document["log_key"], document["case"], seq) for seq in range(1, count + 1)}
    assert linked <= {e["subject"] for e in entries}
    assert count == len(history) + 1  # and the publication itself
    # The case answers where that entry sits, as every publication does; before, it has none.
    assert case["revealed"] is None
    after = client.get(f"/api/v1/disclosure/cases/{ref}", headers=world.headers("vendor_b"))
    place = after.json()["revealed"]
    assert place["log_index"] == revealed["index"]
    proof = client.get(place["log_proof"])  # the tests' hub signs each publication at once
    assert proof.status_code == 200, proof.text
    assert proof.json()["index"] == revealed["index"]
    # The participants' case page links it too.
    sign_in(client, world.people["vendor_b"])
    page = client.get(f"/disclosure/cases/{ref}")
    assert page.status_code == 200
    assert f'<a href="/log/entries/{place["log_index"]}">' in page.text
