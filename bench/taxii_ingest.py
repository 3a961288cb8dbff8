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

    async def post(body: bytes) -> None:
        status, answer = await call(app, ("POST", path, "", headers, body))
        if status != 202:
            raise RuntimeError(answer[:300])

    async def load() -> None:
        for body in servers.envelopes(args.objects, args.size):
            cpu, wall = time.process_time(), time.perf_counter()
            await post(body)
            times.append((time.process_time() - cpu, time.perf_counter() - wall))

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
    print(
        f"of which the service (parse, validate, store, status; its thread's CPU): "
        f"{args.objects / sum(service):,.0f} objects/s"
    )
    print(
        f"all {args.objects:,}: {args.objects / cpu:,.0f} objects/s of CPU, "
        f"{args.objects / wall:,.0f} of wall; load average at end: {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
