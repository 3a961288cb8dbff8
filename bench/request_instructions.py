"""Instructions per request on the hub's request path, counted by valgrind's callgrind.

    PYTHONPATH=src:. valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=cg.out \\
        .venv/bin/python bench/request_instructions.py ROUTE [--requests 200]

CPU time on a machine shared by other jobs moves by half from run to run; instruction counts
do not. The hub is seeded (a token, a collection, ``--objects`` indicators), 30 requests warm
the route, then callgrind's instrumentation is switched on (``callgrind_control -i on``) for
``--requests`` requests only, and off again: the total valgrind prints ("Collected") divided
by ``--requests`` is the route's instructions per request, every thread included. ROUTE is
one of ``bare`` (the 2 KB route on FastAPI alone), ``ceiling`` (the same route on the hub's
stack), ``auth`` (the TAXII API root with a token), ``page`` (a first page of 100),
``match`` (``match[id]``), ``after`` (``added_after``), ``status`` (the complete status of an
envelope of ``--objects`` objects, 1,000 by default, polled as a TAXII client polls it) or
``query`` (``POST /v1/query``, anonymous, of 300 imported PyPA advisories). Without valgrind it
prints CPU µs per request instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import taxii_servers as servers
from bench.request_path import Request, call, seed

QUERY = json.dumps({"package": {"ecosystem": "PyPI", "name": "django"}, "version": "3.2"}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    names = ["bare", "ceiling", "auth", "page", "match", "after", "status", "query"]
    parser.add_argument("route", choices=names)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--objects", type=int, default=None, help="400; 1,000 for status")
    args = parser.parse_args()
    count = args.objects or (1000 if args.route == "status" else 400)
    data_dir = Path(tempfile.mkdtemp(prefix="accord-instructions-"))
    os.environ.update(ACCORD_DATA_DIR=str(data_dir), ACCORD_MAX_REQUEST_BYTES="4000000")
    if args.route == "status":
        # One envelope, stored before its answer (no lifespan, no drainer): its status is
        # complete, every object a success, as the drainer leaves a queued envelope's.
        os.environ["ACCORD_TAXII_QUEUE_FROM_OBJECTS"] = str(count + 1)
    if args.route == "query":
        objects, auth = seed(data_dir)  # the hub of request_path.py: 300 PyPA advisories
    else:
        collection, token = servers.seed_hub(data_dir, None)
        objects = f"/taxii2/hub/collections/{collection}/objects/"
        auth = servers.basic("bench", token)
    app = servers.bare_app() if args.route == "bare" else servers.hub_app()
    taxii = {"Authorization": auth, "Accept": servers.TAXII}
    post = {**taxii, "Content-Type": servers.TAXII}
    polled = [""]
    if args.route not in ("bare", "ceiling", "query"):

        async def load() -> None:
            # Envelopes under the queue's threshold: stored before the answer (no lifespan).
            size = count if args.route == "status" else 400
            for body in servers.envelopes(count, size):
                status, answer = await call(app, ("POST", objects, "", post, body))
                if status != 202:
                    raise RuntimeError(answer[:300])
                polled[0] = f"/taxii2/hub/status/{json.loads(answer)['id']}/"

        asyncio.run(load())
    ids = [servers.indicator(i)["id"] for i in range(count)]
    after = servers.indicator(count - count // 4)["created"]
    routes: dict[str, Callable[[int], Request]] = {
        "bare": lambda _: ("GET", "/bench/ceiling", "", {}, b""),
        "ceiling": lambda _: ("GET", "/bench/ceiling", "", {}, b""),
        "auth": lambda _: ("GET", "/taxii2/hub/", "", taxii, b""),
        "page": lambda _: ("GET", objects, "limit=100", taxii, b""),
        "match": lambda i: ("GET", objects, f"match[id]={ids[i * 7919 % len(ids)]}", taxii, b""),
        "after": lambda _: ("GET", objects, f"added_after={after}&limit=100", taxii, b""),
        "status": lambda _: ("GET", polled[0], "", taxii, b""),
        "query": lambda _: ("POST", "/v1/query", "", {"Content-Type": "application/json"}, QUERY),
    }
    make = routes[args.route]

    async def run(requests: int) -> None:
        for i in range(requests):
            status, body = await call(app, make(i))
            if status != 200:
                raise RuntimeError(f"{args.route} answered {status}: {body[:300]!r}")

    asyncio.run(run(30))
    under_valgrind = "valgrind" in os.environ.get("LD_PRELOAD", "")
    if under_valgrind:
        switch = ["callgrind_control", "-i"]
        subprocess.run([*switch, "on", str(os.getpid())], check=True, capture_output=True)
        asyncio.run(run(args.requests))
        subprocess.run([*switch, "off", str(os.getpid())], check=True, capture_output=True)
        print(f"{args.requests} requests: divide valgrind's 'Collected' by {args.requests}")
        return
    started = time.process_time()
    asyncio.run(run(args.requests))
    cpu = (time.process_time() - started) / args.requests * 1e6
    print(f"{args.route}: CPU {cpu:.0f} µs/request (not under valgrind)")


if __name__ == "__main__":
    main()
