"""TAXII 2.1 side by side: the hub, medallion 3.0.0 and OpenTAXII 0.9.3, same data, same requests.

    PYTHONPATH=src .venv/bin/python bench/sharing_taxii.py --sizes 1000,10000,100000,1000000 \
        --medallion 1000 --opentaxii 1000,10000

The peers run from their own venvs (``BENCH_MEDALLION_VENV``, ``BENCH_OPENTAXII_VENV``; see
docs/benchmarks.md for how to make them). For each size: ingest through POST, then the first
page of 100, ``match[id]``, ``added_after`` near the end, with 1 and 8 clients, and a walk of
every page; for the hub also the ceiling route. Requests per second, p50 and p99 are printed,
with the ratios to each peer. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import taxii_load as load
from bench import taxii_servers as servers

Started = tuple[subprocess.Popen[bytes], str, str]  # process, objects URL, Authorization
SCENARIOS = {"first page": load.first_page, "match[id]": load.match_id,
             "added_after": load.added_after}  # fmt: skip


def ingest(target: load.Target, count: int, size: int, clients: int = 1) -> float:
    """POST ``count`` indicators in envelopes of ``size`` from ``clients`` connections at once;
    objects stored per second. The envelopes are built before the clock starts, so that the
    load generator's JSON work does not take the CPU from the server it measures.

    An envelope counts when it is stored, not when it is acknowledged: a server that queues
    large envelopes answers "pending", and a poller follows those statuses in order, noting
    when each became complete (the hub stores its queue first in, first out)."""
    bodies = list(servers.envelopes(count, size))
    sizes = [len(json.loads(body)["objects"]) for body in bodies]  # counted before the clock
    headers = {**target.headers, "Content-Type": servers.TAXII}
    stored = [0.0] * len(bodies)  # when each envelope was known stored
    posted = [0.0] * len(bodies)  # when each envelope's POST began
    pending: dict[int, str] = {}  # envelope -> status id, for those answered "pending"
    answered = threading.Condition()
    lock = threading.Lock()
    taken = iter(range(len(bodies)))
    errors: list[str] = []
    polls = [0]  # status GETs made: each costs the web process CPU counted per object

    def check(index: int, status: int, data: bytes) -> dict[str, Any]:
        found = json.loads(data) if status in (200, 202) else {}
        expected = sizes[index]
        total = found.get("success_count", 0) + found.get("pending_count", 0)
        if total != expected or found.get("failure_count"):
            errors.append(f"{target.name}: envelope {index} answered {status}: {data[:300]!r}")
        return found

    def post() -> None:
        client = load.Client(target.objects_url, headers, timeout=3600)
        while not errors:
            with lock:
                index = next(taken, None)
            if index is None:
                return
            posted[index] = time.perf_counter()
            status, data, _ = client.request("POST", target.objects_url, body=bodies[index])
            found = check(index, status, data)
            with answered:
                if found.get("status") == "pending":
                    pending[index] = found["id"]
                else:
                    stored[index] = time.perf_counter()
                answered.notify_all()

    def follow() -> None:
        client = load.Client(target.objects_url, target.headers, timeout=3600)
        status_url = target.objects_url.split("/collections/")[0] + "/status/"
        for index in range(len(bodies)):
            with answered:
                while not errors and not stored[index] and index not in pending:
                    answered.wait(1)
            if errors or stored[index]:
                continue
            # Polled at 2 ms, then at twice the wait each time up to 100 ms: a fixed 100 ms
            # made every envelope, the first one included, look stored up to 100 ms late.
            wait = 0.002
            while not errors:
                status, data, _ = client.request("GET", status_url + pending[index] + "/")
                polls[0] += 1
                found = json.loads(data) if status == 200 else {}
                if found.get("status") == "complete":
                    stored[index] = time.perf_counter()
                    if found.get("success_count") != found.get("total_count"):
                        errors.append(f"{target.name}: envelope {index}: {data[:300]!r}")
                    break
                time.sleep(wait)
                wait = min(2 * wait, 0.1)

    started = time.perf_counter()
    threads = [threading.Thread(target=post) for _ in range(clients)]
    threads.append(threading.Thread(target=follow))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(errors[0])
    ended = max(stored)
    print(f"  {target.name}: first envelope stored {1000 * (stored[0] - posted[0]):,.0f} ms "
          f"after its POST began; {polls[0]:,} status polls for {len(bodies):,} envelopes",
          flush=True)  # fmt: skip
    if len(bodies) >= 10:
        # The collection's size shows in the later envelopes (index depth, cache). A tenth
        # runs from the moment the previous tenth was stored to the moment it was.
        ends = [max(stored[: (i + 1) * len(bodies) // 10]) for i in range(10)]
        begins = [started, *ends[:-1]]
        rates = [count / 10 / (end - begin) for begin, end in zip(begins, ends, strict=True)]
        print(f"  {target.name}: ingest by tenth ({clients} client(s)): "
              + ", ".join(f"{r:,.0f}" for r in rates) + " objects/s", flush=True)  # fmt: skip
        print(f"  {target.name}: ingest of the last tenth: {rates[-1]:,.0f} objects/s", flush=True)
    return count / (ended - started)


def cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds (user and system) of ``pid`` and of each of its children, by name: the web
    process and the queue's drainer, read from ``/proc`` (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[str, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        own = int(stat.parent.name)
        if own == pid or int(fields[1]) == pid:
            command = Path(f"/proc/{own}/cmdline").read_bytes()
            name = ("web" if own == pid else "resource tracker"
                    if b"resource_tracker" in command else "drainer")  # fmt: skip
            found[name] = found.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return found


def prepare(target: load.Target, count: int) -> None:
    """The ids to ask for, and a date_added near the end for added_after."""
    target.ids = [servers.indicator(i)["id"] for i in range(0, count, max(1, count // 5000))]
    near_end = servers.indicator(max(0, count - max(1, count // 100)))["id"]
    manifest = target.objects_url.replace("/objects/", "/manifest/")
    client = load.Client(manifest, target.headers, timeout=3600)
    status, body, _ = client.request("GET", manifest, {"match[id]": near_end})
    if status != 200:
        raise RuntimeError(f"{target.name}: manifest answered {status}")
    target.added_after = json.loads(body)["objects"][0]["date_added"]


def measure(
    target: load.Target, seconds: float, clients: tuple[int, ...], *, use_wrk: bool = False
) -> dict[str, load.Result]:
    """Every scenario at every client count."""
    results = {}
    for name, scenario in SCENARIOS.items():
        for n in clients:
            result = (
                load.run_wrk(
                    target.objects_url,
                    load.PATHS[name](target),
                    target.headers,
                    clients=n,
                    seconds=seconds,
                )
                if use_wrk
                else load.run(target, scenario(target), clients=n, seconds=seconds)
            )
            results[f"{name} x{n}"] = result
            print(
                f"  {target.name:10} {name:12} x{n}: {result.rps:8.1f} req/s  "
                f"p50 {result.pct(50):8.1f} ms  p99 {result.pct(99):8.1f} ms  "
                f"errors {result.errors}/{result.requests}",
                flush=True,
            )
    return results


def ceiling(
    url: str,
    headers: dict[str, str],
    seconds: float,
    label: str = "ceiling",
    *,
    use_wrk: bool = False,
) -> dict[str, load.Result]:
    """A fixed route on the hub's own stack: the 2 KB JSON one, or the API root with auth."""
    target = load.Target(label, url, headers)
    out = {}
    for n in (1, 8):
        result = (
            load.run_wrk(url, [urlsplit(url).path], headers, clients=n, seconds=seconds)
            if use_wrk
            else load.run(target, lambda c, _: c.request("GET", url), clients=n, seconds=seconds)
        )
        out[f"{label} x{n}"] = result
        print(
            f"  {label:10} {url.rsplit('/', 2)[-2] or 'route':12} x{n}: {result.rps:8.1f} req/s  "
            f"p50 {result.pct(50):8.1f} ms  p99 {result.pct(99):8.1f} ms",
            flush=True,
        )
    return out


