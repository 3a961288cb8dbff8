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


def test_a_refusals_words_are_made_once_per_language_and_kind_of_route(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under an overload the loop refuses hundreds of requests a second: their answer is said
    and encoded once per Accept-Language and kind of route (API or TAXII), then sent again
    as made, each with its own Retry-After."""
    said: list[str] = []
    spoken = admission.spoken

    def counted(scope: Scope, message: object) -> object:
        said.append(str(scope["path"]))
        return spoken(scope, message)  # type: ignore[arg-type]

    monkeypatch.setattr(admission, "spoken", counted)
    monkeypatch.setattr(admission, "_REFUSALS", {})
    taxii = "/taxii2/api/collections/x/objects/"
    answers = []
    for retry_after in (1, 2, 3):
        for scope in (_scope("ja"), _scope("es"), _scope("ja", taxii), _scope("ja")):
            sent: list[Message] = []

            async def send(message: Message, sent: list[Message] = sent) -> None:
                sent.append(message)

            asyncio.run(admission._refuse(scope, send, retry_after))
            answers.append((dict(sent[0]["headers"]), json.loads(sent[1]["body"])))
    assert len(said) == 3  # ja, es, ja on TAXII; the second ja and every later round kept
    assert [h[b"retry-after"] for h, _ in answers] == [b"1"] * 4 + [b"2"] * 4 + [b"3"] * 4
    assert answers[0][1] == answers[3][1] == answers[8][1]
    assert "混み合って" in answers[0][1]["message"]
    assert answers[1][0][b"content-language"] == b"es"
    assert "混み合って" in answers[2][1]["description"]


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
