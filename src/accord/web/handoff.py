"""A worker's side of ``accord serve --workers N``: a uvicorn server whose connections the
supervisor accepted and handed over (``accord.web.workers``).

Each worker reads accepted sockets from its end of a Unix socket pair (``SCM_RIGHTS``, one
connection a message) and serves each with ``loop.connect_accepted_socket`` and uvicorn's own
HTTP protocol class, built as ``uvicorn.Server.startup`` builds it: HTTP parsing, keep-alive,
``limit_concurrency``, lifespan and graceful shutdown stay uvicorn's. The worker has no
listening socket.

What the supervisor needs to choose a worker, each worker writes in shared memory (a slot of a
``Tally``, written by that worker alone): how many of the connections handed to it have ended,
and whether it takes connections now. The supervisor counts what it handed; the difference is
the worker's open connections, right even for a burst the worker has not read yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from multiprocessing.context import SpawnContext
from typing import Any

import uvicorn

log = logging.getLogger("uvicorn.error")

# Connections read from the pair at one wake-up of the worker's loop, at most.
RECEIVE_BATCH = 64


def channel() -> tuple[socket.socket, socket.socket]:
    """A pair for handing connections to one worker: (the supervisor's end, the worker's).

    ``SOCK_SEQPACKET`` keeps each message whole (a worker killed while reading cannot leave
    half of one behind for the next) and tells the worker when the supervisor is gone."""
    ends = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for end in ends:
        end.setblocking(False)
    return ends


def available() -> bool:
    """Whether this platform can hand accepted connections to other processes this way."""
    if not hasattr(socket, "send_fds") or not hasattr(socket, "SOCK_SEQPACKET"):
        return False
    try:
        ends = channel()
    except OSError:
        return False
    for end in ends:
        end.close()
    return True


class Tally:
    """Per worker, in memory shared with it: connections ended, and whether it takes new ones."""

    def __init__(self, context: SpawnContext, workers: int) -> None:
        self.ended = context.RawArray("q", workers)
        self.ready = context.RawArray("b", workers)

    def reset(self, index: int) -> None:
        """A new worker in slot ``index`` (its predecessor has exited: no other writer)."""
        self.ended[index] = 0
        self.ready[index] = 0


class _Counted(set[Any]):
    """uvicorn's set of open connections (the protocols add and discard themselves here),
    telling the server of each change so that it publishes at once."""

    def __init__(self, changed: Any) -> None:
        super().__init__()
        self._changed = changed

    def add(self, item: Any) -> None:
        super().add(item)
        self._changed(item)

    def discard(self, item: Any) -> None:
        super().discard(item)
        self._changed(None)

    def remove(self, item: Any) -> None:
        super().remove(item)
        self._changed(None)


class HandedServer(uvicorn.Server):
    """A uvicorn server serving the connections that arrive over ``channel``."""

    def __init__(
        self, config: uvicorn.Config, channel: socket.socket, tally: Tally, index: int
    ) -> None:
        super().__init__(config)
        self.channel = channel
        self.tally = tally
        self.index = index
        # Ended = received - starting - open, each step keeping it right: a connection
        # received is starting until its protocol joins uvicorn's set (in the same step,
        # ``_changed``) or it fails first; then open until its protocol leaves the set.
        self.received = 0
        self._fresh: set[asyncio.Protocol] = set()  # made here, not yet in the set
        self._starting = 0
        self.server_state.connections = _Counted(self._changed)
        self._pending: set[asyncio.Task[None]] = set()
        self._reading = False

    def _publish(self) -> None:
        open_now = self._starting + len(self.server_state.connections)
        self.tally.ended[self.index] = self.received - open_now

    def _changed(self, added: Any) -> None:
        if added is not None and added in self._fresh:
            self._fresh.discard(added)
            self._starting -= 1
        self._publish()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        # No sockets of its own: uvicorn runs the lifespan and listens on nothing.
        await super().startup(sockets=[])
        loop = asyncio.get_running_loop()
        loop.add_reader(self.channel.fileno(), self._receive, loop)
        self._reading = True
        self.tally.ready[self.index] = 1
        log.info("Worker process [%d] takes connections.", os.getpid())

    def _protocol(self) -> asyncio.Protocol:
        # As uvicorn.Server.startup's create_protocol.
        made: asyncio.Protocol = self.config.http_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state
        )
        self._fresh.add(made)
        return made

    def _receive(self, loop: asyncio.AbstractEventLoop) -> None:
        for _ in range(RECEIVE_BATCH):
            try:
                message, fds, _flags, _address = socket.recv_fds(self.channel, 1, 1)
            except (BlockingIOError, InterruptedError):
                return
            if not message:
                # The supervisor is gone: nothing more will come, and nobody restarts us.
                log.warning("Worker process [%d]: the supervisor is gone; stopping.", os.getpid())
                self._stop_reading(loop)
                self.should_exit = True
                return
            self.received += 1
            if not fds:  # the descriptor did not fit (out of descriptors): it is lost
                self._publish()
                continue
            self._starting += 1
            task = loop.create_task(self._take(loop, socket.socket(fileno=fds[0])))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _take(self, loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
        made: list[asyncio.Protocol] = []

        def protocol() -> asyncio.Protocol:
            made.append(self._protocol())
            return made[-1]

        try:
            await loop.connect_accepted_socket(protocol, sock, ssl=self.config.ssl)
        except OSError as exc:  # reset before it began, a failed TLS handshake
            log.debug("A handed connection failed at start: %s", exc)
            sock.close()
        finally:
            if not made or made[0] in self._fresh:  # never joined uvicorn's set: it ended
                self._fresh.difference_update(made)
                self._starting -= 1
                self._publish()

    def _stop_reading(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._reading:
            loop.remove_reader(self.channel.fileno())
            self._reading = False

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Stop taking connections first; the supervisor hands what it still accepts elsewhere.
        self.tally.ready[self.index] = 0
        self._stop_reading(asyncio.get_running_loop())
        for task in list(self._pending):
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task
        await super().shutdown(sockets=[])


def work(config: uvicorn.Config, channel: socket.socket, tally: Tally, index: int) -> None:
    """A worker process: serve what the supervisor hands over until SIGTERM (spawned)."""
    config.configure_logging()
    # The supervisor stops it with SIGTERM, which uvicorn handles as a graceful shutdown;
    # Ctrl-C reaches the whole process group and is the supervisor's to act on.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(KeyboardInterrupt):
        HandedServer(config, channel, tally, index).run()
