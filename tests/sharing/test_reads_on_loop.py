"""TAXII reads on the event loop (``sharing.reading``): on SQLite a read that needs only point
reads runs there without a thread hop, on a connection that never waits, and answers exactly
what the same read in a worker thread answers; anything longer, or a lock met, is read again
in a worker thread. PostgreSQL's reads always take the thread."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from accord.config import Settings
from accord.prepared import ReadConnections, Reading
from accord.sharing import reading
from accord.sharing import routes as sharing_routes
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.loop_reads import count_hops, on_sqlite, threaded_client
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE}
NOW = datetime(2026, 12, 7, 1, 0, 30, tzinfo=UTC)
SOME = "indicator--00000000-0000-4000-8000-000000000000"


@pytest.fixture(autouse=True)
def _one_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both apps read in the same minute, so that a page's cursor is the same bytes.
    monkeypatch.setattr(sharing_routes, "utcnow", lambda: NOW)


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The reads handed to a worker thread, by the name of their work."""
    return count_hops(monkeypatch, reading, lambda work, *args: args[0].__name__)


@pytest.fixture
def threaded(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """A client of a second app whose reads always run in a worker thread."""
    with threaded_client(settings, engine, monkeypatch) as client:
        yield client


def _store(client: TestClient, world: SharingWorld, count: int) -> list[str]:
    indicators = [stixgen.indicator(kind="ipv4", value=f"192.0.2.{i}") for i in range(count)]
    added = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*indicators),
        headers={**TAXII, "Content-Type": TAXII_MEDIA_TYPE, **world.bearer("producer")},
    )
    assert added.json()["success_count"] == count, added.text
    return [indicator["id"] for indicator in indicators]


def test_reads_on_the_loop_answer_the_same_bytes_as_in_a_thread(
    app: FastAPI, client: TestClient, threaded: TestClient, world: SharingWorld, hops: list[str]
) -> None:
    ids = _store(client, world, 5)
    objects = f"/taxii2/hub/collections/{world.collection}/objects/"
    producer = {**TAXII, **world.bearer("producer")}
    requests = [
        ("/taxii2/", {**TAXII}),
        ("/taxii2/hub/", producer),
        (f"/taxii2/hub/collections/{world.collection}/manifest/", producer),
        (objects, producer),
        (objects + "?limit=2", producer),
        (objects + f"?match[id]={ids[1]}", producer),
        (objects + "?added_after=2020-01-01T00:00:00Z", producer),
        (objects + "?added_after=yesterday", producer),  # 400
        (objects, {**TAXII, **world.bearer("outsider")}),
        (objects, {**TAXII}),  # anonymous
        (objects, {**TAXII, "Authorization": "Bearer acc_nope"}),  # 401
        ("/taxii2/hub/collections/nope/objects/", producer),  # 404
        (f"{objects}{ids[2]}/", producer),
        (f"{objects}{ids[3]}/versions/", producer),
        (f"{objects}{SOME}/", producer),  # 404
    ]
    statuses = set()
    for path, headers in requests:
        for _ in range(3):  # the first may make the loop's connection; then kept pages
            on_loop = client.get(path, headers=headers)
            in_thread = threaded.get(path, headers=headers)
            assert on_loop.status_code == in_thread.status_code, (path, on_loop.text)
            assert on_loop.headers.items() == in_thread.headers.items(), path
            assert on_loop.content == in_thread.content, path
            statuses.add(on_loop.status_code)
    assert {200, 400, 401, 404} <= statuses
    # The same reads once more: on SQLite none of them takes the thread now (every page
    # kept, the rows of every caller kept); each of the other app's does.
    hops.clear()
    for path, headers in requests:
        client.get(path, headers=headers)
    assert len(hops) == (0 if on_sqlite(app) else len(requests)), hops


