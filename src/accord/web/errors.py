"""The edge's error mapping: every failure becomes a clear 4xx (or a bare 500), never a trace.

The API answers JSON ``{"error", "message", "field"}``, the message in the language its
``Accept-Language`` prefers (English by default; moments stay RFC 3339); pages answer an HTML
page with the same message in the viewer's language (the template's ``translate`` filter).
Unexpected exceptions are logged with their trace on the server and answered with a generic
500 that reveals nothing.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from accord.errors import (
    AccordError,
    Overloaded,
    SecondFactorRequired,
    StepUpRequired,
    at_field,
    named_problem,
    reason_of,
    say,
)
from accord.i18n import SOURCE_LANGUAGE, negotiated_language, translations
from accord.sharing import taxii
from accord.web.deps import TAXII_PREFIX
from accord.web.i18n import N_
from accord.web.rendering import render
from accord.web.security import protect

log = logging.getLogger("accord.web")


def wants_json(request: Request) -> bool:
    """API paths, and any client that prefers JSON over HTML, get JSON errors."""
    if request.url.path.startswith(("/api/", "/v1/", "/taxii2/", "/.well-known/")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _respond(
    request: Request,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
    *,
    english: bool = False,
) -> Response:
    if request.url.path.startswith(TAXII_PREFIX):
        return taxii.error_response(status, _spoken(request, body), headers)
    if wants_json(request):
        return _json(request, status, body, headers, english=english)
    response = render(request, "web/error.html", {"status": status, "error": body}, status=status)
    if headers:
        response.headers.update(headers)
    return response


def _json(
    request: Request,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None,
    *,
    english: bool = False,
) -> Response:
    """The API's answer: the message in the client's language (English where the error
    says its wire keeps English), which ``Content-Language`` names; responses vary by
    ``Accept-Language``."""
    spoken = {**body, "message": str(body["message"])} if english else _spoken(request, body)
    language = negotiated_language(request.headers.get("accept-language")) or SOURCE_LANGUAGE
    language = SOURCE_LANGUAGE if english else language
    named = {**(headers or {}), "Content-Language": language, "Vary": "Accept-Language"}
    return JSONResponse(spoken, status_code=status, headers=named)


def _spoken(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with its message said in the language the client's ``Accept-Language``
    prefers (a domain error's :class:`~accord.errors.Message` by its id and values, a marked
    sentence whole), English where it names none of the hub's; its moments stay RFC 3339
    for programs."""
    language = negotiated_language(request.headers.get("accept-language"))
    if language is None or language == SOURCE_LANGUAGE or "message" not in body:
        return {**body, "message": str(body["message"])} if "message" in body else body
    gettext = translations(language).gettext
    spoken = {**body, "message": say(body["message"], gettext, labels=False)}
    if isinstance(body.get("errors"), list):  # each field's reason (422), its field as sent
        spoken["errors"] = [
            {**each, "reason": say(each["reason"], gettext, labels=False)}
            if isinstance(each, dict) and "reason" in each
            else each
            for each in body["errors"]
        ]
    return spoken


def _field_of(loc: tuple[Any, ...]) -> str:
    # ("body", "website") -> "website"; ("query", "limit") -> "limit"
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie", "form")]
    return ".".join(parts) or str(loc[-1] if loc else "request")


def _second_factor_page(request: Request, exc: AccordError) -> Response | None:
    """Pages send a browser to enrol a second factor, or to prove it again and come back."""
    if wants_json(request):
        return None
    if isinstance(exc, SecondFactorRequired):
        return RedirectResponse("/account/security", status_code=303)
    if isinstance(exc, StepUpRequired):
        back = request.url.path
        if request.method != "GET":
            # A form cannot be sent again by a redirect: back to the page that held it.
            referer = urlsplit(request.headers.get("referer", ""))
            same_site = referer.netloc in ("", request.url.netloc)
            back = referer.path if same_site and referer.path.startswith("/") else "/account"
            if referer.query and same_site:
                back += f"?{referer.query}"
        elif request.url.query:
            back += f"?{request.url.query}"
        return RedirectResponse(f"/login/second-factor?{urlencode({'next': back})}", 303)
    return None


