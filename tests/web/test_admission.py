"""Admission holds slots only while the hub works, and knows every route's class.

A slot is taken once the request's body is in, and given up as the answer is handed to the
server: clients that send or read slowly hold none. Whether a request is a read or a write is
its route's (``accord.web.admission.route_reads``), and the request's session follows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import Message, Receive, Scope, Send

from accord.config import Settings
from accord.db import make_engine
from accord.identity.models import ApiToken, TokenScope
from accord.web import gate as gate_module
from accord.web.admission import Admission, Classes, Gate, route_reads
from accord.web.app import create_app
from accord.web.deps import get_sessionmaker
from accord.web.request_session import get_db
from tests.factories import Factories
from tests.flows.conftest import serving

# A slow client's body: a byte every tenth of a second, ten seconds for the whole.
SLOW_BODY = b'{"name": "slow", "scope": "read", "padding": "' + b"x" * 60 + b'"}'
BYTE_EVERY = 0.1


def _dependencies(route: APIRoute) -> set[object]:
    found: set[object] = set()
    pending = list(route.dependant.dependencies)
    while pending:
        dep = pending.pop()
        found.add(dep.call)
        pending.extend(dep.dependencies)
    return found


def _example_path(prefix: str, route: APIRoute) -> str:
    return prefix + re.sub(r"{[^}]+}", "x", route.path_format)


def test_every_route_is_admitted_as_what_it_does(app: FastAPI) -> None:
    """Walks the app's routes: each has one class, admission applies it to its requests, no
    read may take the writing session factory, and the routes whose method misleads (a GET
    that writes a snapshot, POSTs that only query) say so."""
    classes = Classes(app.state.routers)
    seen = {}
    for prefix, router in app.state.routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            said = route_reads(route)
            path = _example_path(prefix, route)
            for method in route.methods:
                seen[(method, prefix + route.path)] = said
                assert classes.reads(method, path) is said, f"{method} {path} admitted otherwise"
            calls = _dependencies(route)
            if said:
                assert get_sessionmaker not in calls, (
                    f"{prefix}{route.path} is admitted as a read but takes the writing sessions"
                )
            else:
                # A write's request session (get_db) holds SQLite's write turn from its first
                # statement to the request's end: a writing session of the route's own beside
                # it waits for the turn until the pool's timeout (the snapshot did, 503).
                assert not {get_db, get_sessionmaker} <= calls, (
                    f"{prefix}{route.path} writes in two sessions at once"
                )
    assert len(seen) > 200
    assert seen[("GET", "/api/v1/check/snapshot")] is False
    for reading_post in (
        "/v1/query",
        "/v1/querybatch",
        "/api/v1/sharing/lookup",
        "/api/v1/check/summaries",
        "/log/verify",
    ):
        assert seen[("POST", reading_post)] is True, reading_post
    assert classes.reads("HEAD", "/api/v1/check/snapshot") is False
    assert seen[("POST", "/taxii2/hub/collections/{collection_id}/objects/")] is False


@pytest.fixture
def small(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    """A hub of two read slots, four write slots and one-second waits for the write turn."""
    tight = settings.model_copy(
        update={
            "max_requests_in_flight": 2,
            "max_writes_in_flight": 4,
            "request_queue_seconds": 8.0,
            "db_pool_timeout_seconds": 1.0,
            "request_body_seconds": 20.0,
        }
    )
    own = make_engine(tight)
    app = create_app(tight, engine=own)
    yield app
    own.dispose()
    for side in (app.state.limiter.engine, app.state.queue.engine):
        if side is not own and side is not engine:
            side.dispose()


def test_a_look_up_takes_no_write_turn_and_stamps_nothing(
    small: FastAPI, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    """``POST /api/v1/sharing/lookup`` only reads: answered at once while another writer holds
    SQLite's write turn (it waited for it, then 503), and the token is not stamped as used."""
    person = make.user()
    slug = make.org()
    make.member(person, slug)
    headers = make.bearer(person, TokenScope.READ)
    engine: Engine = small.state.engine
    holder = engine.connect() if engine.dialect.name == "sqlite" else None

    async def scenario() -> httpx.Response:
        transport = httpx.ASGITransport(app=small)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await client.get("/api/v1/advisories")  # the routes built, a connection open
            if holder is not None:
                holder.begin()
                holder.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: the turn is taken
            answer = await client.post(
                "/api/v1/sharing/lookup", json={"values": ["198.51.100.7"]}, headers=headers
            )
            if holder is not None:
                holder.rollback()
                holder.close()
            return answer

    # The turn is held until the answer is in: a look-up that wanted it would have waited
    # the pool's timeout and been refused 503, so a 200 is the proof (no clock needed).
    answer = asyncio.run(scenario())
    assert answer.status_code == 200, answer.text
    assert [(r["kind"], r["indicators"]) for r in answer.json()] == [("ipv4", [])]
    with session_factory() as db:
        stamps = db.scalars(select(ApiToken.last_used_at).where(ApiToken.scope == "read")).all()
    assert stamps == [None]


