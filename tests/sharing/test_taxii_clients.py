"""The server driven by the OASIS client libraries, unmodified, over HTTP on a loopback port.

``taxii2-client`` and ``stix2`` (TAXIICollectionSource / Sink) speak TAXII 2.1 as any client
would; every object they get back passes ``stix2-validator`` 3.2.0.
"""

from __future__ import annotations

from typing import Any

import pytest
import stix2
from stix2.datastore.taxii import TAXIICollectionSink, TAXIICollectionSource
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from accord.sharing.tlp import Tlp
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld


def _collection(live_hub: str, world: SharingWorld, reader: str = "producer") -> Collection:
    return Collection(
        f"{live_hub}/taxii2/hub/collections/{world.collection}/",
        user=world.people[reader].username,
        password=world.tokens[reader],
    )


def _objects(envelopes: Any) -> list[dict[str, Any]]:
    return [o for e in envelopes for o in e.get("objects", [])]


def test_discovery_api_root_and_collections(live_hub: str, world: SharingWorld) -> None:
    server = Server(
        f"{live_hub}/taxii2/",
        user=world.people["producer"].username,
        password=world.tokens["producer"],
    )
    assert server.title.endswith("TAXII")
    assert [r.url for r in server.api_roots] == ["http://testserver/taxii2/hub/"]
    root = ApiRoot(
        f"{live_hub}/taxii2/hub/",
        user=world.people["producer"].username,
        password=world.tokens["producer"],
    )
    assert root.versions == ["application/taxii+json;version=2.1"]
    assert root.max_content_length > 0
    [found] = root.collections
    assert found.id == world.collection
    assert found.can_read
    assert found.can_write
    assert found.media_types == ["application/stix+json;version=2.1"]


def test_add_page_filter_and_walk_with_taxii2_client(live_hub: str, world: SharingWorld) -> None:
    collection = _collection(live_hub, world)
    sent = [stixgen.indicator(tlp=Tlp.GREEN) for _ in range(25)]
    broken = {**stixgen.indicator(), "pattern": "[file:hashes.'SHA-256' = 'nothex']"}
    status = collection.add_objects(stixgen.envelope(*sent, broken))
    assert status.status == "complete"
    assert (status.total_count, status.success_count, status.failure_count) == (26, 25, 1)
    assert status.failures[0]["id"] == broken["id"]
    assert "SHA-256" in status.failures[0]["message"]

    pages = list(as_pages(collection.get_objects, per_request=10))
    assert [len(p.get("objects", [])) for p in pages] == [10, 10, 5]
    assert [p["more"] for p in pages] == [True, True, False]
    received = _objects(pages)
    assert {o["id"] for o in received} == {o["id"] for o in sent}
    stixgen.assert_valid_stix(received)

    manifest = list(as_pages(collection.get_manifest, per_request=7))
    records = [r for p in manifest for r in p.get("objects", [])]
    assert len(records) == 25
    assert {r["media_type"] for r in records} == {"application/stix+json;version=2.1"}

    only = collection.get_objects(id=sent[3]["id"])
    assert [o["id"] for o in only["objects"]] == [sent[3]["id"]]
    by_type = collection.get_objects(type="indicator", limit=1000)
    assert len(by_type["objects"]) == 25
    assert collection.get_objects(type="malware") in ({}, {"more": False})


def test_added_after_returns_only_later_objects(live_hub: str, world: SharingWorld) -> None:
    collection = _collection(live_hub, world)
    first = [stixgen.indicator() for _ in range(3)]
    collection.add_objects(stixgen.envelope(*first))
    manifest = collection.get_manifest()
    checkpoint = manifest["objects"][-1]["date_added"]
    later = [stixgen.indicator() for _ in range(2)]
    collection.add_objects(stixgen.envelope(*later))
    fresh = collection.get_objects(added_after=checkpoint)
    assert [o["id"] for o in fresh["objects"]] == [o["id"] for o in later]


def test_versions_first_last_all_and_delete(live_hub: str, world: SharingWorld) -> None:
    collection = _collection(live_hub, world)
    versions = stixgen.versions_of(stixgen.indicator(), 3)
    collection.add_objects(stixgen.envelope(*reversed(versions)))
    stix_id = versions[0]["id"]
    listed = collection.object_versions(stix_id)
    assert listed["versions"] == [v["modified"] for v in reversed(versions)]
    assert collection.get_object(stix_id)["objects"][0]["modified"] == versions[2]["modified"]
    first = collection.get_object(stix_id, version="first")["objects"]
    assert [o["modified"] for o in first] == [versions[0]["modified"]]
    every = collection.get_object(stix_id, version="all")["objects"]
    assert sorted(o["modified"] for o in every) == [v["modified"] for v in versions]
    exact = collection.get_object(stix_id, version=versions[1]["modified"])["objects"]
    assert [o["modified"] for o in exact] == [versions[1]["modified"]]
    stixgen.assert_valid_stix(every)

    collection.delete_object(stix_id, version=versions[2]["modified"])
    latest = collection.get_object(stix_id)["objects"]
    assert [o["modified"] for o in latest] == [versions[1]["modified"]]
    collection.delete_object(stix_id)
    with pytest.raises(Exception, match="404"):
        collection.get_object(stix_id)


def test_stix2_datastore_source_and_sink(live_hub: str, world: SharingWorld) -> None:
    sink = TAXIICollectionSink(_collection(live_hub, world))
    malware = stix2.v21.Malware(name="Shamoon", is_family=True)
    indicator = stix2.v21.Indicator(
        pattern="[ipv4-addr:value = '198.51.100.7']",
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00Z",
        object_marking_refs=[stix2.v21.TLP_GREEN],  # TLP 1 GREEN, read as TLP 2.0 GREEN
    )
    relation = stix2.v21.Relationship(indicator, "indicates", malware)
    sink.add([malware, indicator, relation])
    updated = malware.new_version(description="wiper")
    sink.add(updated)

    # Unmarked objects take the collection's default, AMBER: a named recipient reads them,
    # the wider community sees the GREEN indicator alone.
    community = TAXIICollectionSource(_collection(live_hub, world, "community"))
    assert community.get(malware.id) is None
    assert [o.id for o in community.query([])] == [indicator.id]
    source = TAXIICollectionSource(_collection(live_hub, world, "recipient"))
    got = source.get(malware.id)
    assert got.description == "wiper"
    assert len(source.all_versions(malware.id)) == 2
    found = source.query([stix2.Filter("type", "=", "indicator")])
    assert [o.id for o in found] == [indicator.id]
    related = source.relationships(malware.id)
    assert [r.id for r in related] == [relation.id]
    stixgen.assert_valid_stix([stixgen.as_dict(o) for o in [got, *found, *related]])
