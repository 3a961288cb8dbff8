"""TLP 2.0 x every kind of reader x every route that returns objects or counts.

The expectations are written out from the issue's rule, not derived from ``tlp.AUDIENCE``:
CLEAR to everyone who may read the collection (a public one here), GREEN to member
organizations, AMBER to the organizations and sharing groups named, AMBER+STRICT to the
producing organization alone, RED to organizations named one by one. Nothing invisible may
show: not in an envelope, a manifest, a count, a ``more`` flag or a date-added header.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from accord.sharing import federation
from accord.sharing.models import StixObject
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from accord.sharing.tlp import Tlp
from tests.sharing import stixgen
from tests.sharing.conftest import READERS, SharingWorld, make_collection

SEES: dict[str, set[Tlp]] = {
    "producer": {Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED},
    "recipient": {Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.RED},
    "group_member": {Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER},
    "community": {Tlp.CLEAR, Tlp.GREEN},
    "outsider": {Tlp.CLEAR},
    "anonymous": {Tlp.CLEAR},
}
TAXII = {"Accept": TAXII_MEDIA_TYPE}


def _share_one_per_level(client: TestClient, world: SharingWorld) -> dict[Tlp, dict[str, Any]]:
    # Posted from the least to the most restrictive, so the newest object is RED: a page that
    # leaked its existence would show it in "more" or X-TAXII-Date-Added-Last.
    objects = {level: stixgen.indicator(tlp=level, kind="ipv4", value=f"192.0.2.{i + 1}")
               for i, level in enumerate(Tlp)}  # fmt: skip
    for obj in objects.values():
        response = client.post(
            f"/taxii2/hub/collections/{world.collection}/objects/",
            json=stixgen.envelope(obj),
            headers={**TAXII, "Content-Type": TAXII_MEDIA_TYPE, **world.bearer("producer")},
        )
        assert response.json()["success_count"] == 1
    return objects


@pytest.mark.parametrize("reader", READERS)
def test_each_route_returns_what_the_reader_may_see(
    client: TestClient, world: SharingWorld, reader: str
) -> None:
    objects = _share_one_per_level(client, world)
    expected = {objects[level]["id"] for level in SEES[reader]}
    base = f"/taxii2/hub/collections/{world.collection}"
    auth = {**TAXII, **world.bearer(reader)}
    added = {
        r["id"]: r["date_added"]
        for r in client.get(
            f"{base}/manifest/", headers={**TAXII, **world.bearer("producer")}
        ).json()["objects"]
    }

    envelope = client.get(f"{base}/objects/", headers=auth)
    assert {o["id"] for o in envelope.json()["objects"]} == expected
    visible_added = sorted(added[i] for i in expected)
    assert envelope.headers["X-TAXII-Date-Added-First"] == visible_added[0]
    assert envelope.headers["X-TAXII-Date-Added-Last"] == visible_added[-1]
    stixgen.assert_valid_stix(envelope.json()["objects"])

    walked, token, pages = [], None, 0
    while True:
        params = {"limit": "1", **({"next": token} if token else {})}
        page = client.get(f"{base}/objects/", headers=auth, params=params).json()
        walked += [o["id"] for o in page.get("objects", [])]
        pages += 1
        if not page["more"]:
            break
        token = page["next"]
    assert set(walked) == expected
    assert pages == len(expected), "a 'more' flag announced an object the reader cannot see"

    manifest = client.get(f"{base}/manifest/", headers=auth).json()
    assert {r["id"] for r in manifest["objects"]} == expected
    assert client.get(f"{base}/manifest/", headers=auth, params={"limit": "1"}).json()["more"] == (
        len(expected) > 1
    )

    for level, obj in objects.items():
        seen = level in SEES[reader]
        one = client.get(f"{base}/objects/{obj['id']}/", headers=auth)
        assert one.status_code == (200 if seen else 404), (level, one.text)
        versions = client.get(f"{base}/objects/{obj['id']}/versions/", headers=auth)
        assert versions.status_code == (200 if seen else 404), (level, versions.text)
        if not seen:
            assert "X-TAXII-Date-Added-First" not in one.headers
            assert one.json()["http_status"] == "404"

    values = [obj["pattern"].split("'")[1] for obj in objects.values()]
    found = client.post("/api/v1/sharing/lookup", json={"values": values}, headers=auth).json()
    assert {i["id"] for r in found for i in r["indicators"]} == expected

    listed = client.get("/api/v1/sharing/collections", headers=world.bearer(reader)).json()
    assert [c["visible_objects"] for c in listed] == [len(expected)]


@pytest.mark.parametrize("reader", ["producer", "group_member", "outsider", "anonymous"])
def test_pages_show_what_the_reader_may_see(
    client: TestClient, world: SharingWorld, reader: str
) -> None:
    from tests.factories import csrf_of, sign_in

    objects = _share_one_per_level(client, world)
    if reader != "anonymous":
        sign_in(client, world.people[reader])
    listing = client.get(f"/sharing/collections/{world.collection}").text
    values = "\n".join(obj["pattern"].split("'")[1] for obj in objects.values())
    form = client.get("/sharing/lookup").text
    looked_up = client.post(
        "/sharing/lookup", data={"values": values, "csrf_token": csrf_of(form)}
    ).text
    for level, obj in objects.items():
        seen = level in SEES[reader]
        assert (obj["id"] in listing) == seen, level
        assert (obj["name"] in looked_up) == seen, level
    assert f"<td>{len(SEES[reader])}</td>" in client.get("/sharing").text


@pytest.mark.parametrize("reader", READERS)
def test_federation_pull_receives_what_the_reader_may_see(
    live_hub: str,
    client: TestClient,
    world: SharingWorld,
    session_factory: sessionmaker[Session],
    db: Session,
    reader: str,
) -> None:
    objects = _share_one_per_level(client, world)
    # The pulling hub is this one, into a second collection: what travels is what the
    # credentials it pulls with may see. The pull below holds the write lock while it reads
    # from the live hub, whose first page creates the hub's cursor secret (a write) when it
    # is not there yet: a first read now creates it.
    client.get(f"/taxii2/hub/collections/{world.collection}/objects/", headers=TAXII)
    target = make_collection(session_factory, world.slugs["community"], title="Mirror")
    with unit_of_work(session_factory) as session:
        remote = federation.configure_remote(
            session,
            spec=federation.RemoteSpec(
                name=f"mirror-{reader.replace('_', '-')}",
                api_root=f"{live_hub}/taxii2/hub/",
                remote_collection=world.collection,
                local_collection=target,
                organization=world.slugs["community"],
                username=world.people[reader].username if reader != "anonymous" else None,
            ),
            actor=SYSTEM,
        )
        token = world.tokens.get(reader)
        with federation.client_for(remote, token=token, timeout=10) as http:
            result = federation.pull(
                session, remote=remote, client=http, actor=SYSTEM, now=utcnow()
            )
    assert result.received == len(SEES[reader])
    db.rollback()
    pulled = db.scalars(select(StixObject).where(StixObject.origin_remote_id.is_not(None))).all()
    assert {row.stix_id for row in pulled} == {objects[level]["id"] for level in SEES[reader]}
    for row in pulled:  # markings travel with the objects, and keep their level here
        body = json.loads(row.body)
        level = next(lvl for lvl, obj in objects.items() if obj["id"] == row.stix_id)
        assert body["object_marking_refs"] == objects[level]["object_marking_refs"]
        assert row.tlp == level.value


def test_anonymous_cannot_reach_a_private_collection(
    client: TestClient, world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    private = make_collection(
        session_factory, world.slugs["producer"], title="Private", public=False
    )
    for path in ("objects/", "manifest/", ""):
        response = client.get(f"/taxii2/hub/collections/{private}/{path}", headers=TAXII)
        assert response.status_code == 401
        assert "Basic" in response.headers["WWW-Authenticate"]
    for reader in ("community", "outsider"):
        response = client.get(
            f"/taxii2/hub/collections/{private}/objects/", headers={**TAXII, **world.bearer(reader)}
        )
        assert response.status_code == 404, "a collection one may not read does not exist for one"
    missing = client.get("/taxii2/hub/collections/no-such/objects/", headers=TAXII)
    assert missing.status_code == 401  # the same answer, so anonymous callers learn nothing
    _ = httpx  # imported for the federation client type