def test_only_point_reads_run_on_the_loop(
    app: FastAPI, client: TestClient, world: SharingWorld, hops: list[str]
) -> None:
    """A page not kept is read in a worker thread; one object's page is read on the loop."""
    ids = _store(client, world, 3)
    objects = f"/taxii2/hub/collections/{world.collection}/objects/"
    producer = {**TAXII, **world.bearer("producer")}
    assert client.get(objects, headers=producer).status_code == 200  # the loop's connection
    added = _store(client, world, 1)  # the collection changed: no page of it is kept
    hops.clear()
    page = client.get(objects, headers=producer)
    assert {o["id"] for o in page.json()["objects"]} == {*ids, *added}
    one = client.get(objects + f"?match[id]={ids[0]}", headers=producer)
    assert [o["id"] for o in one.json()["objects"]] == [ids[0]]
    kept = client.get(objects, headers=producer)
    assert kept.content == page.content
    if on_sqlite(app):
        assert hops == ["_objects"]  # the page not kept; not match[id], not the kept page
    else:
        assert hops == ["_objects"] * 3


def test_every_version_of_one_object_is_read_in_a_thread(
    app: FastAPI, client: TestClient, world: SharingWorld, hops: list[str]
) -> None:
    """One object's versions are not a few rows (its writer may store a thousand large
    ones): its page of every version and its list of versions are not read on the loop."""
    ids = _store(client, world, 1)
    objects = f"/taxii2/hub/collections/{world.collection}/objects/"
    producer = {**TAXII, **world.bearer("producer")}
    assert client.get(objects, headers=producer).status_code == 200  # the loop's connection
    hops.clear()
    every = client.get(objects + f"{ids[0]}/?match[version]=all", headers=producer)
    assert [o["id"] for o in every.json()["objects"]] == ids
    listed = client.get(objects + f"{ids[0]}/versions/", headers=producer)
    assert len(listed.json()["versions"]) == 1
    latest = client.get(objects + f"{ids[0]}/", headers=producer)
    assert [o["id"] for o in latest.json()["objects"]] == ids
    # The first two in a thread (not kept yet); the latest version alone on the loop.
    assert len(hops) == (2 if on_sqlite(app) else 3), hops


def test_a_lock_met_on_the_loop_is_waited_for_in_a_thread(
    app: FastAPI,
    client: TestClient,
    world: SharingWorld,
    hops: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _store(client, world, 2)
    objects = f"/taxii2/hub/collections/{world.collection}/objects/"
    producer = {**TAXII, **world.bearer("producer")}
    before = client.get(objects, headers=producer)
    assert before.status_code == 200
    original = sharing_routes._objects
    places: list[bool] = []

    def busy_on_the_loop(request: Any, db: Reading, *args: Any) -> Any:
        places.append(db.on_loop)
        if db.on_loop:  # as SQLite answers a statement at a lock with a busy timeout of 0
            raise sqlite3.OperationalError("database is locked")
        return original(request, db, *args)

    monkeypatch.setattr(sharing_routes, "_objects", busy_on_the_loop)
    hops.clear()
    after = client.get(objects, headers=producer)
    assert after.status_code == 200
    assert after.content == before.content
    assert hops == ["busy_on_the_loop"]
    assert places == ([True, False] if on_sqlite(app) else [False])


def test_the_loops_connection_never_waits_for_a_lock(
    app: FastAPI, client: TestClient, world: SharingWorld
) -> None:
    _store(client, world, 1)
    objects = f"/taxii2/hub/collections/{world.collection}/objects/"
    assert client.get(objects, headers={**TAXII, **world.bearer("producer")}).status_code == 200
    connections: ReadConnections = app.state.read_connections
    if not on_sqlite(app):
        assert not connections.ready_on_loop()  # a round trip to a server: never on the loop
        return
    assert connections.ready_on_loop()
    loop = connections.take_on_loop()
    try:
        assert loop.driver_connection.execute("PRAGMA busy_timeout").fetchone() == (0,)
    finally:
        connections.give_on_loop(loop)
    # The worker threads' connections still wait for a lock as the hub's others do.
    with Reading(app.state.engine, None, connections) as db:
        found = db.cursor().execute("PRAGMA busy_timeout").fetchone()
    assert found[0] > 0
