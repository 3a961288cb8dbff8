"""MITRE's ATT&CK for ICS bundle through TAXII with nothing lost, and technique ids that
resolve on objects' pages."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.factories import sign_in
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}
BUNDLE = Path(__file__).parent.parent / "data" / "mitre-attack" / "ics-attack-18.1.json.gz"


def attack_objects() -> list[dict[str, Any]]:
    """The objects of MITRE's ATT&CK for ICS 18.1 bundle, as published."""
    with gzip.open(BUNDLE) as f:
        return list(json.load(f)["objects"])


def post_all(client: TestClient, world: SharingWorld, objects: list[dict[str, Any]]) -> None:
    """Post ``objects`` through TAXII in envelopes below the queueing size and the request
    size limit (1 MiB); all stored."""
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for obj in objects:
        length = len(json.dumps(obj))
        if len(chunks[-1]) == 400 or size + length > 900_000:
            chunks.append([])
            size = 0
        chunks[-1].append(obj)
        size += length
    for chunk in chunks:
        r = client.post(
            url, json=stixgen.envelope(*chunk), headers={**TAXII, **world.bearer("producer")}
        )
        assert r.status_code == 202, r.text
        status = r.json()
        assert status["failure_count"] == 0, status.get("failures")
        assert status["success_count"] == len(chunk)


def read_all(client: TestClient, world: SharingWorld) -> list[dict[str, Any]]:
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    found: list[dict[str, Any]] = []
    params: dict[str, str] = {"limit": "1000"}
    while True:
        r = client.get(url, params=params, headers={**TAXII, **world.bearer("producer")})
        assert r.status_code == 200, r.text
        body = r.json()
        found.extend(body.get("objects", []))
        if not body.get("more"):
            return found
        params = {"limit": "1000", "next": body["next"]}


def test_the_ics_bundle_goes_through_taxii_with_nothing_lost(
    client: TestClient, world: SharingWorld
) -> None:
    objects = attack_objects()
    counts = Counter(o["type"] for o in objects)
    assert counts["attack-pattern"] == 95
    assert counts["relationship"] == 1373
    post_all(client, world, objects)
    back = read_all(client, world)
    assert Counter(o["type"] for o in back) == counts
    # Every object comes back as MITRE wrote it: custom x_mitre_* properties and all.
    assert {o["id"]: o for o in back} == {o["id"]: o for o in objects}


def test_technique_ids_resolve_on_an_objects_page(client: TestClient, world: SharingWorld) -> None:
    objects = attack_objects()
    post_all(client, world, objects)
    techniques = {
        ref["external_id"]: o
        for o in objects
        if o["type"] == "attack-pattern"
        for ref in o["external_references"]
        if ref.get("source_name") == "mitre-attack"
    }
    assert {"T0800", "T0807"} <= set(techniques)
    # A producer's indicator names techniques by an ATT&CK reference and by a label.
    indicator = stixgen.indicator(name="Loader hash")
    indicator["external_references"] = [{"source_name": "mitre-attack", "external_id": "T0800"}]
    indicator["labels"] = ["T0807", 'admiralty-scale:source-reliability="b"', "tlp:amber"]
    post_all(client, world, [indicator])
    sign_in(client, world.people["recipient"])
    page = client.get(f"/sharing/collections/{world.collection}/objects/{indicator['id']}")
    assert page.status_code == 200, page.text
    for tid in ("T0800", "T0807"):
        link = f'/sharing/collections/{world.collection}/objects/{techniques[tid]["id"]}"'
        assert link in page.text, tid
    assert "Usually reliable" in page.text
    # The technique's own page lists what uses it, named from its side, with links.
    incoming = Counter(r["target_ref"] for r in objects if r["type"] == "relationship")
    technique = max(techniques.values(), key=lambda t: incoming[t["id"]])
    related = [
        r
        for r in objects
        if r["type"] == "relationship" and technique["id"] in (r["source_ref"], r["target_ref"])
    ]
    assert len(related) > 20
    page = client.get(f"/sharing/collections/{world.collection}/objects/{technique['id']}")
    assert page.status_code == 200
    for rel in related:
        other = rel["source_ref"] if rel["target_ref"] == technique["id"] else rel["target_ref"]
        assert f'/objects/{other}"' in page.text
    verbs = {r["relationship_type"] for r in related if r["target_ref"] == technique["id"]}
    assert {"uses", "mitigates"} <= verbs
    assert "used by" in page.text
    assert "mitigated by" in page.text
