"""TAXII POST of hostile JSON: deep nesting and patterns past accord.limits are 4xx, never 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from accord import limits
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}


def test_deeply_nested_envelopes_are_a_422(client: TestClient, world: SharingWorld) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    auth = {**TAXII, **world.bearer("producer")}
    for depth in (100, 5_000, 100_000):  # past the bound; past json's recursion; far past
        body = b'{"objects": [{"type": "x-deep", "x": ' + b"[" * depth + b"]" * depth + b"}]}"
        answer = client.post(url, content=body, headers=auth)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == TAXII_MEDIA_TYPE
        assert "nested deeper than 64 levels" in answer.json()["description"]


def test_a_pattern_past_the_bounds_is_that_objects_failure(
    client: TestClient, world: SharingWorld
) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    nested = "(" * 400 + "[file:name = 'a']" + ")" * 400
    indicator = {**stixgen.indicator(), "pattern": nested}
    auth = {**TAXII, **world.bearer("producer")}
    answer = client.post(url, json=stixgen.envelope(indicator), headers=auth)
    assert answer.status_code == 202, answer.text
    status = answer.json()
    assert status["failure_count"] == 1
    [failure] = status["failures"]
    assert failure["message"] == (
        f"pattern: the pattern is nested deeper than {limits.MAX_PATTERN_NESTING} "
        "parentheses or brackets"
    )
