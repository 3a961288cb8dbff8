"""The direct handler of the hot reads (``web.direct_routes``) answers exactly as FastAPI's own:
the same status, headers and bytes, for answers and refusals alike, on every route that uses
it; and it is the one in use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI, routing
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from accord.config import Settings
from accord.sharing import routes as sharing_routes
from accord.sharing import taxii
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from accord.web import direct_routes
from accord.web.app import create_app
from accord.web.direct_routes import DirectRoute
from tests.advisories.conftest import VULNS, import_path
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE}
NOW = datetime(2026, 12, 7, 1, 0, 30, tzinfo=UTC)
JINJA2 = {"ecosystem": "PyPI", "name": "jinja2"}
SOME = "indicator--00000000-0000-4000-8000-000000000000"


@pytest.fixture(autouse=True)
def _one_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both apps read in the same minute, so that a page's cursor is the same bytes.
    monkeypatch.setattr(sharing_routes, "utcnow", lambda: NOW)


@pytest.fixture
def solved(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths FastAPI solved dependencies for (its own handler), request by request."""
    seen: list[str] = []
    original = routing.solve_dependencies

    async def counting(*, request: Any, **kwargs: Any) -> Any:
        seen.append(request.url.path)
        return await original(request=request, **kwargs)

    monkeypatch.setattr(routing, "solve_dependencies", counting)
    return seen


def _built(app: FastAPI) -> FastAPI:
    # FastAPI builds the handler of an included route at the first request that reaches
    # its router: every one is built here, under the handler choice in force.
    for route in app.router.routes:
        list(getattr(route, "effective_route_contexts", list)())
    return app


@pytest.fixture
def standard(
    app: FastAPI, settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """A client of a second app whose routes all use FastAPI's own handler."""
    _built(app)
    with monkeypatch.context() as patch:
        patch.setattr(direct_routes, "direct_handler", lambda dependant: None)
        other = _built(create_app(settings, engine=engine))
    with TestClient(other, base_url="http://testserver") as client:
        yield client


def _requests(world: SharingWorld) -> list[tuple[str, str, dict[str, str], Any]]:
    objects = f"/taxii2/hub/collections/{world.collection}/objects/"
    producer = {**TAXII, **world.bearer("producer")}
    outsider = {**TAXII, **world.bearer("outsider")}
    found = [
        ("GET", "/taxii2/", {**TAXII}, None),
        ("GET", "/taxii2/hub/", producer, None),
        ("GET", "/taxii2/hub/collections/", producer, None),
        ("GET", f"/taxii2/hub/collections/{world.collection}/", producer, None),
        ("GET", f"/taxii2/hub/collections/{world.collection}/manifest/", producer, None),
        ("GET", objects, producer, None),
        ("GET", objects + "?limit=1", producer, None),
        ("GET", objects + "?match[type]=indicator&limit=2", producer, None),
        ("GET", objects + "?added_after=2020-01-01T00:00:00Z", producer, None),
        ("GET", objects + "?added_after=yesterday", producer, None),  # 400
        ("GET", objects, outsider, None),
        ("GET", objects, {**TAXII}, None),  # anonymous
        ("GET", objects, {"Accept": "text/html", **world.bearer("producer")}, None),  # 406
        ("GET", objects, {**TAXII, "Authorization": "Bearer acc_nope"}, None),  # 401
        ("GET", objects, {**TAXII, "Authorization": "Basic !!"}, None),  # malformed
        ("GET", "/taxii2/hub/collections/nope/objects/", producer, None),  # 404
        ("GET", f"{objects}{SOME}/", producer, None),  # 404
        ("GET", f"{objects}{SOME}/versions/", producer, None),
        ("POST", "/v1/query", {}, {"package": JINJA2}),
        ("POST", "/v1/query", {}, {"package": {"name": "jinja2"}, "version": "2.4.1"}),  # 400
        ("POST", "/v1/query", {}, {"package": JINJA2, "version": "2.4.1"}),
        ("POST", "/v1/query", {}, {"package": {"name": "jinja2"}}),  # 400
        ("POST", "/v1/query", {}, {"unknown": 1}),  # 400
        ("POST", "/v1/query", world.bearer("producer"), {"commit": "abc"}),
    ]
    return found


def test_direct_and_fastapi_handlers_answer_the_same_bytes(
    client: TestClient,
    standard: TestClient,
    world: SharingWorld,
    solved: list[str],
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    import_path(session_factory, VULNS / "jinja2", settings)
    indicators = [stixgen.indicator(kind="ipv4", value=f"192.0.2.{i}") for i in range(1, 6)]
    added = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*indicators),
        headers={**TAXII, "Content-Type": TAXII_MEDIA_TYPE, **world.bearer("producer")},
    )
    assert added.json()["success_count"] == len(indicators), added.text
    status = f"/taxii2/hub/status/{added.json()['id']}/"
    producer = {**TAXII, **world.bearer("producer")}
    polls = [
        ("GET", status, producer, None),
        ("GET", status, {**TAXII, **world.bearer("outsider")}, None),  # 404: not the poster's
        ("GET", status, {**TAXII}, None),  # 401
        ("GET", status, {"Accept": "text/html", **world.bearer("producer")}, None),  # 406
        ("GET", "/taxii2/hub/status/00000000-0000-4000-8000-000000000000/", producer, None),
    ]
    statuses = set()
    for method, path, headers, body in [*_requests(world), *polls]:
        for _ in range(2):  # a kept page (and kept access rows) the second time
            solved.clear()
            direct = client.request(method, path, headers=headers, json=body)
            assert solved == [], (path, "the direct handler was not used")
            through_fastapi = standard.request(method, path, headers=headers, json=body)
            assert solved, (path, "the standard app used the direct handler")
            assert direct.status_code == through_fastapi.status_code, (path, direct.text)
            assert direct.headers.items() == through_fastapi.headers.items(), path
            assert direct.content == through_fastapi.content, path
            statuses.add(direct.status_code)
    assert {200, 400, 401, 404, 406} <= statuses


