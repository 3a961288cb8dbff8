"""Where a wire format's clients are programs matching on English words, the hub keeps them
English whatever the Accept-Language: a TAXII status's failure entries (the page says them
in the viewer's language), and the OSV API's errors (OSV.dev answers in English)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}


def test_a_taxii_status_keeps_its_failures_in_english(
    client: TestClient, world: SharingWorld
) -> None:
    bad = {"type": "indicator", "spec_version": "2.1", "id": "indicator--nope"}
    response = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(bad),
        headers={**TAXII, **world.bearer("producer"), "Accept-Language": "ja"},
    )
    assert response.status_code == 202
    failure = response.json()["failures"][0]
    assert failure["message"].startswith("id: must be an identifier")
    status = client.get(
        f"/taxii2/hub/status/{response.json()['id']}/",
        headers={**TAXII, **world.bearer("producer"), "Accept-Language": "ja"},
    )
    assert status.json()["failures"][0]["message"] == failure["message"]


def test_the_osv_api_answers_its_errors_in_english(client: TestClient) -> None:
    for body in ({}, {"package": {"purl": "pkg:pypi"}}, {"version": 3}):
        japanese = client.post("/v1/query", json=body, headers={"Accept-Language": "ja"})
        english = client.post("/v1/query", json=body)
        assert japanese.status_code == english.status_code == 400, japanese.text
        assert japanese.json() == english.json()
        assert japanese.headers["content-language"] == "en"
        assert json.dumps(japanese.json()).isascii()
