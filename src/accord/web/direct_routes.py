"""A shorter way through FastAPI for the hottest reads, with the same route, guard and answer.

The TAXII reads and the OSV query take the request, a few string path parameters and one
dependency, a deferred guard (``web.deps.deferred_guard``) that checks the request without
reading anything, and return a finished ``Response``. For them FastAPI's request handler
still did its general work on every request: the endpoint's context for error messages, the
body's checks, the dependency solving (a pass over every parameter kind, the path parameters
validated by pydantic, a cache of dependencies, exit stacks), a tenth of a kept TAXII page's
instructions (docs/benchmarks.md, "The request stack").

:class:`DirectRoute` is an ``APIRoute`` (the same path, methods, OpenAPI description, guard
and admission class: everything that reads a route sees it unchanged) whose handler calls
the guard and then the endpoint directly when the route has exactly that shape, and is
FastAPI's own handler otherwise. What the shortcut leaves out does nothing for such a route:
a ``str`` path parameter is the matched text as pydantic would give it, there is no body,
query, header or cookie parameter to read, and a ``Response`` is sent as it is. Errors (the
guard's 406 and 401, the endpoint's) go to the same exception handlers, through Starlette's
handling around the route, so the answers are the same bytes
(``tests/sharing/test_direct_routes.py`` compares both handlers on every such route).

FastAPI also runs every route's handler inside two exit stacks of its own, opened and
closed on each request for the dependencies that ``yield``: such a route has none, and the
stacks cost it about 9 µs a request under uvloop (docs/benchmarks.md, "Matched once").
:func:`serve_directly` gives those routes an ASGI app that is FastAPI's ``request_response``
without them: the same request, the same exception handling around the handler, the
answer sent the same way.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import routing
from fastapi.dependencies.models import Dependant
from fastapi.responses import Response
from starlette._exception_handler import wrap_app_handling_exceptions
from starlette.requests import Request
from starlette.routing import Router
from starlette.types import ASGIApp, Receive, Scope, Send

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
# Set on a dependency that checks the request alone (no parameter but the request, reads
# nothing) and may be called directly: ``web.deps.deferred_guard``.
DIRECT_DEPENDENCY = "__accord_direct_dependency__"


class DirectRoute(routing.APIRoute):
    """An ``APIRoute`` whose handler is :func:`direct_handler` where the route allows it."""

    def get_route_handler(self) -> Handler:
        standard = super().get_route_handler()
        direct = direct_handler(_effective_dependant(self))
        return direct if direct is not None else standard


def _effective_dependant(route: routing.APIRoute) -> Dependant:
    # FastAPI builds a route's handler again for each router including it, with the
    # dependant as included (the including routers' dependencies added), while this context
    # variable names it; ``APIRoute.get_route_handler`` reads it the same way. A FastAPI
    # without it (older, within pyproject's range) added them to the route's own dependant.
    variable = getattr(routing, "_effective_route_context_var", None)
    context = variable.get() if variable is not None else None
    if context is not None and getattr(context, "original_route", None) is route:
        dependant: Dependant = context.dependant
        return dependant
    return route.dependant


def direct_handler(dependant: Dependant) -> Handler | None:
    """A handler calling ``dependant``'s endpoint with its path parameters, the request and
    its one request-only dependency; None when the endpoint takes anything else."""
    call = dependant.call
    if call is None or not inspect.iscoroutinefunction(call):
        return None
    if (
        dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.request_param_name is None
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or len(dependant.dependencies) != 1
    ):
        return None
    guard = dependant.dependencies[0]
    check = guard.call
    if (
        check is None
        or guard.name is None
        or guard.request_param_name is None
        or guard.dependencies
        or guard.path_params
        or guard.query_params
        or guard.header_params
        or not getattr(check, DIRECT_DEPENDENCY, False)
        or not inspect.iscoroutinefunction(check)
    ):
        return None
    path: list[tuple[str, str]] = []
    for field in dependant.path_params:
        if field.field_info.annotation is not str or field.field_info.metadata:
            return None
        path.append((field.name, field.alias))
    request_name = dependant.request_param_name
    guard_name = guard.name

    async def handler(request: Request) -> Response:
        values: dict[str, Any] = {name: request.path_params[alias] for name, alias in path}
        values[guard_name] = await check(request)
        values[request_name] = request
        answer = await call(**values)
        if not isinstance(answer, Response):
            raise TypeError(f"{call.__qualname__} must return a Response")
        return answer

    return handler


def serve_directly(router: Router) -> int:
    """Give every route of ``router``'s included routers that takes the direct handler an app
    without FastAPI's exit stacks (:func:`_app`); the number of routes changed so.

    Only routers with a :class:`DirectRoute` are built here (FastAPI builds the others at
    their first request, or the lifespan's warm-up). A router whose routes change later is
    built again by FastAPI with its own apps: the same answers, the stacks back."""
    changed = 0
    for route in router.routes:
        inner = getattr(getattr(route, "original_router", None), "routes", ())
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is None or not any(isinstance(r, DirectRoute) for r in inner):
            continue
        for context in contexts():
            original = getattr(context, "original_route", None)
            if not isinstance(original, DirectRoute) or context.max_body_size is not None:
                continue
            handler = direct_handler(context.dependant)
            if handler is not None:
                context.app = _app(handler)
                changed += 1
    return changed


def _app(handler: Handler) -> ASGIApp:
    """FastAPI's ``request_response(handler)`` without the dependencies' exit stacks."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)

        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            response = await handler(request)
            await response(scope, receive, send)

        await wrap_app_handling_exceptions(answer, request)(scope, receive, send)

    app.__accord_direct_app__ = True  # type: ignore[attr-defined]
    return app
