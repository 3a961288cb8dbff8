"""Advisories benchmark: import rate, in-server querybatch, HTTP single queries, 1x vs 20x.

    PYTHONPATH=src:. python bench/bench_advisories.py [--database-url URL] [--workers 2]

With the whole PyPA advisory database (bundled in tests/data, see tests/thirdparty.py):
1. import it and report records per second;
2. answer a querybatch of 1,000 real (package, version) queries inside the server (the work
   of the route: parse the body, match, build the JSON), cold and warm;
3. send single POST /v1/query requests over HTTP to `uvicorn` workers for a few seconds and
   report requests per second;
4. add 19 synthetic copies of every advisory under other ids and package names (20x the
   database) and time the same 1,000 queries again: the cost must follow the queried
   packages, not the database size.

A --database-url of PostgreSQL is emptied first (its public schema is dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from tests import thirdparty

from accord.advisories import importer, osv_api
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, upgrade
from accord.identity.policy import ANONYMOUS, SYSTEM
from bench import wrk
from bench.taxii_servers import logged

ROOT = Path(__file__).resolve().parents[1]
PYPA = thirdparty.PYPA


def prepare(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """A migrated, empty database."""
    engine = make_engine(settings)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine, make_sessionmaker(engine)


def real_queries(count: int) -> list[dict[str, Any]]:
    """(package, version) pairs from the records: affected, fixed and unaffected versions."""
    pairs = set()
    for path in sorted((PYPA / "vulns").rglob("*.yaml")):
        record = importer.parse(path.read_text(), name=path.name)
        for entry in record.get("affected") or []:
            name = entry["package"]["name"]
            pairs.update((name, v) for v in entry.get("versions") or [])
            for r in entry.get("ranges") or []:
                if r["type"] == "ECOSYSTEM":
                    pairs.update((name, e["fixed"]) for e in r["events"] if "fixed" in e)
    chosen = random.Random(2024).sample(sorted(pairs), count)
    return [{"package": {"ecosystem": "PyPI", "name": n}, "version": v} for n, v in chosen]


def in_server(factory: sessionmaker[Session], body: bytes, runs: int) -> tuple[float, float, int]:
    """Cold and warm (median) milliseconds for the route's work, and the matches found."""
    times = []
    found = 0
    for _ in range(runs):
        start = time.perf_counter()
        batch = osv_api._parse(osv_api.BatchIn, body)
        queries = [osv_api.to_query(q, at=f"queries[{i}].") for i, q in enumerate(batch.queries)]
        answer = osv_api.answer(factory, queries, actor=ANONYMOUS, full=False, batch=True)
        times.append((time.perf_counter() - start) * 1000)
        found = sum(len(r.get("vulns", [])) for r in json.loads(answer)["results"])
    return times[0], statistics.median(times[1:]), found


def copy_database(engine: Engine, copies: int) -> None:
    """Add ``copies`` renamed copies of every advisory and its index rows, in SQL."""
    with engine.begin() as conn:
        for k in range(1, copies + 1):
            conn.execute(
                text(
                    "INSERT INTO advisories (osv_id, organization_id, status, tlp, source, summary,"
                    " aliases, plain_summary, cwe_ids, severity, osv_modified, modified_at,"
                    " published_at, document, document_sha256, created_at, updated_at)"
                    " SELECT osv_id || :suffix, organization_id, status, tlp, 'synthetic', summary,"
                    " aliases, plain_summary, cwe_ids, severity, osv_modified, modified_at,"
                    " published_at, document, document_sha256, created_at, updated_at"
                    " FROM advisories WHERE source <> 'synthetic'"
                ),
                {"suffix": f"-C{k}"},
            )
            conn.execute(
                text(
                    "INSERT INTO advisory_packages (advisory_id, ecosystem, ecosystem_variant,"
                    " name, entry) SELECT c.id, p.ecosystem, p.ecosystem_variant,"
                    " p.name || :rename, p.entry FROM advisory_packages p"
                    " JOIN advisories a ON a.id = p.advisory_id AND a.source <> 'synthetic'"
                    " JOIN advisories c ON c.osv_id = a.osv_id || :suffix"
                ),
                {"suffix": f"-C{k}", "rename": f"-copy-{k}"},
            )
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


HEALTH = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"
# The stack's ceiling: a fixed 2 KB JSON route with no dependency (bench/taxii_servers.py).
CEILING = b"GET /bench/ceiling HTTP/1.1\r\nHost: bench\r\n\r\n"


