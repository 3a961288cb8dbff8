"""What one request costs the whole server over HTTP: CPU, instructions and context switches.

    PYTHONPATH=src:. .venv/bin/python bench/stack_cost.py [--objects 10000] [--seconds 3] \
        [--rounds 2] [--routes "first page,match[id]"] [--database-url URL]

The servers of ``bench/stack.py`` (the hub and a bare FastAPI, one uvicorn worker each, the
access log kept), driven by wrk with 1 and 8 keep-alive connections. For each route the
server process is measured over the run alone: CPU µs a request (user and system, from
``/proc``), split into the event loop's thread and the others (the worker threads), and,
where ``perf`` may count the process, instructions and context switches a request. In-process
counts (``bench/request_instructions.py``) miss what only a served request pays: uvicorn's
parsing and writing, the socket, the loop's wake-ups, the thread hop's hand-overs. Not part of
the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stack, wrk
from bench import taxii_load as load
from bench.sharing_taxii import ingest, prepare

TICK = os.sysconf("SC_CLK_TCK")


def threads_cpu(pid: int) -> dict[int, tuple[float, float, int]]:
    """Each thread's user and system CPU seconds so far, and its context switches."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            status = (task / "status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        switches = sum(
            int(line.split()[1]) for line in status.splitlines() if "ctxt_switches" in line
        )
        out[int(task.name)] = (int(fields[11]) / TICK, int(fields[12]) / TICK, switches)
    return out


def _spent(
    before: dict[int, tuple[float, float, int]], after: dict[int, tuple[float, float, int]]
) -> dict[int, tuple[float, float, int]]:
    spent = {}
    for tid, (user, system, switches) in after.items():
        was = before.get(tid, (0.0, 0.0, 0))
        spent[tid] = (user - was[0], system - was[1], switches - was[2])
    return spent


def perf_counts(pid: int) -> subprocess.Popen[str] | None:
    """``perf stat`` counting the process until interrupted; None without perf."""
    if shutil.which("perf") is None:
        return None
    return subprocess.Popen(
        ["perf", "stat", "-x", ",", "-e", "instructions,context-switches", "-p", str(pid)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def perf_read(process: subprocess.Popen[str] | None) -> dict[str, float]:
    if process is None:
        return {}
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    counts = {}
    for line in err.splitlines():
        parts = line.split(",")
        if len(parts) > 2 and parts[0].replace(".", "").isdigit():
            counts[parts[2]] = float(parts[0])
    return counts


def cost(pid: int, options: dict[str, Any], *, seconds: float, connections: int) -> str:
    """One wrk run of ``options`` against the server ``pid``: its figures a request."""
    before = threads_cpu(pid)
    counter = perf_counts(pid)
    result = wrk.run(**options, seconds=seconds, connections=connections)
    counts = perf_read(counter)
    after = threads_cpu(pid)
    if result.status_errors or result.socket_errors:
        raise RuntimeError(f"{options['url']}: errors in {result}")
    n = result.requests
    spent = _spent(before, after)
    loop = sum(spent.get(pid, (0.0, 0.0, 0))[:2])
    total = sum(user + system for user, system, _ in spent.values())
    system = sum(s for _, s, _ in spent.values())
    switches = sum(c for _, _, c in spent.values())
    line = (
        f"{result.per_second:7,.0f} req/s  CPU {total / n * 1e6:6.0f} µs/req "
        f"(loop {loop / n * 1e6:5.0f}, other threads {(total - loop) / n * 1e6:5.0f}, "
        f"system {system / n * 1e6:4.0f})  {switches / n:4.1f} switches/req"
    )
    if counts.get("instructions"):  # not where the machine hides its counters
        line += f"  {counts['instructions'] / n / 1e6:5.2f} M instr/req"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--routes", default="ceiling,first page,match[id],added_after")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with stack.side_by_side(args.database_url, advisories=False) as run:
        assert run is not None
        target = load.Target("hub", run.objects_url, {"Authorization": run.auth})
        ingest(target, args.objects, 1000)
        prepare(target, args.objects)
        wanted = args.routes.split(",")
        hub_routes = {k: v for k, v in stack.routes(target, run.base, []).items() if k in wanted}
        for round_ in range(args.rounds):
            for connections in (1, 8):
                print(f"round {round_ + 1}, {connections} connection(s), "
                      f"load average {os.getloadavg()[0]:.1f}:", flush=True)  # fmt: skip
                figures = cost(run.bare.pid, {"url": run.bare_url},
                               seconds=args.seconds, connections=connections)  # fmt: skip
                print(f"  bare FastAPI  {figures}", flush=True)
                for name, options in hub_routes.items():
                    figures = cost(run.hub.pid, options, seconds=args.seconds,
                                   connections=connections)  # fmt: skip
                    print(f"  {name:12}  {figures}", flush=True)


if __name__ == "__main__":
    main()
