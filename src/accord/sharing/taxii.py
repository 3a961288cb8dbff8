"""TAXII 2.1 at the edge: media types, content negotiation, filters, headers and errors.

Section numbers refer to TAXII Version 2.1 (OASIS Standard, 10 June 2021).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import Response

from accord import jsonio
from accord.errors import N_, AccordError, Message
from accord.sharing.queries import (
    ALL,
    DEFAULT_LIMIT,
    LAST,
    MAX_LIMIT,
    Filters,
    Page,
    VersionMatch,
)
from accord.sharing.stix_validation import StixInvalid, format_timestamp, parse_timestamp

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
PREFIX = "/taxii2"
API_ROOT = "hub"  # the hub's one API root: /taxii2/hub/


class NotAcceptable(AccordError):
    """The Accept header names no media type this endpoint answers with (406)."""

    status_code = 406
    code = "not_acceptable"


class BadFilter(AccordError):
    """A malformed filter or paging parameter (400 with a TAXII error message, section 3.6.1:
    what TAXII clients expect; 422 is not a TAXII status)."""

    status_code = 400
    code = "bad_filter"


class UnsupportedMediaType(AccordError):
    """The request body is not a TAXII envelope by its Content-Type (415)."""

    status_code = 415
    code = "unsupported_media_type"


def _media(value: str) -> tuple[str, dict[str, str]]:
    kind, *params = (p.strip() for p in value.split(";"))
    parsed = {}
    for param in params:
        name, _, val = param.partition("=")
        parsed[name.strip().lower()] = val.strip().strip('"')
    return kind.lower(), parsed


def _is_taxii(value: str) -> bool:
    kind, params = _media(value)
    return kind == "application/taxii+json" and params.get("version", "2.1") == "2.1"


async def check_accept(request: Request) -> None:
    """Section 1.6.8 as a dependency: :func:`require_accept`.

    Async although it awaits nothing: FastAPI runs sync dependencies on its thread pool, and
    that hop costs more than the check.
    """
    require_accept(request)


# Accept headers already judged: a client sends the same one on every request, and parsing it
# cost a kept page more than its version statement's Python. Bounded in entries and length.
_ACCEPTED: dict[str, bool] = {}
_ACCEPTED_ENTRIES = 256
_ACCEPTED_LENGTH = 256


def require_accept(request: Request) -> None:
    """Section 1.6.8: the client must accept the TAXII 2.1 media type (or anything)."""
    accept = request.headers.get("accept")
    if accept is None:
        return
    accepted = _ACCEPTED.get(accept)
    if accepted is None:
        accepted = _accepts_taxii(accept)
        if len(accept) <= _ACCEPTED_LENGTH:
            if len(_ACCEPTED) >= _ACCEPTED_ENTRIES:
                _ACCEPTED.clear()
            _ACCEPTED[accept] = accepted
    if accepted:
        return
    raise NotAcceptable(
        Message(
            N_("this endpoint answers %(TAXII_MEDIA_TYPE)s; the Accept header does not allow it"),
            TAXII_MEDIA_TYPE=TAXII_MEDIA_TYPE,
        ),
        field="Accept",
    )


def _accepts_taxii(accept: str) -> bool:
    for item in accept.split(","):
        kind, _ = _media(item)
        if kind in ("*/*", "application/*") or _is_taxii(item):
            return True
    return False


def check_content_type(request: Request) -> None:
    """Section 5.5: an envelope is posted as ``application/taxii+json;version=2.1``."""
    value = request.headers.get("content-type", "")
    if not _is_taxii(value):
        raise UnsupportedMediaType(
            Message(
                N_("post envelopes as %(TAXII_MEDIA_TYPE)s, not %(value)s"),
                TAXII_MEDIA_TYPE=TAXII_MEDIA_TYPE,
                value=value or "no Content-Type",
            ),
            field="Content-Type",
        )


_CONTENT_TYPE = (b"content-type", TAXII_MEDIA_TYPE.encode("latin-1"))


class TaxiiResponse(Response):
    """``Response(content, status_code=status, media_type=TAXII_MEDIA_TYPE, headers=...)``
    for headers already in their raw form (a page's date headers, written once a page),
    with the raw headers Starlette's ``init_headers`` writes, in its order: the given ones,
    the length (not on a 1xx, 204 or 304), the type. Starlette's own way (each header
    lowercased and encoded, the keys searched twice) cost a kept page's answer about as much
    as its key (docs/benchmarks.md)."""

    media_type = TAXII_MEDIA_TYPE

    def __init__(
        self, content: bytes, *, status: int = 200, raw: Sequence[tuple[bytes, bytes]] = ()
    ) -> None:
        self.status_code = status
        self.background = None
        self.body = content
        headers = list(raw)
        if not (status < 200 or status in (204, 304)):
            headers.append((b"content-length", str(len(content)).encode("latin-1")))
        headers.append(_CONTENT_TYPE)
        self.raw_headers = headers


def taxii_response(
    body: bytes | Mapping[str, Any], *, status: int = 200, page: Page | None = None
) -> Response:
    """A TAXII answer, with the date-added headers of a page when there is one (3.4)."""
    # A complete status lists every object of its envelope, and clients poll it: orjson.
    content = body if isinstance(body, bytes) else jsonio.dumps(body)
    return TaxiiResponse(content, status=status, raw=page.raw_date_headers if page else ())


_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable",
    429: "Too many requests",
    500: "Internal error",
}


def error_body(status: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """An error message resource (section 3.6.1) from the hub's error body."""
    message: dict[str, Any] = {
        "title": _TITLES.get(status, "Error"),
        "description": str(body.get("message", "")),
        "error_code": str(body.get("error", "error")),
        "http_status": str(status),
    }
    details = {k: v for k, v in body.items() if k in ("field", "errors")}
    if details:
        message["details"] = details
    return message


