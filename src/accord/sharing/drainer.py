"""The queue's drainer: the process that stores queued envelopes, and its watch.

See ``accord.sharing.queue`` for what the drainer guarantees. This module is how a web process
runs it: started with the first queued envelope (or at start-up if entries wait), woken through
a pipe, started again by a thread of the web process when found dead with entries waiting, and
stopped at shutdown.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess

from sqlalchemy import event

from accord.background import Every
from accord.config import Settings
from accord.db import DRAINER_CONNECTIONS, make_engine, make_sessionmaker
from accord.sharing.queue import Queue, drain, writer_cache

log = logging.getLogger(__name__)

# How often the drainer looks for entries other web processes queued (its own wake it).
QUEUE_POLL_SECONDS = 0.5
# How often a web process checks that its drainer runs while entries wait.
WATCH_SECONDS = 2.0
# A drain that failed is tried again after a pause doubling from the poll's up to this; a
# drainer that died soon after its start is started again after one doubling from the
# watch's up to the other. A failure that lasts (a poisoned entry, a database down) then
# costs a try a minute, not a log line and a process start every two seconds.
DRAIN_BACKOFF_MAX_SECONDS = 60.0
RESTART_BACKOFF_MAX_SECONDS = 300.0
# A drainer that lived this long before it died is started again at once.
HEALTHY_SECONDS = 60.0
# How long a web process starting its drainer waits for it to be ready before it serves: a new
# interpreter importing the hub takes about a second, several on a loaded machine, and an
# envelope posted meanwhile waited for it. Past this the web process serves anyway.
READY_SECONDS = 30.0


def backoff(failures: int, *, first: float, most: float) -> float:
    """Seconds to wait after ``failures`` failures in a row: ``first``, doubled each time."""
    return 0.0 if failures <= 0 else min(first * 2 ** (failures - 1), most)


class Drainer:
    """The queue's drainer: a process of its own, so that storing a batch and checking the next
    envelopes run on two cores (threads of one process would share its interpreter lock, and
    the storing thread would wait for it at every row SQLite inserts: slower than no queue).

    A web process starts it with its first queued envelope (or at start-up, if entries wait)
    and stops it at shutdown; it also ends when the web process that started it is gone.
    Several web processes each have one; they take turns through the hub's write lock.
    While the web process lives, a thread of it (:meth:`watch`) starts the drainer again if it
    died (killed, out of memory) with entries waiting: acknowledged envelopes would otherwise
    wait for the next large envelope or a restart.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._process: SpawnProcess | None = None
        # The write end of the running drainer's pipe. A pipe, not a multiprocessing.Event: a
        # drainer killed while it waited on an Event leaves the Event's shared lock and
        # counters as they were, and the next set() waited forever, in a request's thread.
        self._signals: Connection | None = None
        # The read end of the running drainer's "ready" pipe (one byte once it can drain).
        self._ready: Connection | None = None
        self._ready_seen = False  # its byte was read: later waits answer at once
        self._stopping = False
        self._starting = threading.Lock()
        self._watcher: Every | None = None
        # Restarts after early deaths in a row, and when the next start may be (monotonic).
        self._early_deaths = 0
        self._started_at = 0.0
        self._not_before: float | None = None

    def watch(self, waiting: Queue, *, seconds: float = WATCH_SECONDS) -> None:
        """Start the drainer now if entries wait, and every ``seconds`` again if it is not
        running while some do (entries other web processes queued included)."""
        self.revive(waiting)
        self._watcher = Every(
            lambda: self.revive(waiting),
            seconds=seconds,
            name="accord-queue-watch",
            failure="checking the TAXII queue's drainer failed; checking again",
        )
        self._watcher.start()

    def revive(self, waiting: Queue) -> bool:
        """Start the drainer if it is not running and entries wait; whether it did."""
        if self._stopping or self.running():
            return False
        if not waiting.backlog():
            return False
        if not self._may_start():
            return False
        if self._process is not None:
            log.warning(
                "the TAXII queue's drainer ended (exit code %s) with entries waiting; restarting",
                self._process.exitcode,
            )
        self.wake()
        return True

    def _may_start(self) -> bool:
        """Whether a (re)start is due: at once the first time, or after a drainer that lived
        long; after a doubling pause when it keeps dying soon after its start."""
        if self._process is None or self._process.is_alive():
            return True
        now = time.monotonic()
        if self._not_before is None:  # this death, seen for the first time
            lived = now - self._started_at
            self._early_deaths = 0 if lived >= HEALTHY_SECONDS else self._early_deaths + 1
            pause = backoff(
                self._early_deaths, first=WATCH_SECONDS, most=RESTART_BACKOFF_MAX_SECONDS
            )
            self._not_before = now + pause
            if pause:
                log.warning(
                    "the TAXII queue's drainer died %s time(s) in a row soon after its start "
                    "(exit code %s); starting it again in %.0f s",
                    self._early_deaths,
                    self._process.exitcode,
                    pause,
                )
        return now >= self._not_before

    def running(self) -> bool:
        """Whether the drainer process is alive."""
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        """The drainer process's id, while it has one (tests)."""
        return None if self._process is None else self._process.pid

    def wake(self) -> None:
        """Have the drainer look at the queue now, starting it if it is not running."""
        with self._starting:
            if self._stopping:
                return
            if self._process is None or not self._process.is_alive():
                if not self._may_start():
                    return  # dying again and again: the watch starts it after its pause
                self._start()
            assert self._signals is not None
            # Never waits: a full pipe holds wakes enough; a dead drainer's is closed.
            with contextlib.suppress(OSError):
                self._signals.send_bytes(b"w")

    def wait_ready(self, seconds: float = READY_SECONDS) -> bool:
        """Wait until the drainer started last can drain (its imports and database connection
        made), at most ``seconds``; whether it is ready."""
        if self._ready_seen:
            return True
        ready = self._ready
        if ready is None:
            return False
        try:
            # poll() is also true at the end of the pipe: a drainer that died starting closed
            # it unwritten. Only the byte itself says ready.
            if not ready.poll(seconds):
                return False
            ready.recv_bytes()
        except (EOFError, OSError):
            return False  # it died starting; the watch starts it again
        self._ready_seen = True
        return True

    def _start(self) -> None:
        reader, writer = self._context.Pipe(duplex=False)
        os.set_blocking(writer.fileno(), False)
        ready_reader, ready_writer = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_drain_until_stopped,
            args=(self._settings, reader, os.getpid(), ready_writer),
            name="accord-queue",
            daemon=True,
        )
        process.start()
        reader.close()  # the drainer has its own
        ready_writer.close()
        if self._signals is not None:
            self._signals.close()
        if self._ready is not None:
            self._ready.close()
        self._process, self._signals, self._ready = process, writer, ready_reader
        self._ready_seen = False
        self._started_at, self._not_before = time.monotonic(), None

    def stop(self) -> None:
        """Stop after the batch in progress; what still waits is stored at the next start."""
        with self._starting:
            self._stopping = True  # first: the watcher's last run must not start it again
            if self._signals is not None:
                self._signals.close()  # the drainer reads the end of its pipe as "stop"
                self._signals = None
        if self._watcher is not None:
            self._watcher.stop()
        if self._process is not None:
            self._process.join(timeout=60)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(timeout=10)


