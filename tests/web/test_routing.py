"""The route index (accord.web.routing) picks, for every path, the route the whole router picks."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient
from starlette.routing import Match, Router

from accord.web.routing import RouteIndex


def _first(routes: list[Any], scope: dict[str, Any]) -> tuple[Any, Any]:
    """The first full and the first partial match in ``routes``, as Starlette's loop finds them."""
    full = partial = None
    for route in routes:
        match, _ = route.matches(dict(scope))
        if match == Match.FULL and full is None:
            full = route
        elif match == Match.PARTIAL and partial is None:
            partial = route
    return full, partial


def _paths(app: FastAPI) -> list[str]:
    """A path for every route of the app (parameters filled in), with and without the trailing
    slash, one level deeper, and paths no route has."""
    found = {"/", "", "/nothing-here", "/api", "/api/v1", "/api/v2/orgs", "/static/x.css"}
    for path in app.openapi()["paths"]:
        filled = re.sub(r"\{[^}]+\}", "x1", path)
        found |= {filled, filled.rstrip("/") or "/", filled.rstrip("/") + "/", filled + "/more"}
    for route in app.routes:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            found.add(re.sub(r"\{[^}]+\}", "x1", path) or "/")
    return sorted(found)


def test_every_path_finds_the_route_the_whole_router_finds(app: FastAPI) -> None:
    router = app.router
    index = router.middleware_stack
    assert isinstance(index, RouteIndex)
    paths = _paths(app)
    assert len(paths) > 300
    for path in paths:
        for method in ("GET", "POST", "DELETE"):
            scope = {"type": "http", "path": path, "root_path": "", "method": method}
            view = index.view(path)
            assert len(view.routes) <= len(router.routes)
            assert _first(view.routes, scope) == _first(router.routes, scope), (method, path)
    # Far fewer routes are tried than there are: that is the point.
    assert len(index.view("/bench/ceiling").routes) < len(router.routes) // 4


def test_routes_added_later_are_found_and_url_for_sees_every_route() -> None:
    app = FastAPI()
    outer = APIRouter()

    @outer.get("/a/{slug}/b")
    def slug_b(slug: str) -> dict[str, str]:
        return {"route": "slug_b"}

    @outer.get("/{anything}/c")
    def anything_c(anything: str) -> dict[str, str]:
        return {"route": "anything_c"}

    app.include_router(outer, prefix="/x")
    assert RouteIndex.install(app.router) is not None

    @app.get("/later")
    def later(request: Request) -> dict[str, str]:
        return {"route": "later", "other": str(request.url_for("slug_b", slug="s"))}

    client = TestClient(app)
    assert client.get("/x/a/s/b").json() == {"route": "slug_b"}
    assert client.get("/x/q/c").json() == {"route": "anything_c"}
    assert client.get("/later").json() == {"route": "later", "other": "http://testserver/x/a/s/b"}
    assert client.get("/x/a/s/b/").status_code == 200  # the redirect to the path without "/"
    assert client.post("/later").status_code == 405
    assert client.get("/nowhere").status_code == 404


def test_a_router_with_middleware_of_its_own_is_left_alone() -> None:
    class Marker:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await self.app(scope, receive, send)

    from starlette.middleware import Middleware

    router = Router(middleware=[Middleware(Marker)])
    assert RouteIndex.install(router) is None
    assert isinstance(router.middleware_stack, Marker)
