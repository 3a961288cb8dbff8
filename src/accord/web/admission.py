"""Admission control: a bounded number of requests in flight per process, never a collapse.

Without a bound, every request a client opens is let in at once: a thousand of them share the
process's threads and database connections, each one slower than alone, until they all time
out together and the hub answers nothing (it took minutes to recover). Here at most
``max_requests_in_flight`` reads and ``max_writes_in_flight`` other requests are served at
once; the next wait their turn, first come first served, in a line of at most
``max_requests_queued`` for at most ``request_queue_seconds``; past either bound a request is
answered 503 with Retry-After at once. So is a request whose wait would outlast
``request_wait_budget_seconds``, judged from the line ahead of it and the pace at which places
were given up of late: 200 clients writing at once on SQLite otherwise waited four seconds
each in a line that moved at the writer's pace, where a refusal tells them at once to come
back, and a request that has waited ``LINE_OVERRUN`` times the budget (a holder stalled the
line) is refused then. Writers have their own slots and line: on SQLite they take turns on
one writer (``accord.db.WriteTurn``), and while waiting in the readers' slots they held the
reads back; there the readers' lane narrows while writers wait in theirs
(:meth:`Gate.give_way`).
The database pool and the worker threads are sized from the same
numbers (``Settings.worker_threads``, ``Settings.db_pool_size``), so that a request let in
never waits for either.

A slot is held only while the hub works. A request's body is received before it takes one
(within ``request_body_seconds``, else 408, and within ``max_request_bytes``): a client sending
a byte at a time held a slot for minutes, and four of them stopped every write. A slot is
given up as the answer's last part is handed to the server, or once a part has waited
``request_body_seconds`` for a client that does not read it.

Whether a request is a read or a write is the route's (:func:`route_reads`): its method, unless
the route says otherwise with :func:`reads` (a POST that only reads: a query in a body) or
:func:`writes` (a GET that writes). Admission leaves the answer in the scope, and the request's
session follows it (``accord.web.deps.get_db``): a read never takes SQLite's write turn.

``/healthz`` has a small lane of its own, beside the line: a load balancer's probe is answered
while the hub is saturated, and says so only if the database does not answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import anyio.to_thread
import orjson
from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.config import RESERVED_CONNECTIONS, Settings
from accord.sharing import taxii
from accord.web.deps import ADMITTED_AS_READ, READ_METHODS, TAXII_PREFIX
from accord.web.security import body_limit

# Seconds a refused client is told to wait: the line moves in milliseconds, and a client that
# honours it comes back once the burst that filled the line has been served.
RETRY_AFTER_SECONDS = 1
HEALTH_PATHS = frozenset({"/healthz"})
READS = READ_METHODS
CLASS_ATTRIBUTE = "__accord_admitted_as_read__"

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def reads(endpoint: Endpoint) -> Endpoint:
    """Admit the route as a read whatever its method: it only reads (a query sent in a body).

    Placed under the router's decorator. Its request gets a read-only session, and the
    caller's token is not stamped as used (a write) by it.
    """
    setattr(endpoint, CLASS_ATTRIBUTE, True)
    return endpoint


def writes(endpoint: Endpoint) -> Endpoint:
    """Admit the route as a write though its method is GET: it may write (placed under the
    router's decorator)."""
    setattr(endpoint, CLASS_ATTRIBUTE, False)
    return endpoint


def route_reads(route: APIRoute) -> bool:
    """Whether requests to ``route`` are admitted as reads: as it says, else by its methods."""
    said: bool | None = getattr(route.endpoint, CLASS_ATTRIBUTE, None)
    return _methods(route) <= READS if said is None else said


def _methods(route: APIRoute) -> frozenset[str]:
    # Starlette answers HEAD with the GET route.
    methods = set(route.methods or ())
    return frozenset(methods | {"HEAD"} if "GET" in methods else methods)


class Classes:
    """Which requests are reads: by method, except on the routes that say otherwise, whose
    paths are matched (a handful of patterns, not the hundreds of routes)."""

    def __init__(self, routers: Iterable[tuple[str, APIRouter]]) -> None:
        self.exceptions: list[tuple[re.Pattern[str], frozenset[str], bool]] = []
        for prefix, router in routers:
            for route in router.routes:
                if isinstance(route, APIRoute) and route_reads(route) != (_methods(route) <= READS):
                    pattern, _, _ = compile_path(prefix + route.path)
                    self.exceptions.append((pattern, _methods(route), route_reads(route)))

    def reads(self, method: str, path: str) -> bool:
        """Whether a request for ``method`` and ``path`` is admitted as a read."""
        for pattern, methods, said in self.exceptions:
            if method in methods and pattern.match(path):
                return said
        return method in READS


# The weight of the newest gap between two places given up in the running estimate of the
# line's pace: about the last twenty count, so that the estimate follows a change of load.
PACE_WEIGHT = 0.05
# How far past the budget a request waits in line before it is refused after all: the
# estimate is of a pace, and a holder that stalls (a checkpoint, a burst of slow writes)
# left the line behind it waiting seconds where the estimate said half of one.
LINE_OVERRUN = 2.0


class Gate:
    """At most ``limit`` holders at once, and a first-come line of at most ``queued`` whose
    wait, estimated from the pace at which places were given up of late, stays within
    ``budget`` seconds (and is cut at ``LINE_OVERRUN`` times it).

    A gate may give way to another (:meth:`give_way`): while that one has a line, this one
    lets in only ``yielded_limit`` holders at once, the others waiting their turn."""

    def __init__(self, limit: int, queued: int, budget: float = float("inf")) -> None:
        self.limit = limit
        self.queued = queued
        self.budget = budget
        self.active = 0
        # Seconds between two places given up, of late (a moving average), and the last one.
        self.gap = 0.0
        self._left: float | None = None
        self._paced = 0
        self._line: deque[asyncio.Future[None]] = deque()
        self._yields_to: Gate | None = None
        self.yielded_limit = limit
        self._held_back: list[Gate] = []

    def give_way(self, other: Gate, limit: int) -> None:
        """Let in at most ``limit`` holders while ``other`` has requests in line.

        On SQLite the writers take turns on one writer, and every step of the one writing
        competes for the interpreter lock with each thread serving a read: with sixteen
        reads in flight, a write held the turn about 50 ms for a few of work, and writes ran
        at 8 a second beside 300 reads (bench/load.py, 200 connections). The reads' lane
        narrows while writers wait, and widens again as soon as their line is empty."""
        self._yields_to = other
        self.yielded_limit = max(1, min(limit, self.limit))
        other._held_back.append(self)

    def open_places(self) -> int:
        """How many may hold a place at once now (fewer while the gate gives way)."""
        if self._yields_to is not None and self._yields_to._line:
            return self.yielded_limit
        return self.limit

    def expected_wait(self) -> float:
        """Seconds a request joining the line now would wait at the recent pace (Little's
        law: the places ahead of it over the rate at which they are given up). Holders that
        stall the line are met by the wait's bound, ``LINE_OVERRUN`` times the budget."""
        return (len(self._line) + 1) * self.gap

    async def enter(self, seconds: float) -> bool:
        """Take a place, waiting in line up to ``seconds``; False if refused or timed out."""
        if self.active < self.open_places() and not self._line:
            self.active += 1
            return True
        if self._full(seconds):
            return False
        turn = asyncio.get_running_loop().create_future()
        self._line.append(turn)
        ahead = len(self._line)
        started = time.monotonic()
        try:
            async with asyncio.timeout(min(seconds, self.budget * LINE_OVERRUN)):
                await turn
            return True
        except TimeoutError:
            if turn.done() and not turn.cancelled():
                return True  # handed a place as the wait ran out: it is this request's now
            self._drop(turn)
            # The line moved slower than the estimate said: at most a place in this many
            # seconds. Learnt at once, so that the requests behind are told to come back.
            self.gap = max(self.gap, (time.monotonic() - started) / ahead)
            return False
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.leave()  # a place handed to a request that went away goes on
            else:
                self._drop(turn)
            raise

    def refuses(self, seconds: float) -> bool:
        """Whether :meth:`enter` would refuse now, without waiting."""
        busy = self.active >= self.open_places() or bool(self._line)
        return busy and self._full(seconds)

    def _full(self, seconds: float) -> bool:
        # The first in line is not refused on the estimate: the next place given up is its,
        # and without a line the pace is not measured again, so an estimate made too slow
        # by a stall would refuse every request that finds the places taken, for good.
        too_slow = bool(self._line) and self.expected_wait() > self.budget
        return len(self._line) >= self.queued or seconds <= 0 or too_slow

    def leave(self) -> None:
        """Give the place up: to the first request in line, else back to the gate."""
        # The pace is measured while a line waits, between places given up to it: a gap
        # that spans idle time (a quiet hour, then a burst) says nothing of how fast a busy
        # gate turns, and counted, it refused the first burst after a quiet spell.
        now = time.monotonic()
        if self._line:
            if self._left is not None:
                gap = now - self._left
                self.gap = gap if self._paced == 0 else self.gap + PACE_WEIGHT * (gap - self.gap)
                self._paced += 1
            self._left = now
        else:
            self._left = None
        # While the gate gives way, a place given up goes back (fewer holders) until they are
        # as few as it lets in.
        if self.active <= self.open_places() and self._hand_on():
            self._emptied()
            return  # the place passes on; ``active`` stays as it is
        self.active -= 1
        self._emptied()

    def _hand_on(self) -> bool:
        while self._line:
            turn = self._line.popleft()
            if not turn.done():
                turn.set_result(None)
                return True
        return False

    def _drop(self, turn: asyncio.Future[None]) -> None:
        turn.cancel()
        with contextlib.suppress(ValueError):
            self._line.remove(turn)
        self._emptied()

    def _emptied(self) -> None:
        # The line may have emptied: the gates that gave way to it take their places again.
        if self._line:
            return
        for gate in self._held_back:
            while gate.active < gate.open_places() and gate._hand_on():
                gate.active += 1


class Admission:
    """ASGI middleware letting at most the configured number of requests in at once."""

    def __init__(
        self, app: ASGIApp, *, settings: Settings, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        budget = settings.request_wait_budget_seconds
        self.gate = Gate(settings.max_requests_in_flight, settings.max_requests_queued, budget)
        self.writes = Gate(settings.max_writes_in_flight, settings.max_requests_queued, budget)
        if settings.resolved_database_url.startswith("sqlite"):
            self.gate.give_way(self.writes, settings.max_reads_while_writers_wait)
        self.health = Gate(RESERVED_CONNECTIONS // 2, 0)
        self.seconds = settings.request_queue_seconds
        self.client_seconds = settings.request_body_seconds
        self.max_bytes = settings.max_request_bytes
        self.larger = dict(larger or {})  # paths that take larger bodies (security.body_limit)
        # Bodies being received, before any slot: bounded like the line (memory).
        self.receiving = 0
        self.max_receiving = max(settings.max_requests_queued, 1)
        self.threads = settings.worker_threads
        self._sized: object | None = None
        self._classes: Classes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._size_threads()
        if scope["path"] in HEALTH_PATHS:
            gate, seconds = self.health, 0.0
        else:
            reads = self._classify(scope).reads(scope["method"], scope["path"])
            scope[ADMITTED_AS_READ] = reads
            gate, seconds = (self.gate if reads else self.writes), self.seconds
        if gate.refuses(seconds):
            await _refuse(scope, send)  # before anything of the request is read
            return
        limit = body_limit(scope["path"], self.max_bytes, self.larger)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await self.app(scope, receive, send)  # refused 413 unread (BodyLimit), no slot
            return
        if declared != 0:
            if self.receiving >= self.max_receiving:
                await _refuse(scope, send)
                return
            self.receiving += 1
            try:
                received = await self._receive_body(receive, limit)
            finally:
                self.receiving -= 1
            if received is None:
                await _timed_out(scope, send, self.client_seconds)
                return
            parts, whole = received
            if parts[-1]["type"] == "http.disconnect":
                return  # the client went away before it sent its request: nothing to answer
            receive = _replay(parts, receive)
            if not whole:
                await self.app(scope, receive, send)  # over the limit: 413 (BodyLimit), no slot
                return
        if not await gate.enter(seconds):
            await _refuse(scope, send)
            return
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                gate.leave()

        async def handing_send(message: Message) -> None:
            if not held:
                await send(message)
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                release()  # the answer is the server's now; the client's pace is not ours
                await send(message)
            else:
                sending = asyncio.ensure_future(send(message))
                try:
                    await asyncio.wait_for(asyncio.shield(sending), self.client_seconds)
                except TimeoutError:
                    release()  # a client that does not read its answer holds no slot
                    await sending

        try:
            await self.app(scope, receive, handing_send)
        finally:
            release()

    async def _receive_body(
        self, receive: Receive, limit: int
    ) -> tuple[list[Message], bool] | None:
        """The request body's messages, received within ``client_seconds`` (None past it),
        and whether it ended within ``limit`` bytes (else reading stopped past them)."""
        parts: list[Message] = []
        size = 0
        try:
            async with asyncio.timeout(self.client_seconds):
                while True:
                    message = await receive()
                    parts.append(message)
                    if message["type"] != "http.request":
                        return parts, True  # the client went away: the app is told so
                    size += len(message.get("body", b""))
                    if size > limit:
                        return parts, False
                    if not message.get("more_body", False):
                        return parts, True
        except TimeoutError:
            return None

    def _classify(self, scope: Scope) -> Classes:
        if self._classes is None:
            app = scope.get("app")
            state = getattr(app, "state", None)
            self._classes = Classes(getattr(state, "routers", None) or ())
        return self._classes

    def _size_threads(self) -> None:
        # The thread pool of sync routes and ``run_in_threadpool`` is anyio's default limiter,
        # one per event loop (40 threads unless told). One thread per admitted request and the
        # reserve's: a request that holds a connection always finds a thread to go on with.
        limiter = anyio.to_thread.current_default_thread_limiter()
        if limiter is not self._sized:
            limiter.total_tokens = self.threads
            self._sized = limiter


def _declared_length(scope: Scope) -> int | None:
    """The declared Content-Length (0: no body at all), or None when the body is streamed."""
    length = None
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding":
            return None
        if name == b"content-length" and value.isdigit():
            length = int(value)
    return 0 if length is None else length


def _replay(parts: list[Message], receive: Receive) -> Receive:
    """A ``receive`` giving the messages already received, then the server's own."""
    waiting = deque(parts)

    async def replay() -> Message:
        return waiting.popleft() if waiting else await receive()

    return replay


async def _timed_out(scope: Scope, send: Send, seconds: float) -> None:
    message = f"the request body was not received within {seconds:g} seconds"
    error = {"error": "request_timeout", "message": message}
    await _answer(scope, send, 408, error, [(b"connection", b"close")])


async def _refuse(scope: Scope, send: Send) -> None:
    error = {"error": "overloaded", "message": "the hub is saturated; try again shortly"}
    await _answer(scope, send, 503, error, [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())])


async def _answer(
    scope: Scope,
    send: Send,
    status: int,
    error: dict[str, str],
    extra: list[tuple[bytes, bytes]],
) -> None:
    if str(scope["path"]).startswith(TAXII_PREFIX):
        body, media = orjson.dumps(taxii.error_body(status, error)), taxii.TAXII_MEDIA_TYPE
    else:
        body, media = orjson.dumps(error), "application/json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media.encode()),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
