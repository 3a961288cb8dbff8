"""How long a refused client is told to wait (Retry-After): longer the more were refused.

Every refusal costs the event loop a request parsed, an answer and an access-log line. With a
fixed Retry-After of one second, each client refused came back every second: at 1,000
connections the loop parsed and refused about 740 requests a second, and the answered
requests' p99 doubled with the lag (docs/benchmarks.md, "1,000 connections"). Here the clients
refused of late are counted, and the wait told to each is spread over one to ``spread``
seconds, ``spread`` chosen so that they come back at about ``per_second`` a second, up to
``longest``: they do not all return in the same second either. Once the refusals stop, the
wait is one second again.
"""

from __future__ import annotations

import math
import time
from collections import deque

# The least a refused client is told to wait: the line moves in milliseconds, and a client
# that honours it comes back once the burst that filled the line has been served.
RETRY_AFTER_SECONDS = 1
# Refusals a second the loop is left with under a sustained overload: a tenth of what one
# process refused at 1,000 connections with a fixed wait, a few percent of its loop.
REFUSALS_PER_SECOND = 100
# The longest wait told, under uvicorn's keep-alive timeout (5 s) with two seconds to spare:
# a client told to wait longer found its kept connection closed, or sent its next request
# into one closing, and each new connection cost it a second or more on a loaded machine
# (1,000 connections: opening one took 1.1 s at p50, its request 6.6 s at p99). Told 1 to 3
# seconds, the refused clients come back about half as often as told 1.
LONGEST_RETRY_AFTER = 3


class Backoff:
    """The Retry-After of each refusal, from the refusals of the last ``spread`` seconds."""

    def __init__(
        self, per_second: int = REFUSALS_PER_SECOND, longest: int = LONGEST_RETRY_AFTER
    ) -> None:
        self.per_second = per_second
        self.longest = longest
        self.spread = 1
        # Refusals per whole second of the clock, the newest last (the current one counting).
        self._counts: deque[int] = deque([0], maxlen=longest + 1)
        self._second = int(time.monotonic())
        self._given = 0

    def retry_after(self) -> int:
        """Seconds the client refused now is told to wait, counted as refused."""
        self._advance(int(time.monotonic()))
        self._counts[-1] += 1
        self._given += 1
        # Round robin over 1..spread: the refused clients come back spread evenly.
        return RETRY_AFTER_SECONDS + self._given % self.spread

    def _advance(self, second: int) -> None:
        if second == self._second:
            return
        for _ in range(min(second - self._second, self.longest + 1)):
            self._counts.append(0)
        self._second = second
        # The clients waiting now were refused within the last ``spread`` whole seconds (each
        # comes back within as many): told to wait over ``spread`` seconds, they return at
        # about ``per_second``. The current second, only begun, is not counted.
        whole = list(self._counts)[:-1][-self.spread :]
        waiting = sum(whole)
        self.spread = max(1, min(self.longest, math.ceil(waiting / self.per_second)))
