"""Large look-ups answered by several processes: the request's thread answers one slice of the
values while warm helper processes answer the others.

A look-up's cost is Python's, a value at a time (classifying, keys, decoding and scoring hits,
JSON): one interpreter answers 10,000 values in about 150 ms on this hub's bench, however its
statements are written (docs/benchmarks.md). Each value's answer depends only on the value,
the reader, ``now`` and ``include_expired``, so contiguous slices answered apart and their
JSON arrays' elements put back in order are the whole answer's JSON, byte for byte.

Authorization is the request's: the policy is asked before anything, in this process, and
every slice is answered by the same :func:`accord.sharing.indicators.answer` for the same
:class:`~accord.sharing.readers.Reader` (pickled whole: its organizations, groups and
audiences as the request read them), ``now`` and ``include_expired``. A helper reads in a
read-only transaction of its own, so a slice may see a later snapshot than another; nothing
can leak through that, because every row is filtered in the snapshot it is read in: the
collections the reader may read are read again in that transaction
(``readable_collection_ids``), and the hits' and sightings' statements apply the TLP and
collection filters to the very rows they return. A slice answers as a look-up begun a moment
later would, never with a row its own snapshot would refuse the reader.

The helpers are ``spawn``ed (never a fork of a threaded server), started with the first
large look-up (answered in this process meanwhile) and warmed before they take work: engine
connected, warninglist matcher built, statements compiled. A helper that dies, errs or does
not answer in time leaves the look-up to this process (the whole look-up, never a part of
it) and is started again. A look-up takes the helpers idle at that moment; while others use
them, it answers alone.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import socket
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess

from sqlalchemy.orm import Session

from accord import jsonio
from accord.clock import utcnow
from accord.config import Settings
from accord.identity.policy import Action, authorize
from accord.sharing import indicators
from accord.sharing.lookup_helper import CPU, OK, READY, elements, serve
from accord.sharing.readers import Reader

log = logging.getLogger(__name__)

# How long a look-up waits for a helper's slice before answering in this process (the slice
# takes well under a second; a helper stopped or looping is killed and started again).
ANSWER_SECONDS = 10.0
# A helper slot is started again at most this often (a helper failing at its start, the
# database unreachable, costs a process start every few seconds, not one a look-up).
RESTART_SECONDS = 5.0
# The room asked for in each pipe's socket (see ``_widen``).
PIPE_BYTES = 8 * 1024 * 1024


class _Helper:
    """One helper process and this end of its pipe; used by one look-up at a time."""

    def __init__(self, process: SpawnProcess, pipe: Connection) -> None:
        self.process = process
        self.pipe = pipe
        self.ready = False
        self.busy = False
        self.asked = 0  # requests sent, each numbered

    def poll_ready(self) -> bool:
        """Whether the helper is warm (reads its "ready" byte once it is)."""
        try:
            if not self.ready and self.pipe.poll(0):
                self.ready = self.pipe.recv_bytes() == READY
        except (OSError, EOFError):
            return False  # it died warming up: found dead at the next look-up, started again
        return self.ready

    def stop(self, *, kill: bool = False) -> None:
        """End the helper: closing the pipe ends its loop; a helper that does not, killed."""
        with contextlib.suppress(OSError):
            self.pipe.close()
        if kill:
            self.process.kill()
        self.process.join(timeout=0 if kill else 2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=2)


class LookupPool:
    """The helper processes of one web process and how a look-up shares its values out."""

    def __init__(self, settings: Settings, *, answer_seconds: float = ANSWER_SECONDS) -> None:
        self._settings = settings
        self._split = settings.lookup_split_values
        self._count = settings.lookup_helper_processes
        self._answer_seconds = answer_seconds
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._slots: list[_Helper | None] = [None] * self._count
        self._not_before = [0.0] * self._count
        self._starting: set[int] = set()
        self._generation = 0

    def answer_json(
        self,
        db: Session,
        *,
        reader: Reader,
        values: Iterable[str],
        include_expired: bool = False,
        now: datetime | None = None,
        helper_cpu: list[float] | None = None,
    ) -> bytes:
        """``jsonio.dumps(indicators.answer(...))``, byte for byte, slices of a large look-up
        answered by the helpers; ``helper_cpu``, if given, gets each helper's CPU seconds."""
        authorize(reader.actor, Action.SHARING_READ)
        now = now or utcnow()
        values = values if isinstance(values, list) else list(values)
        taken = self._take(len(values)) if len(values) >= self._split else []
        try:
            found = self._shared(db, taken, reader, values, include_expired, now, helper_cpu)
        finally:
            self._give_back(taken)
        if found is not None:
            return found
        whole = indicators.answer(
            db, reader=reader, values=values, include_expired=include_expired, now=now
        )
        return jsonio.dumps(whole)

    def _shared(
        self,
        db: Session,
        taken: list[_Helper],
        reader: Reader,
        values: list[str],
        include_expired: bool,
        now: datetime,
        helper_cpu: list[float] | None,
    ) -> bytes | None:
        """The answer with ``taken`` helpers answering all slices but the first; None if
        there are none or one failed (the caller then answers the whole look-up)."""
        if not taken:
            return None
        cuts = _cuts(len(values), len(taken) + 1)
        asked: list[_Helper] = []
        failed = False
        for helper, (start, end) in zip(taken, cuts[1:], strict=True):
            try:
                helper.asked += 1
                helper.pipe.send((helper.asked, reader, values[start:end], include_expired, now))
                asked.append(helper)
            except (OSError, ValueError):
                self._failed(helper, "could not be sent its slice")
                failed = True
                break
        own = None
        try:
            if not failed:
                start, end = cuts[0]
                mine = indicators.answer(
                    db, reader=reader, values=values[start:end],
                    include_expired=include_expired, now=now,
                )  # fmt: skip
                own = elements(mine)
        finally:
            # Every helper asked is read to its answer (or given up), this slice's error or
            # not: none is handed back with an answer waiting in its pipe for the next look-up.
            parts = [own, *(self._received(helper, helper_cpu) for helper in asked)]
        if any(part is None for part in parts):
            return None
        # The whole answer in one copy of its parts (views of the slices' bytes): joined and
        # then bracketed, it was copied three times (4 MB each, 0.4 to 3 ms measured).
        whole: list[bytes | memoryview] = [b"["]
        for part in parts:
            if part is not None:
                whole += (part, b",")
        whole[-1] = b"]"
        return b"".join(whole)

    def _received(self, helper: _Helper, helper_cpu: list[float] | None) -> memoryview | None:
        """A helper's slice (its JSON array's elements), or None if it failed."""
        try:
            if not helper.pipe.poll(self._answer_seconds):
                self._failed(helper, f"did not answer in {self._answer_seconds:g} s")
                return None
            reply = helper.pipe.recv_bytes()
        except (OSError, EOFError):
            self._failed(helper, "ended")
            return None
        if reply[:1] == OK and CPU.unpack_from(reply, 1)[0] != helper.asked:
            # Never another look-up's answer (each reply names the request it answers).
            self._failed(helper, "answered another request")
            return None
        if reply[:1] != OK:
            # An error the helper could not answer through (or JSON orjson will not write,
            # which ``jsonio`` writes otherwise: only a whole answer written here is sure to
            # be the same bytes). The helper itself is sound: it is kept.
            log.warning("a look-up helper failed: %s", reply[1:200].decode(errors="replace"))
            return None
        if helper_cpu is not None:
            helper_cpu.append(CPU.unpack_from(reply, 1)[1])
        return memoryview(reply)[1 + CPU.size :]

    def _take(self, values: int) -> list[_Helper]:
        """Idle warm helpers for a look-up of ``values`` values (at most one each but one),
        marked busy; helpers not running are started (they take work once warm)."""
        taken: list[_Helper] = []
        with self._lock:
            for index, helper in enumerate(self._slots):
                if helper is not None and not helper.busy and not helper.process.is_alive():
                    self._failed_locked(index, helper, "ended")
                    helper = None
                if helper is None:
                    self._start_soon_locked([index])
                    continue
                if len(taken) < values - 1 and not helper.busy and helper.poll_ready():
                    helper.busy = True
                    taken.append(helper)
        return taken

    def _give_back(self, taken: list[_Helper]) -> None:
        with self._lock:
            for helper in taken:
                helper.busy = False

    def _failed(self, helper: _Helper, why: str) -> None:
        with self._lock:
            if helper in self._slots:
                self._failed_locked(self._slots.index(helper), helper, why)

    def _failed_locked(self, index: int, helper: _Helper, why: str) -> None:
        """Kill a helper that failed and start another in its slot (when a start is due)."""
        log.warning("a look-up helper %s (exit code %s); starting another", why,
                    helper.process.exitcode)  # fmt: skip
        helper.stop(kill=True)
        self._slots[index] = None
        self._start_soon_locked([index])

    def _start_soon_locked(self, indices: list[int]) -> None:
        """Start helpers in these slots, in a thread of their own: a process's start takes
        some 12 ms (the new interpreter's warm-up, a second or more, is its own), which no
        look-up waits for. A slot is started at most once every ``RESTART_SECONDS``."""
        now = time.monotonic()
        due = [i for i in indices if i not in self._starting and now >= self._not_before[i]]
        if not due:
            return
        for index in due:
            self._starting.add(index)
            self._not_before[index] = now + RESTART_SECONDS
        threading.Thread(
            target=self._start_each, args=(due, self._generation), name="accord-lookup-start",
            daemon=True,
        ).start()  # fmt: skip

    def _start_each(self, indices: list[int], generation: int) -> None:
        for index in indices:
            try:
                helper = self._spawn()
            except Exception:
                log.exception("a look-up helper could not be started")
                with self._lock:
                    self._starting.discard(index)
                continue
            with self._lock:
                self._starting.discard(index)
                if generation == self._generation and self._slots[index] is None:
                    self._slots[index] = helper
                    continue
            helper.stop()  # the pool was stopped meanwhile

    def _spawn(self) -> _Helper:
        ours, theirs = self._context.Pipe(duplex=True)
        _widen(ours)
        _widen(theirs)
        process = self._context.Process(
            target=serve, args=(self._settings, theirs), name="accord-lookup", daemon=True
        )
        process.start()
        theirs.close()
        return _Helper(process, ours)

    def start(self) -> None:
        """Start every helper not running now (they warm themselves: see ``wait_ready``)."""
        with self._lock:
            for index, helper in enumerate(self._slots):
                if helper is None and index not in self._starting:
                    self._slots[index] = self._spawn()
                    self._not_before[index] = time.monotonic() + RESTART_SECONDS

    def wait_ready(self, seconds: float) -> bool:
        """Whether every helper is warm within ``seconds`` (for tests and benchmarks); those
        not running are started when a start is due."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self._lock:
                self._start_soon_locked([i for i, h in enumerate(self._slots) if h is None])
                if all(h is not None and (h.busy or h.poll_ready()) for h in self._slots):
                    return True
            time.sleep(0.02)
        return False

    def forget(self) -> None:
        """Have the idle helpers forget the ranges they keep (``lookup_ranges.clear``: for
        tests, whose emptied tables take the objects' version back)."""
        with self._lock:
            for helper in self._slots:
                if helper is not None and not helper.busy:
                    with contextlib.suppress(OSError, ValueError):
                        helper.pipe.send(None)

    def helper_pids(self) -> list[int]:
        """The running helpers' process ids."""
        with self._lock:
            return [h.process.pid for h in self._slots if h is not None and h.process.pid]

    def stop(self) -> None:
        """Stop every helper (at the web process's shutdown); a later look-up starts them."""
        with self._lock:
            helpers = [h for h in self._slots if h is not None]
            self._slots = [None] * self._count
            self._not_before = [0.0] * self._count
            self._generation += 1  # helpers being started now are stopped once started
        for helper in helpers:
            helper.stop()


def _widen(pipe: Connection) -> None:
    """Room in the pipe's socket for a whole slice's answer (some 2 MB of a look-up of 10,000
    values split in two), so that a helper writes it at once rather than in turns with the
    web process's reads, each a wait for a core on a busy machine (the kernel caps it at
    ``net.core.wmem_max``)."""
    with socket.socket(fileno=os.dup(pipe.fileno())) as end:
        end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, PIPE_BYTES)


def _cuts(total: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous slices of ``total`` items, as even as can be, in order."""
    size, extra = divmod(total, parts)
    cuts, start = [], 0
    for part in range(parts):
        end = start + size + (1 if part < extra else 0)
        cuts.append((start, end))
        start = end
    return cuts