async def _client(port: int, bodies: list[bytes], until: float, latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    try:
        while time.perf_counter() < until:
            body = bodies[done % len(bodies)]
            request = (
                body
                if body.startswith(b"GET ")
                else (
                    b"POST /v1/query HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                )
            )
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.decode(errors="replace"))
            latencies.append(time.perf_counter() - start)
            done += 1
    finally:
        writer.close()
    return done


async def _load(
    port: int, bodies: list[bytes], seconds: float, connections: int
) -> tuple[int, list[float]]:
    latencies: list[float] = []
    until = time.perf_counter() + seconds
    counts = await asyncio.gather(
        *(_client(port, bodies[i:] + bodies[:i], until, latencies) for i in range(connections))
    )
    return sum(counts), latencies


def _wait_for(port: int, *, bodies: list[bytes], seconds: float = 120.0) -> None:
    # Every worker must answer, not only the listening socket: send queries until one does.
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            asyncio.run(_load(port, bodies, 0.2, 1))
            return
        except (OSError, asyncio.IncompleteReadError):
            time.sleep(0.5)
    raise RuntimeError(f"the hub did not answer on port {port} within {seconds:.0f} s")


def over_http(settings: Settings, queries: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """Requests per second of single queries against real uvicorn worker processes."""
    port = free_port()
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
        # The import queued a refresh of the accountability figures (one job for every
        # publication, coalesced). Run by the measured workers, it would take seconds of
        # their CPU in the middle of the run; a deployment runs it once after an import.
        "ACCORD_WORKER_IN_PROCESS": "false",
    }
    if settings.database_url:
        env["ACCORD_DATABASE_URL"] = settings.database_url
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.taxii_servers:hub_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            *logged(settings.data_dir),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
        ],
        env=env,
        stdout=(settings.data_dir / "access.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(port, bodies=[json.dumps(queries[0]).encode()])
        bodies = [json.dumps(q).encode() for q in queries]
        if args.load == "wrk":
            _measure_with_wrk(port, bodies, args)
        else:
            _measure_with_python(port, bodies, args)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


def _measure_with_python(port: int, bodies: list[bytes], args: argparse.Namespace) -> None:
    asyncio.run(_load(port, bodies, 2.0, args.connections))  # warm every worker's cache
    count, latencies = asyncio.run(_load(port, bodies, args.seconds, args.connections))
    # The floor under the same load: the hub's cheapest route (no body, one SELECT 1).
    health, _ = asyncio.run(_load(port, [HEALTH], args.seconds / 2, args.connections))
    top, _ = asyncio.run(_load(port, [CEILING], args.seconds / 2, args.connections))
    latencies.sort()
    print(
        f"HTTP single queries (Python client): {count / args.seconds:,.0f} per second "
        f"({args.workers} workers, {args.connections} connections, {args.seconds:.0f} s; "
        f"p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms); "
        f"GET /healthz on the same workers: {health / (args.seconds / 2):,.0f} per second; "
        f"the 2 KB ceiling route: {top / (args.seconds / 2):,.0f} per second; "
        f"queries / ceiling = {count / args.seconds / (top / (args.seconds / 2)):.0%}"
    )


def _measure_with_wrk(port: int, bodies: list[bytes], args: argparse.Namespace) -> None:
    base = f"http://127.0.0.1:{port}"
    query = f"{base}/v1/query"
    wrk.run(query, method="POST", bodies=bodies, seconds=2, connections=args.connections)
    result = wrk.run(
        query, method="POST", bodies=bodies, seconds=args.seconds, connections=args.connections
    )
    half = args.seconds / 2
    health = wrk.run(f"{base}/healthz", seconds=half, connections=args.connections)
    top = wrk.run(f"{base}/bench/ceiling", seconds=half, connections=args.connections)
    failed = result.status_errors + result.socket_errors
    print(
        f"HTTP single queries (wrk): {result.per_second:,.0f} per second "
        f"({args.workers} workers, {args.connections} connections, {result.seconds:.0f} s; "
        f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms; {failed} failed); "
        f"GET /healthz on the same workers: {health.per_second:,.0f} per second; "
        f"the 2 KB ceiling route: {top.per_second:,.0f} per second; "
        f"queries / ceiling = {result.per_second / top.per_second:.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--copies", type=int, default=19)
    parser.add_argument(
        "--load",
        choices=["wrk", "python"],
        default="wrk" if wrk.available() else "python",
        help="the load generator: wrk (C, little CPU; the default when installed) or Python",
    )
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    settings = Settings(data_dir=data, database_url=args.database_url)
    engine, factory = prepare(settings)
    print(
        f"database: {engine.dialect.name}; CPUs: {os.cpu_count()}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )

    start = time.perf_counter()
    report = importer.run(factory, str(PYPA), actor=SYSTEM, settings=settings)
    took = time.perf_counter() - start
    print(
        f"import: {report.total} records in {took:.1f} s = {report.total / took:.0f} records/s "
        f"({report.counts[importer.Outcome.IMPORTED]} imported, {len(report.rejections)} rejected)"
    )

    queries = real_queries(1000)
    body = json.dumps({"queries": queries}).encode()
    cold, warm, found = in_server(factory, body, runs=21)
    print(
        f"querybatch of 1,000 real queries in-server (1x): cold {cold:.1f} ms, "
        f"warm {warm:.1f} ms median ({found} matches)"
    )

    over_http(settings, queries, args)

    copy_database(engine, args.copies)
    with factory() as db:
        total = db.scalar(text("SELECT count(*) FROM advisories"))
    cold20, warm20, found20 = in_server(factory, body, runs=21)
    print(
        f"querybatch of the same 1,000 queries ({args.copies + 1}x = {total} advisories): "
        f"cold {cold20:.1f} ms, warm {warm20:.1f} ms median ({found20} matches); "
        f"warm ratio 20x/1x = {warm20 / warm:.2f}"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
