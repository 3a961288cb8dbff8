"""``POST /v1/query`` on the event loop (``web.loop_reads``): on SQLite an answer kept whole is
answered there, byte for byte what the thread answers; a query not kept, a batch and every
PostgreSQL query take the worker thread; a token due to be marked used is marked either way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import importer, osv_api
from accord.config import Settings
from accord.identity.models import ApiToken
from tests.factories import Factories
from tests.loop_reads import count_hops, on_sqlite, threaded_client

JINJA2 = {"package": {"ecosystem": "PyPI", "name": "jinja2"}, "version": "2.4.1"}
QUERIES = [
    JINJA2,
    {"package": {"ecosystem": "PyPI", "name": "jinja2"}},
    {"package": {"purl": "pkg:pypi/jinja2@2.10"}},
    {"package": {"ecosystem": "PyPI", "name": "nothing-here"}, "version": "1"},
    {"package": {"ecosystem": "PyPI", "name": "jinja2"}, "version": "not a version"},
    {"package": {"ecosystem": "Nope", "name": "x"}},  # 400
    {"version": "1"},  # 400
]


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The query route's work handed to a worker thread, by name."""
    return count_hops(monkeypatch, osv_api, lambda work, *args: work.__name__)


@pytest.fixture
def threaded(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """A client of a second app whose reads always run in a worker thread."""
    with threaded_client(settings, engine, monkeypatch) as client:
        yield client


def test_kept_answers_on_the_loop_are_the_threads_bytes(
    app: FastAPI,
    client: TestClient,
    threaded: TestClient,
    jinja2: importer.Report,
    hops: list[str],
) -> None:
    statuses = set()
    for body in QUERIES:
        for _ in range(3):  # the first reads and keeps the answer (and makes the connection)
            on_loop = client.post("/v1/query", json=body)
            in_thread = threaded.post("/v1/query", json=body)
            assert on_loop.status_code == in_thread.status_code, (body, on_loop.text)
            assert on_loop.headers.items() == in_thread.headers.items(), body
            assert on_loop.content == in_thread.content, body
            statuses.add(on_loop.status_code)
    assert statuses == {200, 400}
    hops.clear()
    for body in QUERIES:
        client.post("/v1/query", json=body)
    # Kept now: on SQLite no query takes the thread (a 400 is refused before any read).
    assert len(hops) == (0 if on_sqlite(app) else len(QUERIES) - 2), hops


def test_a_query_not_kept_and_a_batch_take_the_thread(
    app: FastAPI, client: TestClient, jinja2: importer.Report, hops: list[str]
) -> None:
    assert client.post("/v1/query", json=JINJA2).status_code == 200  # the loop's connection
    hops.clear()
    other = {"package": {"ecosystem": "PyPI", "name": "jinja2"}, "version": "2.10"}
    first = client.post("/v1/query", json=other)  # not kept yet: read in the thread
    again = client.post("/v1/query", json=other)  # kept: on the loop (SQLite)
    assert first.content == again.content
    assert first.json()["vulns"]
    batch = client.post("/v1/querybatch", json={"queries": [JINJA2, other]})
    assert batch.status_code == 200
    on_loop = on_sqlite(app)
    assert hops == (["_answer_to"] if on_loop else ["_answer_to"] * 2) + ["_answer_to"]


def test_a_tokens_use_is_marked_when_its_answer_came_from_the_loop(
    app: FastAPI,
    client: TestClient,
    jinja2: importer.Report,
    make: Factories,
    session_factory: sessionmaker[Session],
    hops: list[str],
) -> None:
    secret = make.token(make.user())
    headers = {"Authorization": f"Bearer {secret}"}
    client.post("/v1/query", json=JINJA2)  # kept, and the loop's connection made
    hops.clear()
    assert client.post("/v1/query", json=JINJA2, headers=headers).status_code == 200
    with session_factory() as db:
        assert db.scalar(select(ApiToken.last_used_at)) is not None
    if on_sqlite(app):
        assert hops == ["record_use"]  # the answer on the loop; only the mark in a thread
