"""Where a request's time goes inside the server: in admission's line, or once let in.

With ``BENCH_ADMISSION_PROBE`` naming a file, :func:`wrap` times every request the hub
answers, from the moment the server hands it to the application to its answer's last part:
how long it waited in admission's line (``accord.web.gate.Gate.enter``), and how long it took
once let in; refusals are counted apart. Beside them, the event loop's lag: a task asks to
wake every 10 ms and records how late it woke (what every thread hop's return waits for).
The times are kept per route (method and path, ids folded) in that file (JSON, seconds),
written every couple of seconds.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import json
import os
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.web import gate

PROBE = "BENCH_ADMISSION_PROBE"
TICK = 0.01
_WAITED: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "bench_waited", default=None
)
_ID = re.compile(r"/(?:[0-9a-f-]{8,}|[0-9]+|[A-Z]+-[0-9-]+[^/]*|bench-cert)(?=/|$)")


def route_key(method: str, path: str) -> str:
    return f"{method} {_ID.sub('/:id', path)}"


def wrap(app: ASGIApp) -> ASGIApp:
    """``app`` timed into the file ``BENCH_ADMISSION_PROBE`` names (``app`` without it)."""
    path = os.environ.get(PROBE)
    if not path:
        return app
    # route -> [(waited, let in, total)], refused count, the loop's lags
    answered: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    refused: dict[str, int] = defaultdict(int)
    lags: list[float] = []
    late: list[float] = []
    entering = gate.Gate.enter

    async def timed_enter(self: gate.Gate, seconds: float) -> bool:
        started = time.perf_counter()
        try:
            return await entering(self, seconds)
        finally:
            waited = _WAITED.get()
            if waited is not None:
                waited.append(time.perf_counter() - started)

    gate.Gate.enter = timed_enter  # type: ignore[method-assign]
    ticking: list[asyncio.Task[None]] = []

    async def tick() -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(TICK)
            lags.append(time.perf_counter() - asked - TICK)
            if len(lags) % 200 == 0:
                write()  # uvicorn's worker may end without running atexit

    async def probed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        if not ticking:
            ticking.append(asyncio.get_running_loop().create_task(tick()))
        started = time.perf_counter()
        waited: list[float] = []
        _WAITED.set(waited)
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await app(scope, receive, sending)
        key = route_key(scope["method"], scope["path"])
        if status == 503:
            refused[key] += 1
            if sum(waited) > TICK:
                late.append(sum(waited))  # refused after waiting in line, not at once
        else:
            total = time.perf_counter() - started
            wait = sum(waited)
            answered[key].append((wait, total - wait, total))

    def write() -> None:
        Path(path).write_text(json.dumps({"answered": answered, "refused": refused,
                                          "lags": lags, "late": late}))  # fmt: skip

    atexit.register(write)
    probed.write = write  # type: ignore[attr-defined]
    return probed


def _ms(values: list[float], q: int) -> str:
    if len(values) < 2:
        return "-"
    return f"{statistics.quantiles(values, n=100, method='inclusive')[q - 1] * 1000:.0f}"


def summary(path: Path) -> str:
    """The times written to ``path``, a line per route (ms: p50 / p99)."""
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return "nothing timed"
    lines = [f"  {'route (in the server)':42} {'n':>6} {'503':>5} {'line p50/p99':>13}"
             f" {'let in p50/p99':>15} {'total p50/p99':>14}"]  # fmt: skip
    everything: list[list[float]] = [[], [], []]
    for key, rows in sorted(data["answered"].items(), key=lambda kv: -len(kv[1])):
        columns = list(zip(*rows, strict=True))
        for whole, part in zip(everything, columns, strict=True):
            whole.extend(part)
        lines.append(
            f"  {key[:42]:42} {len(rows):6} {data['refused'].get(key, 0):5}"
            + "".join(f" {_ms(list(c), 50):>6}/{_ms(list(c), 99):<6}" for c in columns)
        )
    lines.append(f"  {'all':42} {len(everything[0]):6} {sum(data['refused'].values()):5}"
                 + "".join(f" {_ms(c, 50):>6}/{_ms(c, 99):<6}" for c in everything))  # fmt: skip
    late = data.get("late", [])
    lines.append(f"  refused after waiting in line (not at once): {len(late)}, waits p50 "
                 f"{_ms(late, 50)} ms, p99 {_ms(late, 99)} ms")  # fmt: skip
    lags = data["lags"]
    lines.append(f"  event loop lag (10 ms ticks): p50 {_ms(lags, 50)} ms, p99 {_ms(lags, 99)} "
                 f"ms, max {max(lags, default=0) * 1000:.0f} ms")  # fmt: skip
    return "\n".join(lines)
