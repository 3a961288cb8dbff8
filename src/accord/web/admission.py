"""Admission control: a bounded number of requests in flight per process, never a collapse.

Without a bound, every request a client opens is let in at once: a thousand of them share the
process's threads and database connections, each one slower than alone, until they all time
out together and the hub answers nothing (it took minutes to recover). Here at most
``max_requests_in_flight`` reads and ``max_writes_in_flight`` other requests are served at
once; the next wait their turn, first come first served, in a line of at most
``max_requests_queued`` for at most ``request_queue_seconds``; past either bound a request is
answered 503 with Retry-After at once, before anything of it is read. Writers have their own
slots and line: on SQLite they take turns on one writer (``accord.db.WriteTurn``), and while
waiting in the readers' slots they held the reads back. The database pool and the worker
threads are sized from the same numbers (``Settings.worker_threads``, ``Settings.db_pool_size``),
so that a request let in never waits for either.

``/healthz`` has a small lane of its own, beside the line: a load balancer's probe is answered
while the hub is saturated, and says so only if the database does not answer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

import anyio.to_thread
import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from accord.config import RESERVED_CONNECTIONS, Settings
from accord.sharing import taxii
from accord.web.deps import TAXII_PREFIX

# Seconds a refused client is told to wait: the line moves in milliseconds, and a client that
# honours it comes back once the burst that filled the line has been served.
RETRY_AFTER_SECONDS = 1
HEALTH_PATHS = frozenset({"/healthz"})
READS = frozenset({"GET", "HEAD"})
# POSTs that only read, through a read-only session of their own (OSV's query API).
READING_POSTS = frozenset({"/v1/query", "/v1/querybatch"})


class Gate:
    """At most ``limit`` holders at once, and a first-come line of at most ``queued``."""

    def __init__(self, limit: int, queued: int) -> None:
        self.limit = limit
        self.queued = queued
        self.active = 0
        self._line: deque[asyncio.Future[None]] = deque()

    async def enter(self, seconds: float) -> bool:
        """Take a place, waiting in line up to ``seconds``; False if refused or timed out."""
        if self.active < self.limit and not self._line:
            self.active += 1
            return True
        if len(self._line) >= self.queued or seconds <= 0:
            return False
        turn = asyncio.get_running_loop().create_future()
        self._line.append(turn)
        try:
            async with asyncio.timeout(seconds):
                await turn
            return True
        except TimeoutError:
            if turn.done() and not turn.cancelled():
                return True  # handed a place as the wait ran out: it is this request's now
            self._drop(turn)
            return False
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.leave()  # a place handed to a request that went away goes on
            else:
                self._drop(turn)
            raise

    def leave(self) -> None:
        """Give the place up: to the first request in line, else back to the gate."""
        while self._line:
            turn = self._line.popleft()
            if not turn.done():
                turn.set_result(None)  # the place passes on; ``active`` stays as it is
                return
        self.active -= 1

    def _drop(self, turn: asyncio.Future[None]) -> None:
        turn.cancel()
        with contextlib.suppress(ValueError):
            self._line.remove(turn)


class Admission:
    """ASGI middleware letting at most the configured number of requests in at once."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.gate = Gate(settings.max_requests_in_flight, settings.max_requests_queued)
        self.writes = Gate(settings.max_writes_in_flight, settings.max_requests_queued)
        self.health = Gate(RESERVED_CONNECTIONS // 2, 0)
        self.seconds = settings.request_queue_seconds
        self.threads = settings.worker_threads
        self._sized: object | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._size_threads()
        health = scope["path"] in HEALTH_PATHS
        reads = scope["method"] in READS or scope["path"] in READING_POSTS
        gate = self.gate if reads else self.writes
        if health:
            gate = self.health
        if not await gate.enter(0 if health else self.seconds):
            await _refuse(scope, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            gate.leave()

    def _size_threads(self) -> None:
        # The thread pool of sync routes and ``run_in_threadpool`` is anyio's default limiter,
        # one per event loop (40 threads unless told). One thread per admitted request and the
        # reserve's: a request that holds a connection always finds a thread to go on with.
        limiter = anyio.to_thread.current_default_thread_limiter()
        if limiter is not self._sized:
            limiter.total_tokens = self.threads
            self._sized = limiter


async def _refuse(scope: Scope, send: Send) -> None:
    error = {"error": "overloaded", "message": "the hub is saturated; try again shortly"}
    if str(scope["path"]).startswith(TAXII_PREFIX):
        body, media = orjson.dumps(taxii.error_body(503, error)), taxii.TAXII_MEDIA_TYPE
    else:
        body, media = orjson.dumps(error), "application/json"
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", media.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
