"""What a request costs the whole server process over HTTP: CPU time, or instructions.

    PYTHONPATH=src:. .venv/bin/python bench/server_cost.py [--seconds 3] [--rounds 2]
    PYTHONPATH=src:. .venv/bin/python bench/server_cost.py --callgrind 300 [--route query]

``bench/request_instructions.py`` counts a request's work in process, without uvicorn's HTTP
parsing, its transport and the event loop's polling; ``bench/stack.py`` gives requests per
second, which move with the machine's load. This starts the two servers of ``bench/stack.py``
(bare FastAPI and the hub with 300 PyPA advisories, one uvicorn worker each, the same options)
and, for the bare route, the hub's ceiling route and ``POST /v1/query`` (the same 200 real
queries as ``bench/stack.py``), runs wrk and reads the server process's CPU time (every
thread, user and system, from ``/proc``) and wrk's own: CPU µs per request of each.

With ``--callgrind N`` the hub (or, with ``--route bare``, the bare app) runs under valgrind's
callgrind instead, instrumentation off; after 50 warm-up requests it is switched on for ``N``
requests sent one after the other on one keep-alive connection by a plain client in this
process, then off: the server's instructions per request, uvicorn, httptools and uvloop
included. The warm-up sends every query once too (so the figures are of kept compiled
entries, as in a run of ``bench/stack.py``). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stack, wrk
from bench import taxii_servers as servers

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process, every thread, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def children_cpu() -> float:
    """User and system CPU of the waited-for children (wrk)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(pid: int, options: dict[str, object], seconds: float, connections: int) -> str:
    """One wrk run: req/s, the server's and wrk's CPU µs a request."""
    server, client = cpu_seconds(pid), children_cpu()
    result = wrk.run(**options, seconds=seconds, connections=connections)  # type: ignore[arg-type]
    if result.status_errors or result.socket_errors:
        raise RuntimeError(f"errors: {result}")
    server = (cpu_seconds(pid) - server) / result.requests * 1e6
    client = (children_cpu() - client) / result.requests * 1e6
    return (f"{result.per_second:7,.0f} req/s  server {server:5.0f} µs/req  "
            f"wrk {client:4.0f} µs/req  p50 {result.p50_ms:5.2f} ms")  # fmt: skip


def send(port: int, requests: list[tuple[str, str, bytes]]) -> None:
    """Requests one after the other on one keep-alive connection; each must answer 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    for method, path, body in requests:
        headers = {"Content-Type": "application/json"} if body else {}
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}: {answer[:300]!r}")
    connection.close()


def callgrind(args: argparse.Namespace, data_dir: Path, queries: list[bytes]) -> None:
    """The server's instructions per request under callgrind (see the module docstring)."""
    port = servers.free_port()
    factory = "bench.taxii_servers:" + ("bare_app" if args.route == "bare" else "hub_app")
    out = Path(tempfile.gettempdir()) / f"callgrind.server.{args.route}.{os.getpid()}"
    env = {**os.environ, "ACCORD_DATA_DIR": str(data_dir), "ACCORD_MAX_REQUEST_BYTES": "4000000",
           "ACCORD_WORKER_IN_PROCESS": "false",
           "PYTHONPATH": f"{servers.ROOT / 'src'}:{servers.ROOT}"}  # fmt: skip
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
               f"--callgrind-out-file={out}", sys.executable, "-m", "uvicorn", "--factory",
               factory, "--host", "127.0.0.1", "--port", str(port),
               *servers.logged(data_dir)]  # fmt: skip
    log = (data_dir / "valgrind.log").open("ab")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        servers.wait_for(port, process, seconds=600)
        if args.route == "query":
            made = [("POST", "/v1/query", queries[i % len(queries)]) for i in range(args.callgrind)]
        else:
            made = [("GET", "/bench/ceiling", b"")] * args.callgrind
        send(port, [*made[:50], *(("POST", "/v1/query", q) for q in queries)])
        switch = ["callgrind_control", "-i"]
        subprocess.run([*switch, "on", str(process.pid)], check=True, capture_output=True)
        send(port, made)
        subprocess.run([*switch, "off", str(process.pid)], check=True, capture_output=True)
    finally:
        process.terminate()
        process.wait(timeout=120)
    total = int(re.search(r"^totals:\s*(\d+)", out.read_text(), re.M).group(1))  # type: ignore[union-attr]
    print(f"{args.route}: {total / args.callgrind:,.0f} instructions a request "
          f"({args.callgrind} requests; {out} kept)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--callgrind", type=int, default=0, help="requests under callgrind")
    parser.add_argument("--route", choices=["bare", "ceiling", "query"], default="query")
    args = parser.parse_args()
    if args.callgrind:
        with stack.side_by_side(None, before_start=lambda d, q: callgrind(args, d, q)):
            return
    with stack.side_by_side(None) as run:
        assert run is not None
        runs = {
            "bare": (run.bare.pid, {"url": run.bare_url}),
            "ceiling": (run.hub.pid, {"url": f"{run.base}/bench/ceiling"}),
            "/v1/query": (run.hub.pid, {"url": f"{run.base}/v1/query", "method": "POST",
                                        "bodies": run.queries}),
        }  # fmt: skip
        for round_ in range(args.rounds):
            for connections in (1, 8):
                print(f"round {round_ + 1}, x{connections}, load average "
                      f"{os.getloadavg()[0]:.1f}:", flush=True)  # fmt: skip
                for name, (pid, options) in runs.items():
                    line = measure(pid, options, args.seconds, connections)
                    print(f"  {name:10} {line}", flush=True)
                time.sleep(0.5)


if __name__ == "__main__":
    main()
