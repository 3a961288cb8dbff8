"""The bounded client of ``bench/load.py`` and what it reads of the server process.

``N`` keep-alive connections on 127.0.0.1, each sending one request after another until a
deadline, every request given up after 30 s; a 503 with Retry-After is counted as refused and
honoured, as a client should: it waits as long as it is told before its next request, on a
new connection if the server closed the kept one meanwhile. Of the server: its memory, open
files and CPU time, from /proc.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

HOST = "127.0.0.1"  # the only address this benchmark ever sends to
TIMEOUT = 30.0
# A kept connection idle this long is not used again: uvicorn closes one idle for 5 s
# (``timeout_keep_alive``), and a client waiting out a Retry-After of five seconds or more
# sent its next request into a closing socket. A client's pool does the same (httpx expires
# idle connections after 5 s; urllib3 checks that the server has not closed one).
IDLE_SECONDS = 4.0


@dataclass
class Request:
    """One request of the workload, and what to remember if it is acknowledged."""

    route: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    acknowledged: Callable[[int, bytes], None] | None = None


@dataclass
class Tally:
    """What one level of load measured."""

    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # How late the client's own event loop woke for a 10 ms tick: a request's answer waits
    # that long to be read, and it counts in the latencies above (the client's share).
    lags: list[float] = field(default_factory=list)
    # Seconds to open a connection, each time a request needed a new one (they count in the
    # request's latency: a refused client told to wait seconds reconnects).
    connects: list[float] = field(default_factory=list)
    # The latencies of the answered requests among them (whole, the connection's opening in).
    reconnected: list[float] = field(default_factory=list)
    # And those of the answered requests sent on a connection already open (the rest).
    kept: list[float] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(len(v) for v in self.latencies.values())


class Target(Protocol):
    """A hub to drive: where it listens, and the workload's next request."""

    port: int

    def workload(self, rng: random.Random) -> Request: ...


Making = Callable[[Any], Request]  # one route's request, for a run of that route alone


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request on a kept-alive connection: status, headers, body."""
    head = [f"{request.method} {request.path} HTTP/1.1", "Host: bench"]
    head += [f"{k}: {v}" for k, v in request.headers.items()]
    head.append(f"Content-Length: {len(request.body)}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + request.body)
    status_line = await reader.readuntil(b"\r\n")
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readexactly(2)
        return status, headers, b"".join(chunks)
    return status, headers, await reader.readexactly(int(headers.get("content-length", "0")))


async def connection(
    hub: Target, tally: Tally, until: float, seed: int, make: Making | None
) -> None:
    """One client connection: requests back to back until ``until``, reconnecting on failure."""
    rng = random.Random(seed)
    stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    idle_since = time.monotonic()
    while time.monotonic() < until:
        request = make(hub) if make else hub.workload(rng)
        started = time.monotonic()
        opened = stream is None
        if stream is not None and (stream[0].at_eof() or started - idle_since > IDLE_SECONDS):
            stream[1].close()  # closed by the server, or about to be: a new connection
            stream, opened = None, True
        try:
            if stream is None:
                stream = await asyncio.wait_for(asyncio.open_connection(HOST, hub.port), TIMEOUT)
                tally.connects.append(time.monotonic() - started)
            status, headers, body = await asyncio.wait_for(exchange(*stream, request), TIMEOUT)
            idle_since = time.monotonic()
            if headers.get("connection") == "close":
                stream[1].close()  # the server closes it after this answer
                stream = None
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            tally.failed[request.route].append(type(exc).__name__)
            if stream is not None:
                stream[1].close()
            stream = None
            continue
        if status == 503 and "retry-after" in headers:
            tally.refused[request.route] += 1
            await asyncio.sleep(
                min(float(headers["retry-after"]), max(0.0, until - time.monotonic()))
            )
            continue
        if status >= 400:
            tally.failed[request.route].append(str(status))
            continue
        tally.latencies[request.route].append(time.monotonic() - started)
        (tally.reconnected if opened else tally.kept).append(time.monotonic() - started)
        if request.acknowledged:
            request.acknowledged(status, body)
    if stream is not None:
        stream[1].close()


async def drive(hub: Target, connections: int, seconds: float, make: Making | None = None) -> Tally:
    """``connections`` clients for ``seconds``: the tally of what they were answered."""
    tally = Tally()
    start = time.monotonic()
    until = start + seconds

    async def tick() -> None:
        while True:
            asked = time.monotonic()
            await asyncio.sleep(0.01)
            tally.lags.append(time.monotonic() - asked - 0.01)

    ticking = asyncio.create_task(tick())
    await asyncio.gather(*(connection(hub, tally, until, i, make) for i in range(connections)))
    ticking.cancel()
    tally.seconds = time.monotonic() - start
    return tally


def call(hub_port: int, request: Request) -> tuple[int, bytes]:
    """One request outside the load (set-up), on a connection of its own."""

    async def once() -> tuple[int, bytes]:
        stream = await asyncio.open_connection(HOST, hub_port)
        status, _, body = await exchange(*stream, request)
        stream[1].close()
        return status, body

    return asyncio.run(once())


def sample(pid: int) -> tuple[int, int]:
    """The server's resident memory (kB) and open files, its worker processes included."""
    pids = [pid, *(int(p) for p in os.popen(f"pgrep -P {pid}").read().split())]  # noqa: S605
    rss = files = 0
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
            rss += int(next(x for x in status.splitlines() if x.startswith("VmRSS")).split()[1])
            files += len(os.listdir(f"/proc/{p}/fd"))
        except (OSError, StopIteration):
            continue
    return rss, files


def anonymous_kb(pid: int) -> int:
    """The server's anonymous resident memory (kB: its heaps, not files mapped in memory)."""
    pids = [pid, *(int(p) for p in os.popen(f"pgrep -P {pid}").read().split())]  # noqa: S605
    total = 0
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(next(x for x in status.splitlines() if x.startswith("RssAnon")).split()[1])
        except (OSError, StopIteration):
            continue
    return total


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) the server has used, its worker processes included."""
    pids = [pid, *(int(p) for p in os.popen(f"pgrep -P {pid}").read().split())]  # noqa: S605
    ticks = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")
