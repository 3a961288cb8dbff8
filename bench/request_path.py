"""The hub's shared request path in process: CPU time per request, route by route, no HTTP.

    PYTHONPATH=src:. .venv/bin/python bench/request_path.py [--requests 2000] [--profile ROUTE]

Drives the ASGI application directly (no socket, no HTTP parser, no client) so that the
figures are the server's own work per request and move little with the machine's load. Side
by side in the same run: the fixed 2 KB route on FastAPI alone and on the hub's stack (the
stack's ceiling), ``/healthz``, the TAXII API
root with a token ("auth only"), a first page of 100 indicators, ``match[id]``, ``added_after``
and a single ``POST /v1/query``. ``--profile NAME`` prints a pyinstrument profile of one of
them (``pip install pyinstrument``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import thirdparty

from bench import taxii_servers as servers

PYPA = thirdparty.PYPA

Request = tuple[str, str, str, dict[str, str], bytes]  # method, path, query, headers, body


async def call(app: Any, request: Request) -> tuple[int, bytes]:
    """One request through the ASGI app; its status and body."""
    method, path, query, headers, body = request
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"host", b"bench"), (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status = 0
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def timed(app: Any, make: Callable[[int], Request], count: int) -> tuple[float, float]:
    """Wall and CPU microseconds per request, after a warm-up; every answer must be a 200.

    CPU time is the process's (every thread's): what a request costs, whatever else the
    machine runs at the time.
    """
    for i in range(50):
        status, body = await call(app, make(i))
        if status != 200:
            raise RuntimeError(f"{make(i)[1]} answered {status}: {body[:300]!r}")
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        await call(app, make(i))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return wall / count * 1e6, cpu / count * 1e6


def seed(data_dir: Path) -> tuple[str, str]:
    """A hub with a token, an empty collection and 300 PyPA advisories: (objects path, auth)."""
    from accord.advisories import importer
    from accord.config import Settings
    from accord.db import make_engine, make_sessionmaker
    from accord.identity.policy import SYSTEM

    collection, token = servers.seed_hub(data_dir, None)
    settings = Settings(data_dir=data_dir, max_request_bytes=4_000_000)
    engine = make_engine(settings)
    files = sorted((PYPA / "vulns").rglob("*.yaml"))[:300]
    folder = data_dir / "osv"
    folder.mkdir()
    for path in files:
        (folder / path.name).write_text(path.read_text())
    importer.run(make_sessionmaker(engine), str(folder), actor=SYSTEM, settings=settings)
    engine.dispose()
    return f"/taxii2/hub/collections/{collection}/objects/", servers.basic("bench", token)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--profile", default=None, help="a route name to profile")
    parser.add_argument("--only", default=None, help="time this route alone (for py-spy)")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="accord-path-"))
    os.environ.update(ACCORD_DATA_DIR=str(data_dir), ACCORD_MAX_REQUEST_BYTES="4000000")
    objects_path, auth = seed(data_dir)
    app = servers.hub_app()
    taxii = {"Authorization": auth, "Accept": servers.TAXII}
    post = {"Authorization": auth, "Accept": servers.TAXII, "Content-Type": servers.TAXII}
    # Envelopes under the queue's threshold (500), stored before the answer: this app runs
    # without its lifespan, so no drainer would ever store larger (queued) ones.
    envelopes = list(servers.envelopes(args.objects, 400))

    async def load() -> None:
        for body in envelopes:
            status, answer = await call(app, ("POST", objects_path, "", post, body))
            if status != 202:
                raise RuntimeError(answer[:300])

    started = time.perf_counter()
    asyncio.run(load())
    ingest = args.objects / (time.perf_counter() - started)
    ids = [servers.indicator(i)["id"] for i in range(args.objects)]
    after = servers.indicator(args.objects - args.objects // 100)["created"]
    query = json.dumps({"package": {"ecosystem": "PyPI", "name": "django"}, "version": "3.2"})
    routes: dict[str, Callable[[int], Request]] = {
        "ceiling": lambda _: ("GET", "/bench/ceiling", "", {}, b""),
        "healthz": lambda _: ("GET", "/healthz", "", {}, b""),
        "auth only": lambda _: ("GET", "/taxii2/hub/", "", taxii, b""),
        "first page": lambda _: ("GET", objects_path, "limit=100", taxii, b""),
        "match[id]": lambda i: (
            "GET",
            objects_path,
            f"match[id]={ids[i * 7919 % len(ids)]}",
            taxii,
            b"",
        ),
        "added_after": lambda _: (
            "GET",
            objects_path,
            f"added_after={after}&limit=100",
            taxii,
            b"",
        ),
        "osv query": lambda _: (
            "POST",
            "/v1/query",
            "",
            {"Content-Type": "application/json"},
            query.encode(),
        ),
    }
    print(f"load average: {os.getloadavg()}; ingest in process: {ingest:,.0f} objects/s")
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002, async_mode="disabled")
        with profiler:
            asyncio.run(timed(app, routes[args.profile], args.requests))
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    # The same 2 KB route on FastAPI alone, before and after the hub's routes: the framework.
    bare = servers.bare_app()
    framework = asyncio.run(timed(bare, routes["ceiling"], args.requests))[1]
    results = {}
    for name, make in routes.items():
        if args.only and name != args.only:
            continue
        results[name] = asyncio.run(timed(app, make, args.requests))
    framework = (framework + asyncio.run(timed(bare, routes["ceiling"], args.requests))[1]) / 2
    print(f"bare FastAPI CPU {framework:7.0f} µs/request")
    for name, (wall, cpu) in results.items():
        print(f"{name:12} CPU {cpu:7.0f} µs/request ({1e6 / cpu:6.0f}/s of one core, "
              f"{framework / cpu:4.0%} of bare FastAPI); wall {wall:7.0f} µs")  # fmt: skip


if __name__ == "__main__":
    main()
