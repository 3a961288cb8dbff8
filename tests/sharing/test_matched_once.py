"""Included routers matched once a request (``web.routing``, ``RouteIndex.match_once``) answer
exactly as FastAPI's twice-matching ones: the same status, headers and bytes for answers,
redirects and refusals (404, 405, 401, 406, 413), and each served request's router is asked
for its route once, not twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from accord.config import Settings
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from accord.web import routing
from accord.web.app import create_app
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE}
SOME = "indicator--00000000-0000-4000-8000-000000000000"


@pytest.fixture
def matches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths FastAPI's included routers looked for a route of, a line per look."""
    seen: list[str] = []
    original = fastapi_routing._IncludedRouter._match

    def counting(self: Any, scope: Any) -> Any:
        seen.append(scope["path"])
        return original(self, scope)

    monkeypatch.setattr(fastapi_routing._IncludedRouter, "_match", counting)
    return seen


@pytest.fixture
def standard(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """A client of a second app whose included routers match as FastAPI does, twice."""
    with monkeypatch.context() as patch:
        patch.setattr(routing.RouteIndex, "match_once", staticmethod(lambda router: 0))
        other = create_app(settings, engine=engine)
    assert not any(isinstance(r, routing._MatchedOnce) for r in other.router.routes)
    with TestClient(other, base_url="http://testserver") as client:
        yield client


def _requests(world: SharingWorld) -> list[tuple[str, str, dict[str, str], Any]]:
    objects = f"/taxii2/hub/collections/{world.collection}/objects/"
    producer = {**TAXII, **world.bearer("producer")}
    return [
        ("GET", "/taxii2/", {**TAXII}, None),
        ("GET", "/taxii2/hub/", producer, None),
        ("GET", objects, producer, None),
        ("GET", objects + "?limit=1", producer, None),
        ("GET", objects + f"?match[id]={SOME}", producer, None),
        ("GET", objects + "?added_after=2020-01-01T00:00:00Z", producer, None),
        ("GET", objects, {**TAXII}, None),  # anonymous: 401
        ("GET", objects, {**TAXII, "Authorization": "Bearer acc_nope"}, None),  # 401
        ("GET", objects, {"Accept": "text/html", **world.bearer("producer")}, None),  # 406
        ("GET", objects.rstrip("/"), producer, None),  # the redirect to the path with "/"
        ("PUT", objects, producer, None),  # 405, with its Allow header
        ("DELETE", "/v1/query", {}, None),  # 405
        ("GET", "/taxii2/hub/collections/nope/objects/", producer, None),  # 404
        ("GET", f"{objects}{SOME}/", producer, None),  # 404
        ("GET", "/taxii2/nowhere/at/all/", producer, None),  # 404
        ("GET", "/api/v1/nowhere", {}, None),  # 404 (a page would set a fresh CSRF cookie)
        ("POST", "/v1/query", {}, {"package": {"ecosystem": "PyPI", "name": "jinja2"}}),
        ("POST", "/v1/query", {}, {"unknown": 1}),  # 400
        ("POST", "/v1/query", {"Content-Length": "99999999999"}, None),  # 413
        ("GET", "/api/v1/accord", {}, None),
        ("GET", "/healthz", {}, None),
    ]


def test_matched_once_answers_the_same_bytes_as_matched_twice(
    client: TestClient, standard: TestClient, world: SharingWorld, matches: list[str]
) -> None:
    indicators = [stixgen.indicator(kind="ipv4", value=f"192.0.2.{i}") for i in range(1, 4)]
    added = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*indicators),
        headers={**TAXII, "Content-Type": TAXII_MEDIA_TYPE, **world.bearer("producer")},
    )
    assert added.status_code == 202, added.text
    statuses = set()
    for method, path, headers, body in _requests(world):
        for _ in range(2):  # kept pages and access rows the second time
            kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
            if body is not None:
                kwargs["json"] = body
            once = client.request(method, path, **kwargs)
            twice = standard.request(method, path, **kwargs)
            assert once.status_code == twice.status_code, (method, path, once.text)
            assert once.headers.items() == twice.headers.items(), (method, path)
            assert once.content == twice.content, (method, path)
            statuses.add(once.status_code)
    assert {200, 307, 400, 401, 404, 405, 406, 413} <= statuses


def test_a_served_request_is_matched_once(
    client: TestClient, app: FastAPI, world: SharingWorld, matches: list[str]
) -> None:
    assert any(isinstance(r, routing._MatchedOnce) for r in app.router.routes)
    objects = f"/taxii2/hub/collections/{world.collection}/objects/"
    headers = {**TAXII, **world.bearer("producer")}
    for _ in range(2):
        matches.clear()
        assert client.get(objects, headers=headers).status_code == 200
        assert matches == [objects]
        matches.clear()
        answer = client.post("/v1/query", json={"package": {"ecosystem": "PyPI", "name": "x"}})
        assert answer.status_code == 200, answer.text
        assert matches == ["/v1/query"]
