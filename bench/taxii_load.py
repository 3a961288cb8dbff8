"""A small HTTP load generator for the TAXII benchmark: keep-alive clients in threads.

Each client holds one ``http.client`` connection and issues requests back to back; latency is
measured per request, from sending to the last byte read. It is deliberately lighter than
httpx or requests, so that on a small machine the client takes as little CPU as it can from
the servers it measures.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit


@dataclass
class Target:
    """One server's collection, how to authenticate, and what to ask for."""

    name: str
    objects_url: str  # .../collections/<id>/objects/
    headers: dict[str, str]
    ids: list[str] = field(default_factory=list)
    added_after: str | None = None


@dataclass
class Result:
    """Requests per second, latency percentiles (ms) and failures of one scenario."""

    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    # Percentiles (ms) as wrk computed them, when it made the load instead of this module.
    percentiles: dict[int, float] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        """Successful requests per second."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        """The ``q``-th percentile of latency, in milliseconds."""
        if int(q) in self.percentiles:
            return self.percentiles[int(q)]
        if not self.latencies:
            return float("nan")
        if len(self.latencies) == 1:
            return self.latencies[0] * 1000
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(q) - 1] * 1000


class Client:
    """One keep-alive connection to one host."""

    def __init__(self, url: str, headers: dict[str, str], timeout: float) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = headers
        self.timeout = timeout
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(
        self, method: str, url: str, params: dict[str, str] | None = None, body: bytes | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        """Send one request; reconnect once if the server closed the connection."""
        path = urlsplit(url).path + ("?" + urlencode(params) if params else "")
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=self.headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.getheader("connection", "").lower() == "close":
                    self.conn.close()
                return response.status, data, dict(response.getheaders())
            except (http.client.HTTPException, ConnectionError, TimeoutError, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


Call = Callable[[Client, int], tuple[int, bytes, dict[str, str]]]


def run(
    target: Target,
    call: Call,
    *,
    clients: int,
    seconds: float,
    max_requests: int = 1_000_000,
    timeout: float = 600.0,
) -> Result:
    """Run ``call`` from ``clients`` threads for ``seconds`` (at least one request each)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    counter = iter(range(max_requests))

    def worker() -> None:
        nonlocal errors
        client = Client(target.objects_url, target.headers, timeout)
        first = True
        while first or time.perf_counter() < deadline:
            first = False
            try:
                n = next(counter)
            except StopIteration:
                return
            start = time.perf_counter()
            try:
                status, _, _ = call(client, n)
                ok = status == 200
            except Exception:
                ok = False
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                errors += 0 if ok else 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(len(latencies), errors, time.perf_counter() - started, latencies)


def first_page(target: Target) -> Call:
    """GET the first page of 100 objects."""
    return lambda c, _: c.request("GET", target.objects_url, {"limit": "100"})


def match_id(target: Target) -> Call:
    """GET one object by match[id], a different one each time."""
    ids = target.ids
    return lambda c, n: c.request(
        "GET", target.objects_url, {"match[id]": ids[(n * 7919) % len(ids)]}
    )


def added_after(target: Target) -> Call:
    """GET what was added after a point near the end of the collection."""
    assert target.added_after is not None
    return lambda c, _: c.request(
        "GET", target.objects_url, {"added_after": target.added_after, "limit": "100"}
    )


def walk(
    target: Target, *, limit: int = 100, timeout: float = 3600.0, budget: float = 600.0
) -> tuple[int, int, float]:
    """Follow ``next`` over every page, for ``budget`` seconds at most: (seen, errors, seconds).

    A peer that takes seconds a page would need most of an hour for 100,000 objects; the
    caller reports the rate and what is left rather than wait for it.
    """
    client = Client(target.objects_url, target.headers, timeout)
    seen = errors = 0
    params: dict[str, str] = {"limit": str(limit)}
    started = time.perf_counter()
    while time.perf_counter() - started < budget:
        try:
            status, body, _ = client.request("GET", target.objects_url, params)
        except Exception:
            return seen, errors + 1, time.perf_counter() - started
        if status != 200:
            return seen, errors + 1, time.perf_counter() - started
        page: dict[str, Any] = json.loads(body) if body else {}
        seen += len(page.get("objects", []))
        if not page.get("more") or not page.get("next"):
            return seen, errors, time.perf_counter() - started
        params = {"limit": str(limit), "next": str(page["next"])}
    return seen, errors, time.perf_counter() - started


# The same scenarios as paths, for wrk (bench/wrk.py): a load generator in C leaves the
# server the CPU a Python one would take on a small machine.
PATHS: dict[str, Callable[[Target], list[str]]] = {
    "first page": lambda t: [_path(t.objects_url, {"limit": "100"})],
    "match[id]": lambda t: [
        _path(t.objects_url, {"match[id]": t.ids[(n * 7919) % len(t.ids)]})
        for n in range(min(len(t.ids), 5000))
    ],
    "added_after": lambda t: [
        _path(t.objects_url, {"added_after": t.added_after or "", "limit": "100"})
    ],
}


def _path(url: str, params: dict[str, str]) -> str:
    return urlsplit(url).path + "?" + urlencode(params)


def run_wrk(
    url: str, paths: list[str], headers: dict[str, str], *, clients: int, seconds: float
) -> Result:
    """GET ``paths`` in turn from ``clients`` connections of wrk for ``seconds``."""
    from bench import wrk

    measured = wrk.run(
        url, paths=paths, headers=headers, seconds=seconds, connections=clients, threads=2
    )
    return Result(
        requests=measured.requests,
        errors=measured.status_errors + measured.socket_errors,
        seconds=measured.seconds,
        latencies=[],
        percentiles={50: measured.p50_ms, 99: measured.p99_ms},
    )
