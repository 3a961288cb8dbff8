"""Several worker processes for ``accord serve --workers N``: the supervisor accepts every
connection and hands it to the worker holding the fewest open connections.

uvicorn's own supervisor binds one socket that every worker accepts from: a worker that wakes
first accepts every connection waiting, so a client opening its keep-alive connections at once
(a load balancer's pool, a benchmark) could find them all on one worker. A listening socket
per worker (``SO_REUSEPORT``, tried before this) lets the kernel pick one by a hash of each
connection's ports: 16 connections split 8/8 to 12/4, and the rate followed the worse split
(docs/benchmarks.md). Here the supervisor owns the one listening socket, accepts, and passes
each connection over a Unix socket pair to the worker with the fewest open connections
(``accord.web.handoff``, where the workers' side is). It works once per connection, not per
request.

A worker that exits is started again; what was handed to it and not yet read is handed again
to the others. Where the platform cannot pass sockets this way, uvicorn's own supervisor
serves instead.
"""

from __future__ import annotations

import errno
import logging
import multiprocessing
import selectors
import signal
import socket
import threading
import time
from multiprocessing.context import SpawnProcess
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from accord.web import handoff

log = logging.getLogger("uvicorn.error")

# How often the supervisor looks for workers that ended, at the longest.
CHECK_SECONDS = 0.5
# How long a worker has to finish its requests once told to stop, before it is killed.
STOP_SECONDS = 30.0
# Connections accepted at one wake-up, at most, before looking at the workers again.
ACCEPT_BATCH = 256
multiprocessing.allow_connection_pickling()  # sockets handed to spawned workers


def handoff_available() -> bool:
    """Whether this platform lets the supervisor hand accepted connections to its workers."""
    return handoff.available()


def listening(host: str, port: int, backlog: int) -> socket.socket:
    """The socket listening on (``host``, ``port``) that the supervisor accepts from."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class Supervisor:
    """Runs ``workers`` uvicorn servers of ``config`` fed with the connections it accepts,
    until SIGINT or SIGTERM; a worker that exits is started again."""

    def __init__(self, config: uvicorn.Config, workers: int) -> None:
        self.config = config
        self.listener = listening(config.host, config.port, config.backlog)
        self._context = multiprocessing.get_context("spawn")  # no fork of a running process
        self.channels = [handoff.channel() for _ in range(workers)]
        self.tally = handoff.Tally(self._context, workers)
        self.handed = [0] * workers  # connections handed to each worker's present process
        self.processes: list[SpawnProcess] = []
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        """The port the supervisor listens on (the one asked for, or the one given for 0)."""
        return int(self.listener.getsockname()[1])

    def open_connections(self, index: int) -> int:
        """Connections handed to worker ``index`` that have not ended (read or not yet)."""
        return self.handed[index] - int(self.tally.ended[index])

    def _start(self, index: int) -> SpawnProcess:
        self.tally.reset(index)
        self.handed[index] = 0
        process = self._context.Process(
            target=handoff.work,
            args=(self.config, self.channels[index][1], self.tally, index),
            name="accord-web",
            daemon=False,
        )
        process.start()
        log.info("Started worker process [%s]", process.pid)
        return process

    def _stop_on(self, signum: int, _frame: FrameType | None) -> None:
        log.info("Received %s, stopping the workers.", signal.Signals(signum).name)
        self.stopping.set()

    def run(self) -> int:
        """Serve until asked to stop; the exit code (non-zero if a worker cannot start)."""
        for name in ("SIGINT", "SIGTERM"):
            signal.signal(getattr(signal, name), self._stop_on)
        code = 0
        selector = selectors.DefaultSelector()
        try:
            self.processes = [self._start(index) for index in range(len(self.channels))]
            # Connections wait in the backlog until every worker takes them, so that the
            # first ones (a client's pool opened at start) spread like the later ones.
            while not self.stopping.is_set() and not all(self.tally.ready):
                code = self._restart_ended()
                if code:
                    return code
                self.stopping.wait(0.05)
            selector.register(self.listener, selectors.EVENT_READ)
            while not self.stopping.is_set():
                if selector.select(CHECK_SECONDS):
                    self._accept()
                code = self._restart_ended()
                if code:
                    break
        finally:
            selector.close()
            self.listener.close()  # no more connections: those in the backlog are refused
            self._stop_all()
            for ends in self.channels:
                for end in ends:
                    end.close()
        return code

    def _accept(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                connection, _address = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno == errno.ECONNABORTED:  # the client gave up while it waited
                    continue
                # Out of descriptors (EMFILE, ENFILE) or memory: the connection stays in the
                # backlog; wait a little rather than spin on it.
                log.error("Cannot accept a connection: %s", exc)
                time.sleep(0.1)
                return
            self._hand(connection)

    def _hand(self, connection: socket.socket) -> None:
        """Pass ``connection`` to the worker with the fewest open connections (preferring
        those taking connections now over one starting), then close the supervisor's copy."""
        order = sorted(
            range(len(self.channels)),
            key=lambda i: (not self.tally.ready[i], self.open_connections(i), i),
        )
        try:
            for index in order:
                try:
                    socket.send_fds(self.channels[index][0], [b"c"], [connection.fileno()])
                except (BlockingIOError, InterruptedError):
                    continue  # that worker has a full queue unread: try the next one
                except OSError as exc:
                    # Too many descriptors in flight unread (ETOOMANYREFS), no buffers: this
                    # connection only, never the supervisor (it would stop every worker).
                    log.warning("Cannot hand a connection to a worker: %s", exc)
                    continue
                self.handed[index] += 1
                return
            log.error("Every worker has a full queue of connections unread; one refused.")
        finally:
            connection.close()

    def _unread(self, index: int) -> list[socket.socket]:
        """What was handed to worker ``index`` (now exited) and not read by it."""
        left: list[socket.socket] = []
        while True:
            try:
                _message, fds, _flags, _address = socket.recv_fds(self.channels[index][1], 1, 1)
            except (BlockingIOError, InterruptedError):
                return left
            left.extend(socket.socket(fileno=fd) for fd in fds)

    def _restart_ended(self) -> int:
        for index, process in enumerate(self.processes):
            if process.is_alive():
                continue
            if process.exitcode == STARTUP_FAILURE:
                # The app cannot start (settings, database): every restart would fail alike.
                log.error("Worker process [%s] failed to start; stopping.", process.pid)
                return STARTUP_FAILURE
            log.warning("Worker process [%s] ended (%s); starting another.", process.pid,
                        process.exitcode)  # fmt: skip
            unread = self._unread(index)
            self.processes[index] = self._start(index)
            for connection in unread:
                self._hand(connection)
        return 0

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in progress
        for process in self.processes:
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()