def test_only_routes_of_the_plain_shape_take_the_direct_handler() -> None:
    # The collections' POST (a body, a writing guard with options) keeps FastAPI's handler;
    # the object reads and the status (read as they are) take the direct one.
    kinds = {}
    for route in sharing_routes.router.routes:
        assert isinstance(route, DirectRoute)
        for method in route.methods:
            direct = direct_routes.direct_handler(route.dependant) is not None
            kinds[(method, route.path)] = direct
    objects = sharing_routes.OBJECTS
    assert kinds[("GET", objects)] is True
    assert kinds[("GET", objects + "{object_id}/")] is True
    assert kinds[("POST", objects)] is False
    assert kinds[("GET", sharing_routes.ROOT + "/status/{status_id}/")] is True


@pytest.mark.parametrize(
    ("accept", "allowed"),
    [
        (TAXII_MEDIA_TYPE, True),
        ("application/taxii+json", True),
        ("application/taxii+json;version=2.0", False),
        ("text/html, */*;q=0.1", True),
        ("text/html", False),
        ("application/json", False),
    ],
)
def test_a_judged_accept_header_is_judged_the_same_again(accept: str, allowed: bool) -> None:
    request = Request({"type": "http", "headers": [(b"accept", accept.encode())]})
    for _ in range(2):  # the second time from the judged headers
        if allowed:
            taxii.require_accept(request)
        else:
            with pytest.raises(taxii.NotAcceptable):
                taxii.require_accept(request)


def test_the_direct_routes_are_served_without_fastapis_exit_stacks(
    client: TestClient, world: SharingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hot reads' apps are direct_routes._app (no "fastapi_inner_astack" in the scope at
    # the endpoint); the answer is the same bytes as FastAPI's (the test above).
    seen: list[bool] = []
    original = sharing_routes.read

    async def spying(work: Any, request: Request, *args: Any) -> Any:
        seen.append("fastapi_inner_astack" in request.scope)
        return await original(work, request, *args)

    monkeypatch.setattr(sharing_routes, "read", spying)
    objects = f"/taxii2/hub/collections/{world.collection}/objects/"
    answer = client.get(objects, headers={**TAXII, **world.bearer("producer")})
    assert answer.status_code == 200, answer.text
    assert seen == [False]
