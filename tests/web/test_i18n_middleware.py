"""The answers the ASGI middleware gives before a route sees the request (408 too slow, 413
too large, 503 saturated) are said in the client's Accept-Language, which Content-Language
names; English without one."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Scope

from accord.web import admission
from tests.factories import Factories


def _scope(language: str | None, path: str = "/api/v1/orgs") -> Scope:
    headers = [] if language is None else [(b"accept-language", language.encode())]
    return {"type": "http", "method": "POST", "path": path, "headers": headers}


def _sent(scope: Scope, which: str) -> tuple[int, dict[bytes, bytes], dict[str, str]]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    if which == "408":
        asyncio.run(admission._timed_out(scope, send, 2.5))
    else:
        asyncio.run(admission._refuse(scope, send, 1))
    headers = dict(sent[0]["headers"])
    return sent[0]["status"], headers, json.loads(sent[1]["body"])


@pytest.mark.parametrize(
    ("which", "status", "english", "japanese"),
    [
        ("408", 408, "not received within 2.5 seconds", "2.5 秒"),
        ("503", 503, "the hub is saturated", "混み合って"),
    ],
)
def test_a_refusal_before_the_route_is_said_in_accept_language(
    which: str, status: int, english: str, japanese: str
) -> None:
    answered, headers, body = _sent(_scope("ja-JP,ja;q=0.9"), which)
    assert answered == status
    assert japanese in body["message"]
    assert headers[b"content-language"] == b"ja"
    assert headers[b"vary"] == b"Accept-Language"
    _, headers, body = _sent(_scope(None), which)
    assert english in body["message"]
    assert headers[b"content-language"] == b"en"
    _, _, taxii = _sent(_scope("es", "/taxii2/api/collections/x/objects/"), which)
    assert english not in taxii["description"]  # TAXII's error resource, in Spanish


def test_a_body_over_the_limit_is_refused_in_accept_language(
    client: TestClient, make: Factories
) -> None:
    headers = make.bearer(make.user("oper", operator=True))
    big = {"name": "Big", "description": "x" * 2_000_000}
    said = client.post("/api/v1/orgs", json=big, headers={**headers, "Accept-Language": "ja"})
    assert said.status_code == 413
    assert said.json()["error"] == "too_large"
    assert "上限" in said.json()["message"]
    assert said.headers["content-language"] == "ja"
    assert "Accept-Language" in said.headers["vary"]
    english = client.post("/api/v1/orgs", json=big, headers=headers)
    assert "is over the limit of" in english.json()["message"]
    assert english.headers["content-language"] == "en"