def error_response(
    status: int, body: Mapping[str, Any], headers: dict[str, str] | None
) -> Response:
    """The TAXII error answer, with challenges for both schemes on 401."""
    out = dict(headers or {})
    if status == 401:
        out["WWW-Authenticate"] = 'Basic realm="accord", Bearer realm="accord"'
    return Response(
        json.dumps(error_body(status, body)).encode(),
        status_code=status,
        media_type=TAXII_MEDIA_TYPE,
        headers=out,
    )


def parse_filters(
    params: Mapping[str, str], *, default_versions: VersionMatch = LAST, allow: str = "all"
) -> Filters:
    """The filters of a request's query string; :class:`BadFilter` names a malformed one.

    Filters the hub does not know (``match[...]`` of other fields, other parameters) are
    ignored, as TAXII 2.1 (section 3.6) lets a server do with filters it does not support;
    except where only version filters are allowed (a DELETE): there a mistyped filter would
    widen the deletion to every version, so any other ``match[...]`` is refused.
    """
    if allow == "version":
        for name in params:
            if name.startswith("match[") and name not in _VERSION_FILTERS:
                raise BadFilter(
                    Message(
                        N_("%(name)s: only match[version] and match[spec_version] here"), name=name
                    ),
                    field=name,
                )
    return Filters(
        added_after=_timestamp(params["added_after"], "added_after")
        if "added_after" in params
        else None,
        ids=_list(params, "match[id]") if allow == "all" else (),
        types=_list(params, "match[type]") if allow == "all" else (),
        versions=_versions(params.get("match[version]"), default_versions),
        spec_versions=_list(params, "match[spec_version]"),
        limit=_limit(params.get("limit")),
        next=params.get("next") or None,
    )


_VERSION_FILTERS = frozenset({"match[version]", "match[spec_version]"})

