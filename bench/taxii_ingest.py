"""TAXII ingest in process: CPU time per object posted, envelope by envelope, no HTTP.

    PYTHONPATH=src:. .venv/bin/python bench/taxii_ingest.py [--objects 20000]
        [--database-url postgresql+psycopg://...]

Posts the TAXII benchmark's indicators (``bench/taxii_servers.py``: a SHA-256 pattern and a
TLP:GREEN marking each) through the ASGI application in envelopes of 1,000, the whole POST
path included (authentication, parsing, validation, the insert, the status resource, the
commit). Prints objects per second of the process's CPU time (which moves less with the
machine's load than wall time) and of wall time, tenth by tenth of the envelopes, so that
the cost as the collection grows shows. The route runs on the thread
pool, so profile it with ``py-spy record --gil`` (pyinstrument sees the event loop's thread).

Envelopes large enough to be queued (``taxii_queue_from_objects``, 500 by default) are
answered "pending"; there is no lifespan here, so no drainer process: the queue is drained in
this process after every ``--drain-every`` envelopes, as ``accord.sharing.drainer`` does, and
its CPU time is printed apart (the web process's and the drainer's work, one after the other).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import taxii_servers as servers
from bench.request_path import call


def _time_service() -> list[float]:
    """Wrap ``services.add_objects`` to record the CPU time of its thread, call by call."""
    from accord.sharing import services

    spent: list[float] = []
    original = services.add_objects

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.thread_time() - started)

    services.add_objects = timed  # type: ignore[assignment]
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=1000, help="objects per envelope")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--drain-every", type=int, default=5, help="envelopes between drains")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="accord-ingest-"))
    os.environ.update(ACCORD_DATA_DIR=str(data_dir), ACCORD_MAX_REQUEST_BYTES="4000000")
    if args.database_url:
        os.environ["ACCORD_DATABASE_URL"] = args.database_url
    collection, token = servers.seed_hub(data_dir, args.database_url)
    service = _time_service()
    app = servers.hub_app()
    path = f"/taxii2/hub/collections/{collection}/objects/"
    auth = servers.basic("bench", token)
    headers = {"Authorization": auth, "Accept": servers.TAXII, "Content-Type": servers.TAXII}
    print(f"load average at start: {os.getloadavg()}")
    times: list[tuple[float, float]] = []
    drained = [0.0, 0.0]  # CPU and wall time of the drains
    drainer = _drainer(app)

    async def post(body: bytes) -> None:
        status, answer = await call(app, ("POST", path, "", headers, body))
        if status != 202:
            raise RuntimeError(answer[:300])

    def drain() -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        while drainer():
            pass
        drained[0] += time.process_time() - cpu
        drained[1] += time.perf_counter() - wall

    async def load() -> None:
        for index, body in enumerate(servers.envelopes(args.objects, args.size)):
            cpu, wall = time.process_time(), time.perf_counter()
            await post(body)
            times.append((time.process_time() - cpu, time.perf_counter() - wall))
            if (index + 1) % args.drain_every == 0:
                drain()
        drain()

    asyncio.run(load())
    tenth = max(1, len(times) // 10)
    for start in range(0, len(times), tenth):
        part = times[start : start + tenth]
        objects = len(part) * args.size
        cpu = sum(c for c, _ in part)
        wall = sum(w for _, w in part)
        print(
            f"objects {start * args.size:>9,} to {(start + len(part)) * args.size:>9,}: "
            f"{objects / cpu:,.0f} objects/s of CPU, {objects / wall:,.0f} of wall"
        )
    cpu = sum(c for c, _ in times)
    wall = sum(w for _, w in times)
    if sum(service):
        print(
            f"of which the service (parse, validate, store, status; its thread's CPU): "
            f"{args.objects / sum(service):,.0f} objects/s"
        )
    print(
        f"the POSTs, all {args.objects:,}: {args.objects / cpu:,.0f} objects/s of CPU "
        f"({1e6 * cpu / args.objects:.1f} µs an object), {args.objects / wall:,.0f} of wall"
    )
    if drained[0]:
        print(
            f"the drains (queued envelopes stored): {args.objects / drained[0]:,.0f} objects/s "
            f"of CPU ({1e6 * drained[0] / args.objects:.1f} µs an object), "
            f"{args.objects / drained[1]:,.0f} of wall"
        )
    print(f"load average at end: {os.getloadavg()}")


def _drainer(app: Any) -> Any:
    """One drain of the app's queue, as the drainer process makes it (its own engine, with
    the drainer's page cache on SQLite); returns how many entries it stored."""
    from sqlalchemy import event

    from accord.db import DRAINER_CONNECTIONS, make_engine, make_sessionmaker
    from accord.sharing.queue import drain, writer_cache

    settings = app.state.settings
    engine = make_engine(settings, connections=DRAINER_CONNECTIONS)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", writer_cache)
    sessions = make_sessionmaker(engine)
    return lambda: drain(app.state.queue, sessions, limit=settings.taxii_queue_batch_objects)


if __name__ == "__main__":
    main()
