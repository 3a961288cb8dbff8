"""Drive an HTTP route with wrk (a load generator written in C) and read its summary.

A load generator in Python spends as much CPU per request as the server it measures: on a
2-core machine it takes a core from the server. wrk spends a small fraction of that, so the
figure is the server's. Debian's package: `apt-get install wrk`.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk_requests.lua")


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests: int
    seconds: float
    status_errors: int
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        """Successful requests per second."""
        return (self.requests - self.status_errors - self.socket_errors) / self.seconds


def available() -> bool:
    """Whether wrk is installed."""
    return shutil.which("wrk") is not None


def run(
    url: str,
    *,
    method: str = "GET",
    bodies: list[bytes] | None = None,
    paths: list[str] | None = None,
    headers: dict[str, str] | None = None,
    seconds: float,
    connections: int,
    threads: int = 1,
) -> WrkResult:
    """Send requests to ``url`` for ``seconds`` over ``connections`` keep-alive connections.

    POST ``bodies`` are cycled in order; for a GET, ``paths`` (with their query strings) are,
    on the host of ``url``.
    """
    lines = bodies if method != "GET" else [path.encode() for path in paths or []]
    with tempfile.NamedTemporaryFile("wb", suffix=".lines") as file:
        for line in lines or []:
            file.write(line.replace(b"\n", b" ") + b"\n")
        file.flush()
        base, _, path = url.partition("://")[2].partition("/")
        command = [
            "wrk",
            f"-t{min(threads, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            *(f"-H{name}: {value}" for name, value in (headers or {}).items()),
            "-s",
            str(SCRIPT),
            f"http://{base}",
            "--",
            method,
            "/" + path,
            file.name,
            "0",
        ]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    fields = {key: int(value) for key, value in (part.split("=") for part in line.split()[1:])}
    return WrkResult(
        requests=fields["requests"],
        seconds=fields["duration_us"] / 1e6,
        status_errors=fields["status_errors"],
        socket_errors=fields["socket_errors"],
        p50_ms=fields["p50_us"] / 1000,
        p99_ms=fields["p99_us"] / 1000,
    )
