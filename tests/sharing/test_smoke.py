from __future__ import annotations

from fastapi.testclient import TestClient

from accord.sharing.taxii import TAXII_MEDIA_TYPE
from accord.sharing.tlp import Tlp
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}


def test_post_and_get(client: TestClient, world: SharingWorld) -> None:
    objs = [stixgen.indicator(tlp=t) for t in Tlp]
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    r = client.post(
        url, json=stixgen.envelope(*objs), headers={**TAXII, **world.bearer("producer")}
    )
    assert r.status_code == 202, r.text
    print(r.json())
    for reader in ("producer", "recipient", "group_member", "community", "outsider", "anonymous"):
        r = client.get(url, headers={**TAXII, **world.bearer(reader)})
        print(
            reader,
            r.status_code,
            len(r.json().get("objects", [])),
            r.headers.get("x-taxii-date-added-first"),
        )
