"""A look-up answers each kind of reader what it may see at each TLP level, through every way
a value finds an indicator (itself, a range holding an address, a URL's host, a range holding
a URL's address), expired indicators only when asked for, and the same warninglists to all.

The expectations are the TLP matrix's (``test_tlp_matrix.SEES``), written out from the rule,
so that a faster look-up cannot change who sees what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.clock import utcnow
from accord.sharing.tlp import Tlp
from tests.sharing import stixgen
from tests.sharing.conftest import READERS, SharingWorld
from tests.sharing.test_lookup import _post
from tests.sharing.test_tlp_matrix import SEES

PAST = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _shared(client: TestClient, world: SharingWorld) -> dict[str, tuple[Tlp, bool]]:
    """Indicators at each level (a range, a domain, an expired domain): each one's level and
    whether it has expired, by its id."""
    made: dict[str, tuple[Tlp, bool]] = {}
    objects: list[dict[str, Any]] = []
    for i, level in enumerate(Tlp, 1):
        ranged = stixgen.indicator(f"198.51.{i}.0/24", kind="ipv4", tlp=level)
        host = stixgen.indicator(f"level{i}.example", kind="domain", tlp=level)
        gone = stixgen.indicator(f"gone{i}.example", kind="domain", tlp=level)
        gone["valid_until"] = PAST
        made |= {ranged["id"]: (level, False), host["id"]: (level, False)}
        made[gone["id"]] = (level, True)
        objects += [ranged, host, gone]
    _post(client, world, *objects)
    return made


def _asked(count: int) -> dict[str, str | None]:
    """Each value asked, with the ``via`` its hits carry."""
    asked: dict[str, str | None] = {}
    for i in range(1, count + 1):
        asked[f"198.51.{i}.7"] = f"198.51.{i}.0/24"
        asked[f"http://198.51.{i}.8/x?y=1"] = f"198.51.{i}.0/24"
        asked[f"level{i}.example"] = None
        asked[f"https://LEVEL{i}.example/p#f"] = f"level{i}.example"
        asked[f"gone{i}.example"] = None
    return asked


@pytest.mark.parametrize("include_expired", [False, True])
@pytest.mark.parametrize("reader", READERS)
def test_each_reader_finds_what_it_may_see_by_every_route(
    client: TestClient, world: SharingWorld, reader: str, include_expired: bool
) -> None:
    made = _shared(client, world)
    asked = _asked(len(Tlp))
    response = client.post(
        "/api/v1/sharing/lookup",
        json={"values": [*asked, "8.8.8.8"], "include_expired": include_expired},
        headers=world.bearer(reader),
    )
    assert response.status_code == 200
    results = response.json()
    found = {
        (result["value"], hit["id"], hit["via"], hit["expired"])
        for result in results
        for hit in result["indicators"]
    }
    expected = set()
    for result in results[:-1]:
        value = result["value"]
        wanted = value.split("/")[2].lower() if "://" in value else value
        for stix_id, (level, expired) in made.items():
            if level not in SEES[reader] or (expired and not include_expired):
                continue
            holds = _holds(stix_id, wanted, asked[value], made, level)
            if holds:
                expected.add((value, stix_id, asked[value], expired))
    assert found == expected
    assert len(found) > 0
    # The warninglists flag the same values whoever asks.
    assert results[-1]["warninglists"]
    assert not any(r["warninglists"] for r in results[:-1])


def _holds(
    stix_id: str, value: str, via: str | None, made: dict[str, tuple[Tlp, bool]], level: Tlp
) -> bool:
    """Whether the indicator ``stix_id`` (of ``level``, the n-th of its kind) answers
    ``value`` (an address, a host, or an expired domain)."""
    n = list(Tlp).index(level) + 1
    ranged, host, gone = list(made)[3 * (n - 1) : 3 * n]
    if value.startswith("198.51."):
        return stix_id == ranged and value.split(".")[2] == str(n)
    if value.startswith("gone"):
        return stix_id == gone and value == f"gone{n}.example"
    return stix_id == host and value == f"level{n}.example"
