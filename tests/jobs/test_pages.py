"""The operators' jobs page: filtered by state and kind, both picked from lists."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from accord.jobs import registry
from tests.factories import Factories, sign_in


def _kinds(page: str) -> tuple[list[str], list[str]]:
    """The kind filter's options and the chosen one(s)."""
    select = re.search(r'<select name="kind">(.*?)</select>', page, flags=re.S)
    assert select is not None, "the kind is typed, not picked from a list"
    options = re.findall(r'<option value="([^"]*)"( selected)?>', select.group(1))
    return [value for value, _ in options], [value for value, chosen in options if chosen]


def test_the_kind_filter_offers_every_registered_kind(client: TestClient, make: Factories) -> None:
    sign_in(client, make.user("operator", operator=True))
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    offered, chosen = _kinds(page.text)
    assert offered == ["", *registry.kinds()]
    assert {"notifications.email", "sharing.pull", "sharing.push"} <= set(offered)
    assert chosen == []

    filtered = client.get("/admin/jobs", params={"kind": "sharing.pull"})
    assert _kinds(filtered.text)[1] == ["sharing.pull"]
    # A kind no handler has any more (its jobs are still listed) stays chosen.
    gone = client.get("/admin/jobs", params={"kind": "retired.kind"})
    offered, chosen = _kinds(gone.text)
    assert chosen == ["retired.kind"]
    assert "retired.kind" in offered