def test_a_snapshot_waiting_to_write_holds_no_read_slot(small: FastAPI, make: Factories) -> None:
    """``GET /api/v1/check/snapshot`` writes a new snapshot when the public set changed: it is
    admitted as a write, so that two of them waiting for SQLite's write turn leave the two
    read slots to reads."""
    engine: Engine = small.state.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("one writer at a time is SQLite's")
    holder = engine.connect()

    async def scenario() -> tuple[httpx.Response, float, list[int]]:
        transport = httpx.ASGITransport(app=small)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            holder.begin()
            holder.exec_driver_sql("SELECT 1")
            snapshots = [
                asyncio.create_task(client.get("/api/v1/check/snapshot")) for _ in range(2)
            ]
            await asyncio.sleep(0.3)
            started = time.monotonic()
            read = await client.get("/api/v1/advisories")
            waited = time.monotonic() - started
            holder.rollback()
            holder.close()
            return read, waited, [(await s).status_code for s in snapshots]

    read, waited, snapshots = asyncio.run(scenario())
    assert read.status_code == 200
    assert waited < 0.5
    assert set(snapshots) <= {200, 503}


class SlowWriters:
    """Raw sockets each sending a request head at once, then its body a byte at a time."""

    def __init__(self, port: int, token: str, count: int) -> None:
        head = (
            "POST /api/v1/me/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(SLOW_BODY)}\r\n\r\n"
        ).encode()
        self.sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
        for sock in self.sockets:
            sock.sendall(head)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drip, daemon=True)

    def _drip(self) -> None:
        for i in range(len(SLOW_BODY)):
            if self.stop.wait(BYTE_EVERY):
                return
            for sock in self.sockets:
                with contextlib.suppress(OSError):  # answered and closed: nothing to send
                    sock.sendall(SLOW_BODY[i : i + 1])

    def __enter__(self) -> SlowWriters:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def test_slow_writers_hold_no_write_slot(small: FastAPI, make: Factories) -> None:
    """Six clients sending their bodies a byte every 100 ms (ten seconds each) against four
    write slots: a normal write beside them is answered at once. Before, each held a slot
    while it trickled, and the write waited for them."""
    admin = make.user()
    token = make.token(admin, TokenScope.ADMIN)
    with serving(small) as url:
        port = int(url.rsplit(":", 1)[1])
        with SlowWriters(port, token, 6):
            time.sleep(0.5)  # every slow request is in, its body trickling
            started = time.monotonic()
            answer = httpx.post(
                f"{url}/api/v1/me/tokens",
                json={"name": "prompt", "scope": "read"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=15,
            )
            waited = time.monotonic() - started
    assert answer.status_code == 201, answer.text
    assert waited < 2.0, f"the write waited {waited:.1f} s behind the slow clients"


def test_a_body_not_sent_in_time_is_answered_408(
    settings: Settings, engine: Engine, make: Factories
) -> None:
    """A body still trickling after ``request_body_seconds`` is answered 408 and the
    connection closed; it never took a slot."""
    quick = settings.model_copy(update={"request_body_seconds": 1.0})
    app = create_app(quick, engine=engine)
    token = make.token(make.user(), TokenScope.ADMIN)
    with serving(app) as url:
        port = int(url.rsplit(":", 1)[1])
        with SlowWriters(port, token, 1) as slow:
            sock = slow.sockets[0]
            sock.settimeout(5)
            started = time.monotonic()
            answer = sock.recv(65536)
            waited = time.monotonic() - started
            # The head and the body may come in two segments; the server closes after both.
            while chunk := sock.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    assert b"request_timeout" in answer
    assert 0.8 < waited < 3.0


def _scope(method: str = "POST") -> Scope:
    return {"type": "http", "method": method, "path": "/write", "headers": []}


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _answered(parts: int) -> object:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(parts):
            await send({"type": "http.response.body", "body": b"x", "more_body": i < parts - 1})

    return app


@pytest.mark.parametrize("parts", [1, 3], ids=["whole answer", "streamed answer"])
def test_a_client_not_reading_its_answer_holds_no_slot(settings: Settings, parts: int) -> None:
    """One write slot, taken by a request whose client never reads its answer: the next
    write is served. A whole answer gives the slot up as it is handed to the server; a
    streamed one once a part waited ``request_body_seconds`` for the client."""
    one = settings.model_copy(
        update={
            "max_writes_in_flight": 1,
            "request_queue_seconds": 5.0,
            "request_body_seconds": 0.3,
        }
    )
    admission = Admission(_answered(parts), settings=one)  # type: ignore[arg-type]

    async def scenario() -> tuple[list[Message], float]:
        async def never_read(message: Message) -> None:
            if message["type"] == "http.response.body":
                await asyncio.Event().wait()  # the client's window stays full

        stuck = asyncio.create_task(admission(_scope(), _no_body, never_read))
        await asyncio.sleep(0.05)
        sent: list[Message] = []

        async def collect(message: Message) -> None:
            sent.append(message)

        started = time.monotonic()
        await asyncio.wait_for(admission(_scope(), _no_body, collect), timeout=2.0)
        waited = time.monotonic() - started
        stuck.cancel()
        return sent, waited

    sent, waited = asyncio.run(scenario())
    assert sent[0]["status"] == 200
    assert waited < (0.1 if parts == 1 else 1.0)


class _Clock:
    """The gate's clock, moved by the test: the pace it learns is the one the test sets, not
    the busy machine's."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    found = _Clock()
    monkeypatch.setattr(gate_module, "time", SimpleNamespace(monotonic=found.monotonic))
    return found


def test_a_request_whose_wait_would_outlast_the_budget_is_refused_at_once(clock: _Clock) -> None:
    """The line's pace is learnt from the places given up: once a place frees every 0.1 s, a
    line of a second's wait refuses the next request at once, and a shorter one lets it wait
    and in."""

    async def scenario() -> tuple[bool, float, bool, int]:
        gate = Gate(1, 1024, budget=0.35)
        assert await gate.enter(10.0)
        waiter = asyncio.create_task(gate.enter(10.0))
        await asyncio.sleep(0)
        for _ in range(20):  # a place given up every 0.1 s to a waiting line: the gate's pace
            clock.now += 0.1
            gate.leave()
            assert await waiter
            waiter = asyncio.create_task(gate.enter(10.0))
            await asyncio.sleep(0)
        waiting = [waiter, *(asyncio.create_task(gate.enter(10.0)) for _ in range(2))]
        await asyncio.sleep(0)  # three in line: the next would wait about 0.4 s
        started = time.monotonic()
        refused = not await gate.enter(10.0)
        waited = time.monotonic() - started
        gate.leave()  # the first in line goes in; two wait, the next would wait 0.3 s
        await asyncio.sleep(0)
        let_in = asyncio.create_task(gate.enter(10.0))
        await asyncio.sleep(0)
        for _ in range(3):
            gate.leave()
            await asyncio.sleep(0)
        entered = await let_in
        return refused, waited, entered, sum([await w for w in waiting])

    refused, waited, entered, served = asyncio.run(scenario())
    assert refused
    assert waited < 0.05
    assert entered
    assert served == 3


def test_idle_time_is_not_counted_in_the_pace(clock: _Clock) -> None:
    """A quiet spell between two requests says nothing of how fast a busy gate turns: the
    first burst after it is let in line, not refused as if each place took the whole spell."""

    async def scenario() -> tuple[float, bool]:
        gate = Gate(1, 1024, budget=0.35)
        for _ in range(2):  # one request, a quiet 0.6 s, another: no line in between
            assert await gate.enter(10.0)
            gate.leave()
            clock.now += 0.6
        assert await gate.enter(10.0)
        burst = [asyncio.create_task(gate.enter(10.0)) for _ in range(2)]
        await asyncio.sleep(0)
        expected = gate.expected_wait()
        for _ in range(3):
            gate.leave()
            await asyncio.sleep(0)
        return expected, all([await b for b in burst])

    expected, served = asyncio.run(scenario())
    assert expected < 0.35
    assert served


def test_reads_give_way_while_writers_wait_in_line(clock: _Clock) -> None:
    """On SQLite the reads' lane narrows while writers wait (the one writer competes with each
    read's thread): reads given up are not passed on until no more than the narrowed number
    hold places, and the lane widens again once the writers' line is empty."""

    async def scenario() -> tuple[int, int, bool, int, int]:
        reads, writes = Gate(4, 1024), Gate(1, 1024)
        reads.give_way(writes, 2)
        for _ in range(4):
            assert await reads.enter(10.0)
        assert await writes.enter(10.0)
        writer = asyncio.create_task(writes.enter(10.0))  # a writer waits: reads narrow to 2
        readers = [asyncio.create_task(reads.enter(10.0)) for _ in range(3)]
        await asyncio.sleep(0)
        reads.leave()
        reads.leave()  # 4 -> 2 holders: these places are not passed on
        await asyncio.sleep(0)
        narrowed = reads.active
        let_in_while_narrow = sum(r.done() for r in readers)
        reads.leave()  # 2 holders, as many as the narrowed lane: passed on to a reader
        await asyncio.sleep(0)
        first_in = readers[0].done() and readers[0].result()
        writes.leave()  # the waiting writer goes in: its line is empty, the reads widen
        assert await writer
        await asyncio.sleep(0)
        return narrowed, let_in_while_narrow, first_in, sum(r.done() for r in readers), reads.active

    narrowed, while_narrow, first_in, served, active = asyncio.run(scenario())
    assert narrowed == 2
    assert while_narrow == 0
    assert first_in
    assert served == 3
    assert active == 4


def test_a_stale_pace_refuses_no_request_first_in_line(clock: _Clock) -> None:
    """A pace learnt during a stall (a place every few seconds) must not refuse every request
    that finds the places taken: the first in line waits for the next place given up, and
    the pace is learnt again from it; the second is refused."""

    async def scenario() -> tuple[bool, bool, float]:
        gate = Gate(1, 1024, budget=0.35)
        gate.gap = 5.0  # learnt while a holder stalled
        assert await gate.enter(10.0)
        first = asyncio.create_task(gate.enter(10.0))
        await asyncio.sleep(0)
        second_refused = gate.refuses(10.0)
        for _ in range(21):  # a place given up every 0.05 s to a line that waits
            clock.now += 0.05
            gate.leave()
            assert await first
            first = asyncio.create_task(gate.enter(10.0))
            await asyncio.sleep(0)
        return second_refused, gate.refuses(10.0), gate.gap

    second_refused, refused_after, gap = asyncio.run(scenario())
    assert second_refused
    assert not refused_after  # two in line would wait about 0.1 s: let in
    assert gap < 0.35


def test_a_wait_past_the_budget_is_cut_and_teaches_the_pace(clock: _Clock) -> None:
    """A holder that stalls leaves its line waiting longer than the estimate said: a request
    waits at most ``LINE_OVERRUN`` times the budget, then is refused, and the slower pace it
    met is learnt at once, so that the next request past the first in line is refused
    without waiting."""

    async def scenario() -> tuple[bool, float, bool]:
        gate = Gate(1, 1024, budget=0.01)  # cut after 0.02 s of the loop's time
        assert await gate.enter(10.0)
        waiter = asyncio.create_task(gate.enter(10.0))
        await asyncio.sleep(0)
        clock.now += 0.3  # the stall, as the gate's clock saw it
        let_in = await waiter
        first = asyncio.create_task(gate.enter(10.0))
        await asyncio.sleep(0)
        refused = gate.refuses(10.0)
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first
        return let_in, gate.gap, refused

    let_in, gap, refused = asyncio.run(scenario())
    assert not let_in
    assert gap == pytest.approx(0.3)
    assert refused


def test_by_default_a_request_leaves_the_line_within_half_a_second(tmp_path: Path) -> None:
    """The default budget leaves most of the issue's second (p99 under one second) to the
    route and the event loop: a request let in line behind holders that do not give their
    places up is refused once it has waited twice the budget, half a second, in the reads'
    line as in the writers'. At the former 0.5, the line alone took the whole second."""
    settings = Settings(data_dir=tmp_path)
    admission = Admission(_answered(1), settings=settings)  # type: ignore[arg-type]
    longest = {
        name: gate.longest_wait(settings.request_queue_seconds)
        for name, gate in (("reads", admission.gate), ("writes", admission.writes))
    }

    async def stalled(gate: Gate) -> bool:
        for _ in range(gate.limit):
            assert await gate.enter(settings.request_queue_seconds)
        return await asyncio.wait_for(gate.enter(settings.request_queue_seconds), timeout=5.0)

    assert settings.request_wait_budget_seconds == 0.25
    assert longest == {"reads": 0.5, "writes": 0.5}
    assert not asyncio.run(stalled(admission.gate))
    assert not asyncio.run(stalled(admission.writes))
