"""A gate: at most so many holders at once, and a first-come line whose wait is bounded.

The line is bounded twice: by its length, and by the wait it promises. A request joining it
is refused at once when the places ahead of it, at the pace at which places were given up of
late, would outlast the budget: 200 clients writing at once on SQLite otherwise waited four
seconds each in a line that moved at the writer's pace, where a refusal tells them at once to
come back. One that has waited ``LINE_OVERRUN`` times the budget (a holder stalled the line)
is refused then. :class:`accord.web.admission.Admission` keeps one gate for reads, one for
writes and a small one for the health probe.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque

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

    def take(self) -> bool:
        """Take a place if one is free with no one in line (what :meth:`enter` does first),
        without waiting; False otherwise, having changed nothing."""
        if self.active < self.open_places() and not self._line:
            self.active += 1
            return True
        return False

    async def enter(self, seconds: float) -> bool:
        """Take a place, waiting in line up to ``seconds``; False if refused or timed out."""
        if self.take():
            return True
        if self._full(seconds):
            return False
        turn = asyncio.get_running_loop().create_future()
        self._line.append(turn)
        ahead = len(self._line)
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.longest_wait(seconds)):
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

    def longest_wait(self, seconds: float) -> float:
        """The longest a request let in line waits for its place (``seconds`` at most), before
        it is refused after all: ``LINE_OVERRUN`` times the budget."""
        return min(seconds, self.budget * LINE_OVERRUN)

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
        if self._line:
            now = time.monotonic()
            if self._left is not None:
                gap = now - self._left
                self.gap = gap if self._paced == 0 else self.gap + PACE_WEIGHT * (gap - self.gap)
                self._paced += 1
            self._left = now
        else:
            self._left = None
        if not self._line and not self._held_back:
            self.active -= 1  # what follows, with no one in line here or held back
            return
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
