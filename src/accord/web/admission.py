"""Admission control: a bounded number of requests in flight per process, never a collapse.

Without a bound, every request a client opens is let in at once: a thousand of them share the
process's threads and database connections, each one slower than alone, until they all time
out together and the hub answers nothing (it took minutes to recover). Here at most
``max_requests_in_flight`` reads and ``max_writes_in_flight`` other requests are served at
once; the next wait their turn, first come first served, in a line of at most
``max_requests_queued`` for at most ``request_queue_seconds``; past either bound a request is
answered 503 with Retry-After at once. So is a request whose wait would outlast
``request_wait_budget_seconds``, judged from the line ahead of it and its recent pace (why,
and the bound on a stalled line, in :mod:`accord.web.gate`). Writers have their own slots and
line: on SQLite they take turns on one writer (``accord.db.WriteTurn``), and while waiting in
the readers' slots they held the reads back; there the readers' lane narrows while writers
wait in theirs (:meth:`accord.web.gate.Gate.give_way`).
The database pool and the worker threads are sized from the same
numbers (``Settings.worker_threads``, ``Settings.db_pool_size``), so that a request let in
never waits for either.

A slot is held only while the hub works. A request's body is received before it takes one
(within ``request_body_seconds``, else 408, and within ``max_request_bytes``): a client sending
a byte at a time held a slot for minutes, and four of them stopped every write. A slot is
given up as the answer's last part is handed to the server, or once a part has waited
``request_body_seconds`` (up to a quarter more: :class:`Watch`) for a client that does not
read it.

Whether a request is a read or a write is the route's (:mod:`accord.web.admission_classes`):
admission leaves the answer in the scope, and the request's session follows it.

``/healthz`` has a small lane of its own, beside the line: a load balancer's probe is answered
while the hub is saturated, and says so only if the database does not answer.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping

import anyio.to_thread
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.config import RESERVED_CONNECTIONS, Settings
from accord.errors import Message as Said
from accord.sharing import taxii
from accord.web.admission_classes import Classes, reads, route_reads, writes
from accord.web.backoff import Backoff
from accord.web.deps import ADMITTED_AS_READ, TAXII_PREFIX
from accord.web.gate import Gate
from accord.web.refusals import SATURATED, TOO_SLOW, spoken
from accord.web.security import BodyLimit, body_limit

# The routes mark themselves with ``reads`` and ``writes`` from here, and the tests reach the
# gate and the classes through this module, as they did before those had modules of their own.
__all__ = ["Admission", "Classes", "Gate", "reads", "route_reads", "writes"]

HEALTH_PATHS = frozenset({"/healthz"})


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
        # The Retry-After of each refusal: longer while many are refused (accord.web.backoff).
        self.backoff = Backoff()
        self._sized: object | None = None
        # The event loop whose limiter was sized, and its watch of the parts being sent: one
        # pair, written and read at once, so that a request on one loop never gets another
        # loop's watch (two attributes, written apart, did when two loops' threads raced).
        self._on: tuple[object, Watch | None] = (None, None)
        self._classes: Classes | None = None
        # What an admitted request is handed to. Its body was received here, whole and
        # within the same limit as the body limit's behind (``BodyLimit``: the same bytes
        # and larger paths), or it has none: that limit's counting of each part and its
        # wrapping of the answer's sends would find nothing more, and it is passed by. A
        # request over the limit still goes to it, unread, for its 413.
        self.admitted = app
        if isinstance(app, BodyLimit) and (app.default_bytes, app.larger) == (
            self.max_bytes,
            self.larger,
        ):
            self.admitted = app.app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watch = self._size_threads()
        if scope["path"] in HEALTH_PATHS:
            gate, seconds = self.health, 0.0
        else:
            reads = self._classify(scope).reads(scope["method"], scope["path"])
            scope[ADMITTED_AS_READ] = reads
            gate, seconds = (self.gate if reads else self.writes), self.seconds
        declared = _declared_length(scope)
        # A request without a body takes a free place at once (``refuses`` then ``enter``
        # with nothing awaited between: the same answer); any other is judged first.
        held = declared == 0 and gate.take()
        if not held and gate.refuses(seconds):  # before anything of the request is read
            await _refuse(scope, send, self.backoff.retry_after())
            return
        if declared != 0:
            limit = body_limit(scope["path"], self.max_bytes, self.larger)
            if declared is not None and declared > limit:
                await self.app(scope, receive, send)  # refused 413 unread (BodyLimit), no slot
                return
            if self.receiving >= self.max_receiving:
                await _refuse(scope, send, self.backoff.retry_after())
                return
            self.receiving += 1
            try:
                received = await self._receive_body(receive, limit, watch)
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
        if not held and not await gate.enter(seconds):
            await _refuse(scope, send, self.backoff.retry_after())
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
                # A client that does not read its answer holds no slot: past
                # ``client_seconds`` the loop's watch gives it up while the part is still
                # being sent. A watch rather than the send in a task of its own under
                # ``wait_for``: that cost every answer a task, a shield and a timeout, a sixth
                # of the hub's whole stack on a small answer; and rather than a timer a part,
                # which under uvloop cost an answer as much as FastAPI's dependency stacks
                # (docs/benchmarks.md, "Matched once").
                part = watch.add(release)
                try:
                    await send(message)
                finally:
                    watch.done(part)

        # Past the body limit only when this read the whole body within it, or when the
        # request has none: HTTP/1 without Content-Length or Transfer-Encoding has no body
        # (RFC 9112, 6.3). Any other request (an HTTP/2 stream of undeclared length) is
        # counted by ``BodyLimit`` as it is read.
        bodiless = declared == 0 and scope.get("http_version") in _NO_BODY_WITHOUT_LENGTH
        inner = self.admitted if declared != 0 or bodiless else self.app
        try:
            await inner(scope, receive, handing_send)
        finally:
            release()

    async def _receive_body(
        self, receive: Receive, limit: int, watch: Watch
    ) -> tuple[list[Message], bool] | None:
        """The request body's messages, received within ``client_seconds`` (None past it, up
        to a quarter more: the loop's watch), and whether it ended within ``limit`` bytes
        (else reading stopped past them).

        Timed by the watch as ``asyncio.timeout`` times (the task cancelled, the cancellation
        taken back and told from any other), without its timer a request: under uvloop
        ``asyncio.timeout`` cost each request with a body about 20 µs (docs/benchmarks.md,
        "Matched once")."""
        parts: list[Message] = []
        size = 0
        task = asyncio.current_task()
        assert task is not None  # an ASGI request runs in a task
        cancelling = task.cancelling()
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        waiting = watch.add(expire)
        try:
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
        except asyncio.CancelledError:
            if expired and task.uncancel() <= cancelling:
                return None
            raise
        finally:
            watch.done(waiting)

    def _classify(self, scope: Scope) -> Classes:
        if self._classes is None:
            app = scope.get("app")
            state = getattr(app, "state", None)
            self._classes = Classes(getattr(state, "routers", None) or ())
        return self._classes

    def _size_threads(self) -> Watch:
        """Size the event loop's thread pool, once a loop; the loop's :class:`Watch`."""
        # The thread pool of sync routes and ``run_in_threadpool`` is anyio's default limiter,
        # one per event loop (40 threads unless told). One thread per admitted request and the
        # reserve's: a request that holds a connection always finds a thread to go on with.
        # Looked up once per event loop (the limiter is the loop's): anyio's look-up costs
        # more than the rest of admission.
        loop = asyncio.get_running_loop()
        on, watch = self._on
        if on is loop and watch is not None:
            return watch
        limiter = anyio.to_thread.current_default_thread_limiter()
        if limiter is not self._sized:
            limiter.total_tokens = self.threads
            self._sized = limiter
        # Parts sent on another loop stay with that loop's watch, which their sends hold.
        watch = Watch(loop, self.client_seconds)
        self._on = (loop, watch)
        return watch


class Watch:
    """Parts of answers being sent on one event loop, each given up (its slot released) once
    it has waited ``seconds`` for its client, looked at by one timer every quarter of that.

    A part's slot is so given up between ``seconds`` and a quarter more after its send began.
    A timer of its own for every part cost each answer under uvloop (a libuv timer made,
    started, stopped and closed) about 10 µs: as much as FastAPI's two dependency stacks."""

    def __init__(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        self.loop = loop
        self.seconds = seconds
        self.tick = seconds / 4
        self.parts: dict[int, tuple[float, Callable[[], None]]] = {}
        self.timer: asyncio.TimerHandle | None = None
        self._count = 0

    def add(self, release: Callable[[], None]) -> int:
        """Watch a part being sent: ``release`` is called if it is still sending past
        ``seconds``. The part's key, for :meth:`done`."""
        self._count += 1
        part = self._count
        self.parts[part] = (self.loop.time() + self.seconds, release)
        if self.timer is None:
            self.timer = self.loop.call_later(self.tick, self._look)
        return part

    def done(self, part: int) -> None:
        """The part is sent (or its send failed): no longer watched."""
        self.parts.pop(part, None)

    def _look(self) -> None:
        self.timer = None
        now = self.loop.time()
        for part in [p for p, (until, _) in self.parts.items() if until <= now]:
            _, release = self.parts.pop(part)
            release()
        if self.parts:
            self.timer = self.loop.call_later(self.tick, self._look)


# HTTP versions whose requests without a declared length have no body.
_NO_BODY_WITHOUT_LENGTH = frozenset({"1.0", "1.1"})


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
    message, named = spoken(scope, Said(TOO_SLOW, seconds=f"{seconds:g}"))
    error = {"error": "request_timeout", "message": message}
    await _answer(scope, send, 408, error, [(b"connection", b"close"), *named])


# A refusal's answer, made once per language asked and kind of route: under an overload the
# loop refuses hundreds of requests a second, and saying and encoding each one again was half
# of a refusal's time in the application (about 75 of 140 us profiled, docs/benchmarks.md).
# Bounded: the key is the client's Accept-Language as sent.
_REFUSALS: dict[tuple[bytes | None, bool], tuple[bytes, list[tuple[bytes, bytes]]]] = {}
MAX_KEPT_REFUSALS = 64


async def _refuse(scope: Scope, send: Send, retry_after: int) -> None:
    asked = next((v for n, v in scope.get("headers", ()) if n == b"accept-language"), None)
    key = (asked, str(scope["path"]).startswith(TAXII_PREFIX))
    kept = _REFUSALS.get(key)
    if kept is None:
        message, named = spoken(scope, Said(SATURATED))
        body, headers = _encoded(scope, 503, {"error": "overloaded", "message": message})
        kept = body, [*headers, *named]
        if len(_REFUSALS) >= MAX_KEPT_REFUSALS:
            _REFUSALS.clear()
        _REFUSALS[key] = kept
    body, headers = kept
    retry = (b"retry-after", str(retry_after).encode())
    await send({"type": "http.response.start", "status": 503, "headers": [*headers, retry]})
    await send({"type": "http.response.body", "body": body})


def _encoded(
    scope: Scope, status: int, error: dict[str, str]
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The error's body, as the API or TAXII says it, with its type and length."""
    if str(scope["path"]).startswith(TAXII_PREFIX):
        body, media = orjson.dumps(taxii.error_body(status, error)), taxii.TAXII_MEDIA_TYPE
    else:
        body, media = orjson.dumps(error), "application/json"
    return body, [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode())]


async def _answer(
    scope: Scope,
    send: Send,
    status: int,
    error: dict[str, str],
    extra: list[tuple[bytes, bytes]],
) -> None:
    body, headers = _encoded(scope, status, error)
    await send({"type": "http.response.start", "status": status, "headers": [*headers, *extra]})
    await send({"type": "http.response.body", "body": body})
