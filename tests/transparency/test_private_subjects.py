"""A restricted advisory's versions are logged by digest under a subject that does not name
it: the advisory id committed under the record itself, which only its readers hold."""

from __future__ import annotations

import hashlib
import hmac

from fastapi.testclient import TestClient

from accord.advisories import documents
from tests.advisories.test_routes import create, publisher
from tests.factories import Factories


def test_a_restricted_advisory_id_stays_out_of_the_public_log(
    client: TestClient, make: Factories
) -> None:
    slug, headers = publisher(make)
    for ident, tlp in (("x_ACME-AMBER", "AMBER"), ("x_ACME-CLEAR", "CLEAR")):
        create(client, slug, headers, id=ident, tlp=tlp)
        published = client.post(f"/api/v1/advisories/{ident}/publish", headers=headers)
        assert published.status_code == 200, published.text
    records = client.get("/api/v1/log/entries", params={"limit": "100"}).json()
    subjects = {r["subject"]: r for r in records if r["type"] == "advisory.version"}
    assert "x_ACME-CLEAR@1" in subjects
    assert not [s for s in subjects if "AMBER" in s]
    for record in records:
        entry = client.get(f"/api/v1/log/entries/{record['index']}").json()
        assert "x_ACME-AMBER" not in str(entry["envelope"])
    # A reader of the advisory opens the commitment with the record it reads.
    record = client.get("/v1/vulns/x_ACME-AMBER", headers=headers).json()
    text = documents.canonical(record).encode()
    opening = hmac.new(text, b"x_ACME-AMBER@1", hashlib.sha256).hexdigest()
    logged = subjects[f"advisory:{opening}"]
    assert logged["sha256"] == hashlib.sha256(text).hexdigest()
    assert logged["public"] is False
