"""The hub's own objects exported as a MISP event: indicators, observables, labels and
sightings become MISP attributes, tags and sightings; PyMISP loads the export without errors
and finds every attribute; each reader gets only what TLP lets it see."""

from __future__ import annotations

import uuid
from typing import Any

import stix2
from fastapi.testclient import TestClient
from pymisp import MISPEvent
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.db import unit_of_work
from accord.identity.services import get_org
from accord.sharing import ingest, services
from accord.sharing.tlp import TLP2_MARKINGS, Tlp
from tests.factories import Factories
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

SHA256 = "a" * 64
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _marked(obj: dict[str, Any], tlp: Tlp) -> dict[str, Any]:
    return {**obj, "object_marking_refs": [TLP2_MARKINGS[tlp]]}


def _objects() -> dict[str, dict[str, Any]]:
    ip = stixgen.indicator("198.51.100.7", kind="ipv4", tlp=Tlp.GREEN)
    ip["labels"] = ["malicious-activity", 'admiralty-scale:source-reliability="b"']
    either = "[ipv4-addr:value = '203.0.113.9'] OR [domain-name:value = 'bad.example']"
    return {
        "ip": ip,
        "hash": stixgen.indicator(SHA256, tlp=Tlp.CLEAR),
        "either": stixgen.indicator(pattern=either, tlp=Tlp.GREEN),
        "red": stixgen.indicator("192.0.2.66", kind="ipv4", tlp=Tlp.RED),
        "domain": _marked(stixgen.as_dict(stix2.v21.DomainName(value="c2.example")), Tlp.GREEN),
        "url": _marked(stixgen.as_dict(stix2.v21.URL(value="https://c2.example/x")), Tlp.GREEN),
        "file": _marked(
            stixgen.as_dict(stix2.v21.File(hashes={"MD5": MD5, "SHA-256": "b" * 64})), Tlp.GREEN
        ),
        "malware": _marked(
            stixgen.as_dict(stix2.v21.Malware(name="Sample", is_family=False)), Tlp.GREEN
        ),
    }


def _store(factory: sessionmaker[Session], world: SharingWorld, objects: list[Any]) -> None:
    with unit_of_work(factory) as db:
        collection = services.get_collection(db, world.collection)
        producer = get_org(db, world.slugs["producer"])
        report = ingest.store_objects(
            db,
            collection=collection,
            objects=objects,
            source=ingest.Source(producer_org_id=producer.id),
            now=utcnow(),
        )
        assert not report.failures, report.failures


def _native(events: list[dict[str, Any]]) -> dict[str, Any]:
    [event] = [e["Event"] for e in events]
    return event


def test_native_objects_export_to_misp_and_load_in_pymisp(
    client: TestClient, world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    objects = _objects()
    sighted = stixgen.sighting(objects["ip"]["id"], count=3, tlp=Tlp.GREEN)
    _store(session_factory, world, [*objects.values(), sighted])

    # The producer sees everything it shared, RED included.
    answer = client.get(
        f"/api/v1/sharing/collections/{world.collection}/misp", headers=world.bearer("producer")
    )
    assert answer.status_code == 200, answer.text
    event = _native(answer.json()["response"])
    loaded = MISPEvent()
    loaded.load({"Event": event})
    by_value = {a.value: a for a in loaded.attributes}
    either = objects["either"]["pattern"]
    assert set(by_value) == {
        "198.51.100.7", SHA256, either, "192.0.2.66", "c2.example", "https://c2.example/x",
        MD5, "b" * 64,
    }  # fmt: skip
    assert len(loaded.attributes) == 8  # the malware has no MISP attribute
    types = {value: a.type for value, a in by_value.items()}
    assert types == {
        "198.51.100.7": "ip-dst", SHA256: "sha256", either: "stix2-pattern",
        "192.0.2.66": "ip-dst", "c2.example": "domain", "https://c2.example/x": "url",
        MD5: "md5", "b" * 64: "sha256",
    }  # fmt: skip
    ip = by_value["198.51.100.7"]
    assert ip.to_ids is True
    assert by_value["c2.example"].to_ids is False
    assert ip.uuid == objects["ip"]["id"].partition("--")[2]
    assert {t.name for t in ip.tags} == {
        "tlp:green", "malicious-activity", 'admiralty-scale:source-reliability="b"'
    }  # fmt: skip
    assert [s.source for s in ip.sightings] == ["accord (count 3)"]
    assert {t.name for t in by_value["192.0.2.66"].tags} == {"tlp:red"}
    assert by_value["192.0.2.66"].distribution == 0

    # A member of another organization sees neither RED nor what only named recipients may.
    community = client.get(
        f"/api/v1/sharing/collections/{world.collection}/misp", headers=world.bearer("community")
    )
    seen = {a["value"] for a in _native(community.json()["response"])["Attribute"]}
    assert "192.0.2.66" not in seen
    assert "198.51.100.7" in seen
    # Anonymous readers of the public collection get CLEAR alone.
    public = client.get(f"/api/v1/sharing/collections/{world.collection}/misp")
    assert [a["value"] for a in _native(public.json()["response"])["Attribute"]] == [SHA256]


def test_the_page_download_and_an_empty_collection(
    client: TestClient, world: SharingWorld, make: Factories
) -> None:
    make.session(client, world.people["recipient"])
    empty = client.get(f"/sharing/collections/{world.collection}/misp.json")
    assert empty.status_code == 200
    assert empty.json() == {"response": []}
    page = client.get(f"/sharing/collections/{world.collection}")
    assert f"/sharing/collections/{world.collection}/misp.json" in page.text
    missing = client.get(f"/sharing/collections/{uuid.uuid4()}/misp.json")
    assert missing.status_code == 404