def walk(target: load.Target, count: int) -> None:
    """Follow next over every page of 100 (ten minutes at most) and report."""
    seen, errors, seconds = load.walk(target)
    rate = seen / seconds if seconds else 0
    left = (
        f"; the rest would take {(count - seen) / rate / 60:.0f} min"
        if rate and seen < count
        else ""
    )
    print(
        f"  {target.name:10} walk of every page: {seen}/{count} objects, {errors} errors, "
        f"{seconds:.1f} s ({rate:.0f} objects/s){left}",
        flush=True,
    )


def ratios(
    size: int, ours: dict[str, load.Result], peer: str, theirs: dict[str, load.Result]
) -> None:
    """The hub's throughput divided by a peer's, per scenario."""
    for key, mine in ours.items():
        other = theirs.get(key)
        if other is None or other.rps == 0:
            note = "peer failed every request" if other is not None else "not run"
            print(f"  ratio at {size:>9,} {key:16} hub / {peer}: ({note})")
            continue
        print(f"  ratio at {size:>9,} {key:16} hub / {peer}: {mine.rps / other.rps:8.1f}x req/s, "
              f"p50 {other.pct(50) / mine.pct(50):6.1f}x faster")  # fmt: skip


def main() -> None:
    """Run the comparison at each size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--medallion", default="1000", help="sizes to run medallion at")
    parser.add_argument("--opentaxii", default="1000,10000", help="sizes to run OpenTAXII at")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url", default=None, help="PostgreSQL for the hub")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of the hub")
    parser.add_argument("--ingest-clients", type=int, default=1,
                        help="connections posting envelopes at once while loading")  # fmt: skip
    parser.add_argument("--settle", type=float, default=0.0,
                        help="seconds between the hub's start and the first POST (the CPU "
                             "counted per object then leaves out the drainer's start)")  # fmt: skip
    parser.add_argument("--ingest-only", action="store_true",
                        help="load the hub and stop: no reads, no peers, no walk")  # fmt: skip
    parser.add_argument(
        "--load",
        choices=["wrk", "python"],
        default="python",
        help="load generator for the timed scenarios: this module's threads, or wrk (C; "
        "leaves the servers the CPU a Python client takes on a small machine)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    peer_sizes = {"medallion": {int(s) for s in args.medallion.split(",") if s},
                  "opentaxii": {int(s) for s in args.opentaxii.split(",") if s}}  # fmt: skip
    print(f"load average at start: {os.getloadavg()}; cores: {os.cpu_count()}", flush=True)
    for size in sizes:
        print(f"\n== {size:,} indicators", flush=True)
        ours = run_hub(size, args)
        for peer in ("medallion", "opentaxii"):
            if size in peer_sizes[peer] and not args.ingest_only:
                theirs = run_peer(peer, size, args.seconds, use_wrk=args.load == "wrk")
                ratios(size, ours, peer, theirs)
        print(f"  load average: {os.getloadavg()}", flush=True)


@contextmanager
def _server(prefix: str, start: Callable[[Path], Started]) -> Iterator[Started]:
    """A server started in a fresh directory, stopped and wiped afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{prefix}-"))
    started = start(workdir)
    try:
        yield started
    finally:
        started[0].terminate()
        started[0].wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def run_hub(size: int, args: argparse.Namespace) -> dict[str, load.Result]:
    with _server(
        "hub", lambda d: servers.start_hub(d, args.database_url, workers=args.workers)
    ) as (process, url, auth):
        target = load.Target("hub", url, {"Authorization": auth, "Accept": servers.TAXII})
        time.sleep(args.settle)
        before = cpu_seconds(process.pid)
        rate = ingest(target, size, 1000, args.ingest_clients)
        print(f"  hub        ingest through POST: {rate:,.0f} objects/s (envelopes of 1,000, "
              f"{args.ingest_clients} client(s), {args.workers} worker(s))")  # fmt: skip
        # CPU per object of each process (the web process checks, the drainer stores): what
        # the machine's load moves least, and the rate each would reach with a core its own.
        for name, spent in sorted(cpu_seconds(process.pid).items()):
            used = spent - before.get(name, 0.0)
            print(f"  hub        CPU of {name}: {1e6 * used / size:.1f} µs an object "
                  f"({size / used if used else 0:,.0f} objects/s of its CPU)")  # fmt: skip
        if args.ingest_only:
            return {}
        prepare(target, size)
        use_wrk = args.load == "wrk"
        results = measure(target, args.seconds, (1, 8), use_wrk=use_wrk)
        base = url.split("/taxii2/")[0]
        results.update(ceiling(f"{base}/bench/ceiling", {}, args.seconds, use_wrk=use_wrk))
        # The API root answers from settings alone: what authentication and the stack cost.
        results.update(
            ceiling(
                f"{base}/taxii2/hub/", target.headers, args.seconds, "auth only", use_wrk=use_wrk
            )
        )
        for n in (1, 8):
            top = results[f"ceiling x{n}"].rps
            for name in SCENARIOS:
                share = results[f"{name} x{n}"].rps / top if top else 0
                print(f"  hub {name:12} x{n}: {share:.0%} of the stack's ceiling")
        walk(target, size)
        return results


def run_peer(
    peer: str, size: int, seconds: float, *, use_wrk: bool = False
) -> dict[str, load.Result]:
    start: Callable[[Path], Started] = (
        (lambda d: servers.start_medallion(d, size))
        if peer == "medallion"
        else servers.start_opentaxii
    )
    with _server(peer, start) as (_, url, auth):
        target = load.Target(peer, url, {"Authorization": auth, "Accept": servers.TAXII})
        if peer == "opentaxii":
            rate = ingest(target, size, 1000)
            print(f"  opentaxii  ingest through POST: {rate:,.0f} objects/s")
        prepare(target, size)
        results = measure(target, seconds, (1, 8), use_wrk=use_wrk)
        walk(target, size)
        return results


if __name__ == "__main__":
    main()
