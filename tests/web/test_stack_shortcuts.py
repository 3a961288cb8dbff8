"""The request stack's shortcuts (issue 27): the security headers added as one list, a
request's body limit passed by once admission has received the body within the same limit,
a bodiless request's place taken at once. The same answers, headers and refusals."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from accord.config import Settings
from accord.web.admission import Admission, Gate
from accord.web.security import _BASE_HEADERS, BodyLimit, SecurityHeaders

Headers = list[tuple[bytes, bytes]]


def _before(headers: Headers, path: str, hsts: bool) -> Headers:
    """``SecurityHeaders`` as it added the headers one at a time."""
    own = list(_BASE_HEADERS)
    if hsts:
        own.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
    out = list(headers)
    names = {name.lower() for name, _ in out}
    out.extend(h for h in own if h[0] not in names)
    if b"cache-control" not in names:
        static = path.startswith("/static/")
        out.append((b"cache-control", b"public, max-age=3600" if static else b"no-store"))
    return out


@pytest.mark.parametrize("hsts", [False, True])
@pytest.mark.parametrize("path", ["/taxii2/hub/", "/static/accord.css"])
@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"content-type", b"application/json"), (b"content-length", b"2")],
        [(b"content-type", b"text/html"), (b"Cache-Control", b"private")],
        [(b"x-frame-options", b"SAMEORIGIN"), (b"content-length", b"0")],
        [(b"content-security-policy", b"default-src 'self'"), (b"cache-control", b"no-cache")],
    ],
)
def test_the_security_headers_are_added_as_they_were(
    headers: Headers, path: str, hsts: bool
) -> None:
    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
        await send({"type": "http.response.body", "body": b""})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "path": path, "method": "GET", "headers": []}
    asyncio.run(SecurityHeaders(answer, hsts=hsts)(scope, receive, send))
    assert sent[0]["headers"] == _before(headers, path, hsts)


def _settings(tmp_path: Any, max_bytes: int) -> Settings:
    return Settings(data_dir=tmp_path, max_request_bytes=max_bytes)


async def _served(app: Any, body: bytes) -> tuple[int, bytes]:
    sent: list[Message] = []
    parts = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        return parts.pop(0) if parts else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "path": "/api/v1/x", "method": "POST", "headers": [
        (b"content-length", str(len(body)).encode())], "app": None}  # fmt: skip
    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def _echo(scope: Scope, receive: Receive, send: Send) -> None:
    message = await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": message.get("body", b"")})


def test_admission_passes_by_the_body_limit_only_when_it_checked_the_same_limit(
    tmp_path: Any,
) -> None:
    same = Admission(BodyLimit(_echo, max_bytes=2000), settings=_settings(tmp_path, 2000))
    assert same.admitted is _echo  # the body was received within this very limit
    assert asyncio.run(_served(same, b"x" * 2000)) == (200, b"x" * 2000)
    assert asyncio.run(_served(same, b"x" * 2001))[0] == 413  # over it: the body limit's 413
    # A narrower body limit behind a wider admission is still asked: it refuses what
    # admission let through.
    narrower = Admission(BodyLimit(_echo, max_bytes=1024), settings=_settings(tmp_path, 2000))
    assert isinstance(narrower.admitted, BodyLimit)
    assert asyncio.run(_served(narrower, b"x" * 1500))[0] == 413
    assert asyncio.run(_served(narrower, b"x" * 1024)) == (200, b"x" * 1024)


async def _streamed(settings: Settings, parts: int, http_version: str) -> int:
    """A body sent in ``parts`` parts of 1,000 bytes with neither Content-Length nor
    Transfer-Encoding (an HTTP/2 stream may; HTTP/1 gives such a request no body)."""
    sent: list[Message] = []
    left = [
        {"type": "http.request", "body": b"x" * 1000, "more_body": i < parts - 1}
        for i in range(parts)
    ]

    async def receive() -> Message:
        return left.pop(0) if left else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async def read_all(scope: Scope, receive: Receive, send: Send) -> None:
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})

    scope = {"type": "http", "path": "/api/v1/x", "method": "POST", "headers": [],
             "http_version": http_version, "app": None}  # fmt: skip
    inner = BodyLimit(read_all, max_bytes=2000)
    await Admission(inner, settings=settings)(scope, receive, send)
    return int(sent[0]["status"])


def test_a_body_of_no_declared_length_is_still_counted_by_the_body_limit(tmp_path: Any) -> None:
    settings = _settings(tmp_path, 2000)
    # Ten parts of 1,000 bytes, no length declared: the body limit behind admission counts
    # them and refuses, whatever the shortcut for bodiless requests.
    assert asyncio.run(_streamed(settings, 10, "2")) == 413
    assert asyncio.run(_streamed(settings, 2, "2")) == 200


def test_a_free_place_is_taken_at_once_and_a_busy_gate_changes_nothing() -> None:
    gate = Gate(1, 4)
    assert gate.take()
    assert gate.active == 1
    assert not gate.take()  # full: left to ``refuses`` and ``enter``
    assert gate.active == 1
    gate.leave()
    assert gate.active == 0
    assert gate.take()


def test_a_request_states_value_is_read_as_getattr_reads_it() -> None:
    from starlette.requests import Request

    from accord.web.deps import state_value

    bare = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    assert state_value(bare, "actor") is None  # no state at all yet
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [], "state": {}})
    assert state_value(request, "actor") is getattr(request.state, "actor", None) is None
    request.state.actor = actor = object()
    assert state_value(request, "actor") is getattr(request.state, "actor", None) is actor
    # Another Request of the same scope (as each layer makes) sees what the first set.
    again = Request(request.scope)
    assert state_value(again, "actor") is actor
