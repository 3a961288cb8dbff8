"""Routing by the path's first two segments: a request is matched against the routes that can
match it, not against every route of the hub.

Starlette (and FastAPI's router) try routes in order, each with its regular expression, and
FastAPI 0.16x matches an included router by walking its routes with some bookkeeping per
route. The hub has some thirty routers and hundreds of routes, so a request for a route near
the end paid for matching all those before it: about 400 µs of CPU, twice what FastAPI spends
on a whole request of a one-route app (docs/benchmarks.md, "The request stack").

:class:`RouteIndex` answers the same as the router it indexes. For each route it notes the
literal first and second segments of its path (``/api/v1/...`` -> ``api``, ``v1``), or that a
segment is a parameter and so matches anything (as is every segment after a parameter, which
may span slashes). A request is then handed to a copy of the router whose routes are those
whose segments match the request's, in their original order: the routes left out answer no
match for that path, so the first full match, the first partial one (a path served for another
method: 405), the redirect to the path with or without its trailing slash (same segments) and
the 404 are those of the whole router. Anything it cannot read the path of (a host route, an
unknown kind of route) is kept in every copy. Requests whose segments no route names share one
copy per unknown position, so the number of copies is bounded by the routes, not by clients.

FastAPI 0.16x also matches an included router twice for each request it serves: once when the
router's loop asks whether the router matches (``_IncludedRouter.matches``), and again, the
same way, when it hands the request to the router (``_IncludedRouter._handle_selected``), which
tries its routes in order again. :class:`_MatchedOnce` keeps the first full match in the
request's scope and hands it to the second, a tenth of a TAXII read's instructions in
FastAPI's routing saved (docs/benchmarks.md, "Matched once").
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from fastapi import routing as fastapi_routing
from starlette.routing import Match, Router
from starlette.types import Receive, Scope, Send

# A request's segment that no route names literally: only parameters match it.
_OTHER = object()
Key = tuple[object, object]
# A route's first two segments; None where a parameter (or anything after one) stands.
Pattern = tuple[str | None, str | None]
_ANYWHERE: frozenset[Pattern] = frozenset({(None, None)})


class RouteIndex:
    """The router's ASGI entry point, dispatching each request to the routes that can match."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self._built_for: tuple[int, int] | None = None
        self._patterns: list[frozenset[Pattern]] = []
        self._first: frozenset[str] = frozenset()
        self._second: frozenset[str] = frozenset()
        self._views: dict[Key, Router] = {}

    @classmethod
    def install(cls, router: Router) -> RouteIndex | None:
        """Put an index in front of ``router``'s routes; None if the router is not a plain
        one (middleware of its own, or routes matched after the others: FastAPI's frontend
        routes), which is then left as it is."""
        if router.middleware_stack != router.app or _low_priority(router):
            return None
        index = cls(router)
        router.middleware_stack = index
        return index

    @staticmethod
    def match_once(router: Router) -> int:
        """Have each router ``router`` includes match a request once (:class:`_MatchedOnce`);
        the number of included routers changed so."""
        included = getattr(fastapi_routing, "_IncludedRouter", None)
        if included is None or not hasattr(included, "_match"):
            return 0  # another FastAPI: included routers are routes of their own, matched once
        changed = 0
        for route in router.routes:
            if type(route) is included:
                route.__class__ = _MatchedOnce
                changed += 1
        return changed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router.app(scope, receive, send)
            return
        # ``url_for`` and everything else that looks at the router sees the whole of it.
        scope.setdefault("router", self.router)
        await self.view(_route_path(scope)).app(scope, receive, send)

    def view(self, path: str) -> Router:
        """The router with only the routes that can match ``path`` (a scope's route path)."""
        routes = self.router.routes
        built_for = (len(routes), id(routes[-1]) if routes else 0)
        if built_for != self._built_for:
            self._build(routes)
            self._built_for = built_for
        first, _, rest = path[1:].partition("/")
        second = rest.partition("/")[0]
        key: Key = (
            first if first in self._first else _OTHER,
            second if second in self._second else _OTHER,
        )
        found = self._views.get(key)
        if found is None:
            found = self._views[key] = copy.copy(self.router)
            found.routes = [
                route
                for route, patterns in zip(routes, self._patterns, strict=True)
                if any(_matches(pattern, key) for pattern in patterns)
            ]
        return found

    def _build(self, routes: list[Any]) -> None:
        self._patterns = [_patterns_of(route) for route in routes]
        every = [pattern for patterns in self._patterns for pattern in patterns]
        self._first = frozenset(p[0] for p in every if p[0] is not None)
        self._second = frozenset(p[1] for p in every if p[1] is not None)
        self._views = {}


def _matches(pattern: Pattern, key: Key) -> bool:
    return (pattern[0] is None or pattern[0] == key[0]) and (
        pattern[1] is None or pattern[1] == key[1]
    )


def _route_path(scope: Scope) -> str:
    # The path under the application's root path, as Starlette's routes match it.
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        if path == root:
            return ""
        if path[len(root)] == "/":
            return path[len(root) :]
    return path


def _patterns_of(route: Any) -> frozenset[Pattern]:
    """The first two segments of every path ``route`` answers: its own, or those of the routes
    of an included router (FastAPI 0.16x keeps it whole, as one route)."""
    contexts = getattr(route, "effective_route_contexts", None)
    if contexts is None:
        return _pattern(getattr(route, "path_format", None))
    try:
        found: set[Pattern] = set()
        for context in contexts():
            inner = getattr(context, "starlette_route", None)
            path = getattr(inner, "path_format", None) or getattr(context, "path_format", None)
            if type(getattr(context, "original_route", None)).__name__ == "_FrontendRouteGroup":
                return _ANYWHERE
            found |= _pattern(path)
        return frozenset(found)
    except Exception:  # an unreadable router is matched as before, whole
        return _ANYWHERE


def _pattern(path: object) -> frozenset[Pattern]:
    if not isinstance(path, str) or not path.startswith("/"):
        return _ANYWHERE
    segments = path[1:].split("/")
    first = segments[0] if "{" not in segments[0] else None
    second = None
    if first is not None and len(segments) > 1 and "{" not in segments[1]:
        second = segments[1]
    elif first is not None and len(segments) == 1:
        second = ""  # "/healthz": only a request without a second segment matches
    return frozenset({(first, second)})


def _low_priority(router: Router) -> bool:
    routes: Iterable[Any] = getattr(router, "_iter_low_priority_routes", lambda: ())()
    return any(True for _ in routes)


# Where a request's scope keeps an included router's full match, between the router loop's
# question and the router's handling: (the router, the request's path, method and root path
# the match was of, the match).
_MATCHED = "accord.included_match"
_Included: Any = getattr(fastapi_routing, "_IncludedRouter", object)


class _MatchedOnce(_Included):  # type: ignore[misc]
    """A FastAPI included router that finds the route of a request once.

    ``_match`` is a pure function of the request's path, method, root path and type (the
    scope's other changes between the two calls are the router's own bookkeeping, undone
    after the first): its full match is kept in the scope for the next call about the same
    request and router, and used once. Anything else (no match, a partial one: a 405; the
    redirect's copy of the scope with another path) is matched as FastAPI matches it.
    """

    def _match(self, scope: Scope) -> Any:
        asked = (scope.get("path"), scope.get("method"), scope.get("root_path"), scope["type"])
        kept = scope.pop(_MATCHED, None)
        if kept is not None and kept[0] is self and kept[1] == asked:
            return kept[2]
        found = super()._match(scope)
        if found[0] == Match.FULL:
            scope[_MATCHED] = (self, asked, found)
        return found