def _named(field: str, reason: str) -> dict[str, str]:
    field, reason = named_problem(field, reason)
    return {"field": field, "reason": reason}


async def on_accord_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AccordError)
    redirect = _second_factor_page(request, exc)
    if redirect is not None:
        return redirect
    # A temporary refusal (429, or 503 from a full queue) says when to try again; any other
    # 5xx is a fault of the hub, logged and not described to the client.
    retry_after: int | None = getattr(exc, "retry_after", None)
    if exc.status_code >= 500 and retry_after is None:
        log.error("%s on %s %s: %s", exc.code, request.method, request.url.path, exc.message)
        return _respond(
            request, 500, {"error": "internal", "message": "internal error; it has been logged"}
        )
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    if exc.status_code == 401 and wants_json(request):
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="accord"'}
    return _respond(request, exc.status_code, exc.to_dict(), headers, english=exc.english)


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [_named(_field_of(tuple(err.get("loc", ()))), reason_of(err)) for err in exc.errors()]
    first = errors[0] if errors else {"field": "request", "reason": "invalid"}
    body = {
        "error": "invalid",
        "message": at_field(first["field"], first["reason"]),
        "field": first["field"],
        "errors": errors,
    }
    return _respond(request, 422, body)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    names = {
        404: "not_found",
        405: "method_not_allowed",
        406: "not_acceptable",
        415: "unsupported_media_type",
    }
    # Starlette's own phrases ("Not Found"), marked so that pages show them translated.
    body = {"error": names.get(exc.status_code, "http_error"), "message": str(exc.detail)}
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed(request)
    return _respond(request, exc.status_code, body, headers)


STARLETTE_PHRASES = (
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Not Acceptable"),
    N_("Unsupported Media Type"),
    N_("internal error; it has been logged"),
)


def _allowed(request: Request) -> str:
    """Every method some route answers at this path (RFC 9110, section 15.5.6).

    Starlette's 405 names the methods of the first route matching the path alone; a path
    served by several routes (TAXII's objects: GET and POST) answers more. The routes are
    read from the routers the app mounted (``app.state.routers``), by their prefixes.
    """
    path = request.url.path
    methods: set[str] = set()
    for prefix, router in getattr(request.app.state, "routers", ()):
        if not path.startswith(prefix):
            continue
        for route in router.routes:
            regex = getattr(route, "path_regex", None)
            found: set[str] | None = getattr(route, "methods", None)
            if found and regex is not None and regex.match(path[len(prefix) :]):
                methods |= found
    return ", ".join(sorted(methods))


async def on_database_busy(request: Request, exc: Exception) -> Response:
    """A connection not had within the pool's timeout, SQLite's write lock not had within its
    busy timeout (another process writing), or PostgreSQL out of connection slots (too many
    processes for its ``max_connections``): the hub is saturated, not broken."""
    if isinstance(exc, OperationalError) and not _saturated(exc):
        return await on_unexpected(request, exc)
    log.warning("busy on %s %s: %s", request.method, request.url.path, exc)
    return await on_accord_error(request, Overloaded(N_("the hub is busy; try again shortly")))


_SATURATED = ("database is locked", "too many clients", "remaining connection slots")


def _saturated(exc: OperationalError) -> bool:
    return any(sign in str(exc.orig) for sign in _SATURATED)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    response = _respond(
        request, 500, {"error": "internal", "message": "internal error; it has been logged"}
    )
    # Starlette answers an unhandled error from its outermost layer, outside the middleware
    # that adds the security headers: they are added here (HSTS as the hub's settings say;
    # an app without them, as in a test of the handlers alone, gets the others).
    settings = getattr(request.app.state, "settings", None)
    protect(response, hsts=bool(settings and settings.secure_cookies))
    return response


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(AccordError, on_accord_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(PoolTimeout, on_database_busy)
    app.add_exception_handler(OperationalError, on_database_busy)
    app.add_exception_handler(Exception, on_unexpected)
