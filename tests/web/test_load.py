"""The hub under load: the event loop never waits for the database, saturation is answered
503 with Retry-After at once (never a hang), and the hub answers normally once it ends.

The requests run through the app's ASGI interface in one event loop, as uvicorn runs them, so
that a request blocking the loop holds back every other one and the loop's watchdog sees it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import make_engine
from accord.identity.models import ApiToken, TokenScope
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from accord.web import errors
from accord.web.app import create_app
from tests.factories import Factories
from tests.sharing import stixgen
from tests.sharing.conftest import make_collection

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}
# The loop may stall this long (a scheduling hiccup of a busy machine: 0.33 s was seen with two
# suites and browsers on two cores); a checkout waiting
# on an exhausted pool stalls it for the pool's whole timeout (a second here).
LOOP_STALL_SECONDS = 0.6
# Under the mixed burst below, with its pool's timeout of two seconds.
BURST_STALL_SECONDS = 1.2


@dataclass
class Tight:
    """A hub of two request slots, a line of four, and one-second waits."""

    app: FastAPI
    engine: Engine
    settings: Settings

    def capacity(self) -> int:
        """Connections the pool gives out at most."""
        return self.engine.pool.size() + self.engine.pool._max_overflow  # type: ignore[attr-defined]


@pytest.fixture
def tight(settings: Settings, engine: Engine) -> Iterator[Tight]:
    small = settings.model_copy(
        update={
            "max_requests_in_flight": 2,
            "max_requests_queued": 4,
            "request_queue_seconds": 2.0,
            "db_pool_timeout_seconds": 1.0,
        }
    )
    own = make_engine(small)
    app = create_app(small, engine=own)
    yield Tight(app=app, engine=own, settings=small)
    own.dispose()
    for side in (app.state.limiter.engine, app.state.queue.engine):
        if side is not own and side is not engine:
            side.dispose()


@dataclass
class World:
    """A collection, and its producer's token (which may read and write it)."""

    collection: str
    token: str

    def bearer(self) -> dict[str, str]:
        return {**TAXII, "Authorization": f"Bearer {self.token}"}


@pytest.fixture
def world(make: Factories, session_factory: sessionmaker[Session]) -> World:
    slug = make.org("Producer Org")
    person = make.user()
    make.member(person, slug)
    token = make.token(person, TokenScope.WRITE)
    return World(collection=make_collection(session_factory, slug), token=token)


def objects_url(world: World) -> str:
    return f"/taxii2/hub/collections/{world.collection}/objects/"


async def watched(work: Awaitable[Any]) -> tuple[Any, float]:
    """``work``'s result and the longest the event loop went unserved meanwhile (seconds)."""
    worst = 0.0
    done = False

    async def watchdog() -> None:
        nonlocal worst
        while not done:
            start = time.monotonic()
            await asyncio.sleep(0.01)
            worst = max(worst, time.monotonic() - start - 0.01)

    dog = asyncio.create_task(watchdog())
    try:
        result = await work
    finally:
        done = True
        await dog
    return result, worst


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def test_the_loop_never_waits_for_an_exhausted_pool(tight: Tight, world: World) -> None:
    """Every connection taken: TAXII reads wait in worker threads, the loop keeps serving, and
    each request ends in 503 with Retry-After (never a hang); freed, the hub answers 200."""
    held = [tight.engine.raw_connection() for _ in range(tight.capacity())]
    headers = world.bearer()

    async def scenario() -> tuple[list[httpx.Response], float, httpx.Response, float]:
        async with client_for(tight.app) as client:
            burst = [client.get(objects_url(world), headers=headers) for _ in range(6)]
            answers, stall = await watched(asyncio.gather(*burst))
            for connection in held:
                connection.close()
            started = time.monotonic()
            after = await client.get(objects_url(world), headers=headers)
            return list(answers), stall, after, time.monotonic() - started

    answers, stall, after, recovery = asyncio.run(scenario())
    assert stall < LOOP_STALL_SECONDS, f"the event loop was blocked for {stall:.2f} s"
    assert [a.status_code for a in answers] == [503] * 6
    assert all(a.headers["Retry-After"] == "1" for a in answers)
    assert after.status_code == 200, after.text
    assert recovery < 2.0