def _drain_until_stopped(
    settings: Settings, signals: Connection, parent: int, ready: Connection | None = None
) -> None:
    # Two connections, not a web process's pool: on PostgreSQL every process's count against
    # max_connections (accord.db.check_connection_budget).
    engine = make_engine(settings, connections=DRAINER_CONNECTIONS)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", writer_cache)
    waiting = Queue.for_hub(settings, engine)
    sessions = make_sessionmaker(engine)
    gc.collect()
    gc.freeze()  # what start-up built is never garbage: out of every collection's way
    if ready is not None:
        with contextlib.suppress(OSError):  # a web process gone meanwhile: the loop ends
            ready.send_bytes(b"r")
        ready.close()
    stopping = False
    failures = 0
    resume = 0.0  # no drain before this (monotonic): the pause after a failure
    while not stopping and os.getppid() == parent:
        paused = resume - time.monotonic()
        signals.poll(min(QUEUE_POLL_SECONDS, paused) if paused > 0 else QUEUE_POLL_SECONDS)
        stopping = _stop_asked(signals)  # wakes are read, and wait with the pause
        if stopping or time.monotonic() < resume:
            continue
        try:
            while not stopping and drain(
                waiting, sessions, limit=settings.taxii_queue_batch_objects
            ):
                stopping = _stop_asked(signals)
            failures = 0
        except Exception:
            failures += 1
            pause = backoff(failures, first=QUEUE_POLL_SECONDS, most=DRAIN_BACKOFF_MAX_SECONDS)
            resume = time.monotonic() + pause
            log.exception(
                "storing queued TAXII envelopes failed (%s in a row); trying again in %.1f s",
                failures,
                pause,
            )
    engine.dispose()


def _stop_asked(signals: Connection) -> bool:
    """Read the wakes waiting in the pipe; whether the web process closed it (stop)."""
    try:
        while signals.poll(0):
            signals.recv_bytes()
    except (EOFError, OSError):
        return True
    return False
