"""Several worker processes for ``accord serve --workers N``, each on a listening socket of its
own, so that the kernel spreads connections over them.

uvicorn's own supervisor binds one socket that every worker accepts from. A worker that wakes
first accepts every connection waiting: a client opening its keep-alive connections at once
(a load balancer's pool, a benchmark) could find them all on one worker while the others idle
(3 of 15 phases measured, docs/benchmarks.md). Here the supervisor opens one socket per worker
on the same address with ``SO_REUSEPORT``; Linux then assigns each new connection to one of the
sockets by a hash of its addresses and ports, so connections spread over the workers whatever
their timing. The supervisor keeps the sockets open: a worker that died is started again on its
socket, and the connections the kernel gave that socket meanwhile wait in its backlog.

Where ``SO_REUSEPORT`` is missing (not Linux or BSD), uvicorn's own supervisor serves instead.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import socket
import threading
from multiprocessing.context import SpawnProcess
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger("uvicorn.error")

# How often the supervisor looks for workers that ended.
CHECK_SECONDS = 0.5
# How long a worker has to finish its requests once told to stop, before it is killed.
STOP_SECONDS = 30.0
multiprocessing.allow_connection_pickling()  # sockets handed to spawned workers


def reuse_port_available() -> bool:
    """Whether this platform can give each worker a socket of its own on one address."""
    return hasattr(socket, "SO_REUSEPORT")


def listening(host: str, port: int, backlog: int) -> socket.socket:
    """A socket listening on (``host``, ``port``) that other sockets may share (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _work(config: uvicorn.Config, sock: socket.socket) -> None:
    """A worker: one uvicorn server on its own socket (in a spawned process)."""
    config.configure_logging()
    # The supervisor stops it with SIGTERM, which uvicorn handles as a graceful shutdown;
    # Ctrl-C reaches the whole process group and is the supervisor's to act on.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])


class Supervisor:
    """Runs ``workers`` uvicorn servers of ``config``, each on a socket of its own, until
    SIGINT or SIGTERM; a worker that exits is started again on the same socket."""

    def __init__(self, config: uvicorn.Config, workers: int) -> None:
        self.config = config
        self.sockets = [listening(config.host, config.port, config.backlog) for _ in range(workers)]
        self.processes: list[SpawnProcess] = []
        self.stopping = threading.Event()
        self._context = multiprocessing.get_context("spawn")  # no fork of a running process

    @property
    def port(self) -> int:
        """The port the workers listen on (the one asked for, or the one given for 0)."""
        return int(self.sockets[0].getsockname()[1])

    def _start(self, sock: socket.socket) -> SpawnProcess:
        process = self._context.Process(
            target=_work, args=(self.config, sock), name="accord-web", daemon=False
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
        try:
            self.processes = [self._start(sock) for sock in self.sockets]
            while not self.stopping.wait(CHECK_SECONDS):
                code = self._restart_ended()
                if code:
                    break
        finally:
            self._stop_all()
            for sock in self.sockets:
                sock.close()
        return code

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
            self.processes[index] = self._start(self.sockets[index])
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