# Query strings already parsed, with the route's defaults: a TAXII client polls with the same
# query again and again, and its parse (Starlette's query parameters, then the filters) cost a
# kept page about a tenth of its instructions (docs/benchmarks.md, "The reads' own work").
# Only filters that parsed are kept (a malformed one is refused again each time); bounded in
# entries and in the query string's length.
_PARSED: dict[tuple[bytes, VersionMatch, str], Filters] = {}
_PARSED_ENTRIES = 1024
_PARSED_LENGTH = 512


def request_filters(
    request: Request, *, default_versions: VersionMatch = LAST, allow: str = "all"
) -> Filters:
    """:func:`parse_filters` of the request's query string, read as Starlette reads it (its
    last value of a repeated name), kept per distinct query string."""
    raw: bytes = request.scope["query_string"]
    key = (raw, default_versions, allow)
    found = _PARSED.get(key)
    if found is None:
        # What ``request.query_params`` holds, as a plain dict: its look-ups of absent names
        # (most filters) do not raise and catch a KeyError each, as a Mapping's ``get`` does.
        params = dict(_pairs(raw.decode("latin-1")))
        found = parse_filters(params, default_versions=default_versions, allow=allow)
        if len(raw) <= _PARSED_LENGTH:
            if len(_PARSED) >= _PARSED_ENTRIES:
                _PARSED.clear()
            _PARSED[key] = found
    return found


def _pairs(query: str) -> list[tuple[str, str]]:
    """``parse_qsl(query, keep_blank_values=True)``: a query string without escapes (no
    ``%``, no ``+``), as most clients send TAXII's, is its pieces split as written, without
    the parser's decoding of each name and value (a third of a new query's parse)."""
    if "%" in query or "+" in query:
        return parse_qsl(query, keep_blank_values=True)
    found = []
    for piece in query.split("&"):
        if piece:
            name, _, value = piece.partition("=")
            found.append((name, value))
    return found


def _list(params: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = params.get(name)
    if raw is None:
        return ()
    values = tuple(v.strip() for v in raw.split(",") if v.strip())
    if not values or any(len(v) > 300 for v in values) or len(values) > 1000:
        raise BadFilter(
            Message(N_("%(name)s: give 1 to 1000 comma-separated values"), name=name), field=name
        )
    return values


def _timestamp(value: str, name: str) -> Any:
    try:
        return parse_timestamp(value, name)
    except StixInvalid as exc:
        raise BadFilter(exc.said, field=name) from None


def _versions(raw: str | None, default: VersionMatch) -> VersionMatch:
    if raw is None:
        return default
    first = last = every = False
    at = []
    for item in (v.strip() for v in raw.split(",")):
        if item == "first":
            first = True
        elif item == "last":
            last = True
        elif item == "all":
            every = True
        else:
            at.append(_timestamp(item, "match[version]"))
    if every:
        return ALL
    return VersionMatch(first=first, last=last, at=tuple(at))


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    # ASCII digits only ("²" is a digit to str.isdigit, not to int), and no int() of a
    # thousand digits: past MAX_LIMIT a page is capped anyway.
    if not (raw.isascii() and raw.isdigit()) or not raw.strip("0"):
        raise BadFilter(N_("limit: must be a positive integer"), field="limit")
    return int(raw) if len(raw) <= 9 else MAX_LIMIT


def manifest_json(result: Page) -> bytes:
    """A manifest resource (section 5.3) of the page's entries."""
    body: dict[str, Any] = {"more": result.more}
    if result.next:
        body["next"] = result.next
    if result.entries:
        body["objects"] = [
            {
                "id": r.stix_id,
                "date_added": format_timestamp(r.date_added),
                "version": format_timestamp(r.version),
                "media_type": STIX_MEDIA_TYPE,
            }
            for r in result.entries
        ]
    return jsonio.dumps(body)


def versions_json(result: Page) -> bytes:
    """A versions resource (section 5.8) of the page's entries."""
    body: dict[str, Any] = {"more": result.more}
    if result.next:
        body["next"] = result.next
    body["versions"] = [format_timestamp(r.version) for r in result.entries]
    return jsonio.dumps(body)
