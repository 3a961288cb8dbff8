"""Whether a request is admitted as a read or a write: the route's say.

A route's class is its method (GET and HEAD read), unless the route says otherwise with
:func:`reads` (a POST that only reads: a query in a body) or :func:`writes` (a GET that
writes). Admission (:mod:`accord.web.admission`) leaves the answer in the scope, and the
request's session follows it (``accord.web.deps.get_db``): a read never takes SQLite's write
turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import compile_path

from accord.web.deps import READ_METHODS

READS = READ_METHODS
CLASS_ATTRIBUTE = "__accord_admitted_as_read__"

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def reads(endpoint: Endpoint) -> Endpoint:
    """Admit the route as a read whatever its method: it only reads (a query sent in a body).

    Placed under the router's decorator. Its request gets a read-only session, and the
    caller's token is not stamped as used (a write) by it.
    """
    setattr(endpoint, CLASS_ATTRIBUTE, True)
    return endpoint


def writes(endpoint: Endpoint) -> Endpoint:
    """Admit the route as a write though its method is GET: it may write (placed under the
    router's decorator)."""
    setattr(endpoint, CLASS_ATTRIBUTE, False)
    return endpoint


def route_reads(route: APIRoute) -> bool:
    """Whether requests to ``route`` are admitted as reads: as it says, else by its methods."""
    said: bool | None = getattr(route.endpoint, CLASS_ATTRIBUTE, None)
    return _methods(route) <= READS if said is None else said


def _methods(route: APIRoute) -> frozenset[str]:
    # Starlette answers HEAD with the GET route.
    methods = set(route.methods or ())
    return frozenset(methods | {"HEAD"} if "GET" in methods else methods)


class Classes:
    """Which requests are reads: by method, except on the routes that say otherwise, whose
    paths are matched (a handful of patterns, not the hundreds of routes)."""

    def __init__(self, routers: Iterable[tuple[str, APIRouter]]) -> None:
        self.exceptions: list[tuple[re.Pattern[str], frozenset[str], bool]] = []
        for prefix, router in routers:
            for route in router.routes:
                if isinstance(route, APIRoute) and route_reads(route) != (_methods(route) <= READS):
                    pattern, _, _ = compile_path(prefix + route.path)
                    self.exceptions.append((pattern, _methods(route), route_reads(route)))
        # The exceptions by method, in their order: most requests' method has none.
        self.by_method: dict[str, list[tuple[re.Pattern[str], bool]]] = {}
        for pattern, methods, said in self.exceptions:
            for method in methods:
                self.by_method.setdefault(method, []).append((pattern, said))

    def reads(self, method: str, path: str) -> bool:
        """Whether a request for ``method`` and ``path`` is admitted as a read."""
        for pattern, said in self.by_method.get(method, ()):
            if pattern.match(path):
                return said
        return method in READS