def test_past_the_line_a_request_is_refused_at_once(tight: Tight, world: World) -> None:
    """Two requests in flight and four in line: the seventh is answered 503 with Retry-After
    without waiting; /healthz has a lane of its own and is not refused for the line."""
    held = [tight.engine.raw_connection() for _ in range(tight.capacity())]
    headers = world.bearer()

    async def scenario() -> tuple[httpx.Response, float, httpx.Response, list[int]]:
        async with client_for(tight.app) as client:
            stuck = [
                asyncio.create_task(client.get(objects_url(world), headers=headers))
                for _ in range(6)
            ]
            await asyncio.sleep(0.2)  # the six are in: two wait for connections, four in line
            started = time.monotonic()
            refused = await client.get(objects_url(world), headers=headers)
            waited = time.monotonic() - started
            health = await client.get("/healthz")
            for connection in held:
                connection.close()
            return refused, waited, health, [(await t).status_code for t in stuck]

    refused, waited, health, stuck = asyncio.run(scenario())
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["Content-Type"] == TAXII_MEDIA_TYPE
    assert json.loads(refused.content)["http_status"] == "503"
    assert waited < 0.2
    # /healthz was let in beside the line; it answers what the database does: no connection.
    assert health.status_code == 503
    assert health.headers["Retry-After"] == "1"
    assert set(stuck) <= {200, 503}  # those still in line once freed are served


def test_recovers_within_seconds_of_a_burst(tight: Tight, world: World) -> None:
    """A burst twenty times the hub's slots and line: what is refused is refused with 503 and
    Retry-After, nothing else fails, and the hub answers normally as soon as it ends."""
    headers = world.bearer()

    async def scenario() -> tuple[list[int], list[int], float]:
        async with client_for(tight.app) as client:
            burst = [client.get(objects_url(world), headers=headers) for _ in range(120)]
            burst += [client.get("/api/v1/advisories") for _ in range(120)]
            statuses = [r.status_code for r in await asyncio.gather(*burst)]
            started = time.monotonic()
            after = [
                (await client.get("/healthz")).status_code,
                (await client.get(objects_url(world), headers=headers)).status_code,
                (await client.get("/api/v1/advisories")).status_code,
            ]
            return statuses, after, time.monotonic() - started

    statuses, after, seconds = asyncio.run(scenario())
    assert set(statuses) <= {200, 503}
    assert statuses.count(200) >= 2  # at least the two slots were served (the line may time out)
    assert after == [200, 200, 200]
    assert seconds < 2.0


def test_a_pool_of_two_under_a_mixed_burst_never_blocks_the_loop_and_recovers(
    settings: Settings, make: Factories, world: World
) -> None:
    """The hub saturated for real: two database connections (the most one request holds at
    once: its guard's session and a reader) for 75 requests at once (reads, TAXII writes,
    token writes, OSV queries). The loop keeps serving while they wait for it,
    each is answered (200/201, or 503 with Retry-After; never a 500 or a hang), and once the
    burst ends the hub answers normally at once."""
    # A checkout on the loop that waits for a connection only the loop's waiters could give
    # back stalls it for the pool's whole timeout (two seconds here): well above the stall
    # this burst of 75 requests and their threads may cause on a busy machine (0.78 s seen
    # with both suites on two cores), which the first test's bound (no threads at work) is not.
    small = settings.model_copy(
        update={"request_queue_seconds": 2.0, "db_pool_timeout_seconds": 2.0}
    )
    one = make_engine(small, connections=2)
    app = create_app(small, engine=one)
    admin = make.bearer(make.user(), TokenScope.ADMIN)
    envelope = json.dumps(stixgen.envelope(*(stixgen.indicator() for _ in range(5))))
    query = {"queries": [{"package": {"ecosystem": "PyPI", "name": "acme"}, "version": "1.0"}]}

    async def scenario() -> tuple[list[httpx.Response], float, list[int], float]:
        async with client_for(app) as client:
            burst = []
            for i in range(15):
                burst += [
                    client.get(objects_url(world), headers=world.bearer()),
                    client.post(objects_url(world), content=envelope, headers=world.bearer()),
                    client.post(
                        "/api/v1/me/tokens", json={"name": f"b{i}", "scope": "read"}, headers=admin
                    ),
                    client.post("/v1/querybatch", json=query),
                    client.get("/api/v1/advisories"),
                ]
            answers, stall = await watched(asyncio.wait_for(asyncio.gather(*burst), 30))
            started = time.monotonic()
            after: list[int] = []
            # Within seconds of the burst, everything answers normally (tried until then).
            while after != [200, 200, 200, 201] and time.monotonic() - started < 5:
                after = [
                    (await client.get("/healthz")).status_code,
                    (await client.get(objects_url(world), headers=world.bearer())).status_code,
                    (await client.post("/v1/querybatch", json=query)).status_code,
                    (
                        await client.post(
                            "/api/v1/me/tokens",
                            json={"name": f"after-{time.monotonic()}", "scope": "read"},
                            headers=admin,
                        )
                    ).status_code,
                ]
            return list(answers), stall, after, time.monotonic() - started

    try:
        answers, stall, after, seconds = asyncio.run(scenario())
    finally:
        one.dispose()
        for side in (app.state.limiter.engine, app.state.queue.engine):
            side.dispose()
    assert stall < BURST_STALL_SECONDS, f"the event loop was blocked for {stall:.2f} s"
    failed = [
        (a.status_code, a.text[:120]) for a in answers if a.status_code not in (200, 201, 202, 503)
    ]
    assert not failed
    assert all(a.headers["Retry-After"] == "1" for a in answers if a.status_code == 503)
    # Progress, not a rate: a request may hold two connections (its guard's session and a
    # reader in its thread), so two connections for 75 requests (a pool no hub runs: it is
    # sized to two per slot) serve as many as their timing allows before the others' 503.
    assert any(a.status_code < 300 for a in answers)
    assert after == [200, 200, 200, 201]
    assert seconds < 5.0


def test_concurrent_writers_with_tokens_neither_deadlock_nor_fail(
    app: FastAPI,
    make: Factories,
    world: World,
    session_factory: sessionmaker[Session],
) -> None:
    """More authenticated writers and readers at once than the hub had threads: each writer's
    guard holds a connection (on SQLite the write lock) while it waits for a thread to go on.
    Threads and connections sized apart, they waited for each other until the pool's or
    SQLite's 30 s timeout and answered 500. Every request must succeed, and every write be
    stored."""
    author = make.user()
    writer = make.bearer(author, TokenScope.ADMIN)
    reader = producer = world.bearer()
    writes = 60

    def new_token(client: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
        body = {"name": f"load-{i}", "scope": "read"}
        return client.post("/api/v1/me/tokens", json=body, headers=writer)

    async def scenario() -> list[httpx.Response]:
        async with client_for(app) as client:
            requests = [new_token(client, i) for i in range(writes)]
            requests += [client.get(objects_url(world), headers=reader) for _ in range(40)]
            envelope = stixgen.envelope(*(stixgen.indicator() for _ in range(5)))
            body = json.dumps(envelope)
            requests += [
                client.post(objects_url(world), content=body, headers=producer) for _ in range(20)
            ]
            return list(await asyncio.wait_for(asyncio.gather(*requests), timeout=25))

    started = time.monotonic()
    answers = asyncio.run(scenario())
    assert time.monotonic() - started < 25
    failed = [(a.status_code, a.text[:200]) for a in answers if a.status_code >= 300]
    assert not failed
    with session_factory() as db:
        stored = select(func.count(ApiToken.id)).where(ApiToken.name.startswith("load-"))
        assert db.scalar(stored) == writes


def test_writers_waiting_their_turn_hold_no_reader_back(
    tight: Tight, make: Factories, world: World
) -> None:
    """SQLite's writers take turns on one writer: while the turn is taken, writers wait in
    their own slots and line, and a read is answered at once beside them."""
    if tight.engine.dialect.name != "sqlite":
        pytest.skip("one writer at a time is SQLite's")
    writer = make.bearer(make.user(), TokenScope.ADMIN)
    holder = tight.engine.connect()

    async def scenario() -> tuple[httpx.Response, float, list[httpx.Response]]:
        async with client_for(tight.app) as client:
            # The first read of a collection writes the hub's cursor secret: before the turn.
            assert (await client.get(objects_url(world), headers=world.bearer())).is_success
            holder.begin()
            holder.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: this connection has the turn
            writes = [
                asyncio.create_task(
                    client.post(
                        "/api/v1/me/tokens", json={"name": f"w{i}", "scope": "read"}, headers=writer
                    )
                )
                for i in range(5)
            ]
            await asyncio.sleep(0.2)
            started = time.monotonic()
            read = await client.get(objects_url(world), headers=world.bearer())
            waited = time.monotonic() - started
            holder.rollback()
            holder.close()
            return read, waited, list(await asyncio.gather(*writes))

    read, waited, writes = asyncio.run(scenario())
    assert read.status_code == 200, read.text
    assert waited < 0.5
    # Writers that waited past the pool's timeout (a second here) were told to come back.
    assert {w.status_code for w in writes} <= {201, 503}
    assert all(w.headers["Retry-After"] == "1" for w in writes if w.status_code == 503)


@pytest.mark.parametrize(
    ("message", "status"),
    [
        ("database is locked", 503),
        ("FATAL:  sorry, too many clients already", 503),
        ("no such table: nothing", 500),
    ],
)
def test_a_saturated_database_is_a_503_and_any_other_failure_a_500(
    message: str, status: int
) -> None:
    """SQLite's lock not had in its busy timeout, or PostgreSQL out of connection slots, is
    saturation (503, Retry-After), not a fault of the hub; anything else stays a 500."""
    app = FastAPI()
    errors.install(app)

    @app.get("/api/v1/fails")
    def fails() -> None:
        raise OperationalError("SELECT 1", {}, Exception(message))

    async def scenario() -> httpx.Response:
        async with client_for(app) as client:
            return await client.get("/api/v1/fails")

    answer = asyncio.run(scenario())
    assert answer.status_code == status
    assert answer.headers.get("Retry-After") == ("1" if status == 503 else None)
