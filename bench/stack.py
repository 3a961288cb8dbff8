"""The hub's request stack against its framework: its routes side by side with a bare FastAPI.

    PYTHONPATH=src:. .venv/bin/python bench/stack.py [--objects 10000] [--seconds 3] \
        [--rounds 2] [--database-url URL]

Two servers run at once, each one uvicorn worker with the same options (httptools, uvloop, the
access log ``accord serve`` keeps): FastAPI with a single route answering a fixed 2 KB JSON
document (``taxii_servers.bare_app``), and the hub with the same route added
(``taxii_servers.hub_app``), ``--objects`` indicators in a TAXII collection and 300 PyPA
advisories. wrk (Debian's ``wrk``) drives each route in turn with 1 and with 8 keep-alive
connections; the bare route is measured before and after the hub's routes of the same round,
and each hub route is printed as a share of their mean: the machine is shared, so only figures
of the same moment are compared. The hub's routes: its own 2 KB ceiling route (the whole stack,
no dependency), a first TAXII page of 100, ``match[id]`` of one object (a different one each
request), ``added_after`` near the end (100 a page) and ``POST /v1/query`` (real queries of
the imported advisories, in turn). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import thirdparty

from bench import taxii_load as load
from bench import taxii_servers as servers
from bench import wrk
from bench.sharing_taxii import ingest, prepare

ADVISORIES = 300  # PyPA records imported: enough for real matches, seconds to import


def import_advisories(data_dir: Path, database_url: str | None) -> list[bytes]:
    """Import the first PyPA records into the hub; real single queries of them, as bodies."""
    from accord.advisories import importer
    from accord.config import Settings
    from accord.db import make_engine, make_sessionmaker
    from accord.identity.policy import SYSTEM

    settings = Settings(data_dir=data_dir, database_url=database_url)
    folder = data_dir / "osv"
    folder.mkdir()
    pairs: set[tuple[str, str]] = set()
    for path in sorted((thirdparty.PYPA / "vulns").rglob("*.yaml"))[:ADVISORIES]:
        text = path.read_text()
        (folder / path.name).write_text(text)
        for entry in importer.parse(text, name=path.name).get("affected") or []:
            name = entry["package"]["name"]
            pairs.update((name, v) for v in (entry.get("versions") or [])[:5])
    engine = make_engine(settings)
    importer.run(make_sessionmaker(engine), str(folder), actor=SYSTEM, settings=settings)
    engine.dispose()
    chosen = random.Random(2024).sample(sorted(pairs), min(200, len(pairs)))
    return [
        json.dumps({"package": {"ecosystem": "PyPI", "name": n}, "version": v}).encode()
        for n, v in chosen
    ]


def empty(database_url: str) -> None:
    """Drop everything in a PostgreSQL database: the hub is migrated into it afresh."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@dataclass
class SideBySide:
    """The two servers of a run: the hub (seeded, advisories imported) and bare FastAPI."""

    hub: subprocess.Popen[bytes]
    bare: subprocess.Popen[bytes]
    objects_url: str
    auth: str
    bare_url: str  # the bare app's 2 KB route
    queries: list[bytes]  # real OSV queries of the imported advisories, as bodies

    @property
    def base(self) -> str:
        return self.objects_url.split("/taxii2/")[0]


@contextmanager
def side_by_side(
    database_url: str | None,
    *,
    advisories: bool = True,
    before_start: Callable[[Path, list[bytes]], None] | None = None,
) -> Iterator[SideBySide | None]:
    """Seed the hub (emptying a PostgreSQL database first), import advisories if asked, and
    serve it beside bare FastAPI, each one uvicorn worker; both stopped and their folders
    removed at the end. ``before_start`` runs before serving (the data directory and the
    queries); if given, nothing is served and None is yielded."""
    data_dir = Path(tempfile.mkdtemp(prefix="accord-stack-"))
    bare_dir = Path(tempfile.mkdtemp(prefix="accord-bare-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        if database_url:
            empty(database_url)
        seeded = servers.seed_hub(data_dir, database_url)
        queries = import_advisories(data_dir, database_url) if advisories else []
        if before_start is not None:
            before_start(data_dir, queries)
            yield None
            return
        # No job worker in the server: the import queued a refresh of the accountability
        # figures, seconds of CPU that would land in the middle of a measurement.
        hub, objects_url, auth = servers.start_hub(
            data_dir, database_url, seeded=seeded, env={"ACCORD_WORKER_IN_PROCESS": "false"}
        )
        processes.append(hub)
        port = servers.free_port()
        bare_env = {**os.environ, "PYTHONPATH": str(servers.ROOT)}
        bare = servers.serve("bench.taxii_servers:bare_app", port, bare_dir, bare_env)
        processes.append(bare)
        yield SideBySide(
            hub, bare, objects_url, auth, f"http://127.0.0.1:{port}/bench/ceiling", queries
        )
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(bare_dir, ignore_errors=True)


def routes(target: load.Target, base: str, queries: list[bytes]) -> dict[str, dict[str, Any]]:
    """The hub's routes to measure: wrk's arguments for each."""
    taxii = {**target.headers, "Accept": servers.TAXII}
    return {
        "ceiling": {"url": f"{base}/bench/ceiling"},
        "first page": {
            "url": target.objects_url,
            "paths": load.PATHS["first page"](target),
            "headers": taxii,
        },
        "match[id]": {
            "url": target.objects_url,
            "paths": load.PATHS["match[id]"](target),
            "headers": taxii,
        },
        "added_after": {
            "url": target.objects_url,
            "paths": load.PATHS["added_after"](target),
            "headers": taxii,
        },
        "/v1/query": {"url": f"{base}/v1/query", "method": "POST", "bodies": queries},
    }


def measure(
    bare: str, hub: dict[str, dict[str, Any]], *, seconds: float, connections: int
) -> dict[str, float]:
    """Requests per second of every hub route and their share of the bare route's, which is
    measured before and after them."""

    def run(options: dict[str, Any]) -> wrk.WrkResult:
        result = wrk.run(**options, seconds=seconds, connections=connections)
        if result.status_errors or result.socket_errors:
            raise RuntimeError(f"{options['url']}: errors in {result}")
        return result

    before = run({"url": bare})
    measured = {name: run(options) for name, options in hub.items()}
    after = run({"url": bare})
    framework = (before.per_second + after.per_second) / 2
    load_average = os.getloadavg()[0]
    print(f"  bare FastAPI x{connections}: {before.per_second:7,.0f} then "
          f"{after.per_second:7,.0f} req/s (load average {load_average:.1f})")  # fmt: skip
    shares = {}
    for name, result in measured.items():
        shares[name] = result.per_second / framework
        print(f"  hub {name:12} x{connections}: {result.per_second:7,.0f} req/s  "
              f"p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms  "
              f"{shares[name]:5.0%} of bare FastAPI", flush=True)  # fmt: skip
    return shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if not wrk.available():
        sys.exit("wrk is not installed (apt-get install wrk)")
    with side_by_side(args.database_url) as run:
        assert run is not None
        target = load.Target("hub", run.objects_url, {"Authorization": run.auth})
        rate = ingest(target, args.objects, 1000)
        prepare(target, args.objects)
        print(f"{args.objects:,} objects stored ({rate:,.0f}/s); "
              f"load average {os.getloadavg()}", flush=True)  # fmt: skip
        hub_routes = routes(target, run.base, run.queries)
        worst: dict[str, float] = {}
        for round_ in range(args.rounds):
            for connections in (1, 8):
                print(f"round {round_ + 1}, {connections} connection(s):")
                shares = measure(run.bare_url, hub_routes,
                                 seconds=args.seconds, connections=connections)  # fmt: skip
                for name, share in shares.items():
                    key = f"{name} x{connections}"
                    worst[key] = min(worst.get(key, share), share)
        print("lowest share of bare FastAPI over the rounds:")
        for key, share in worst.items():
            print(f"  {key:16} {share:5.0%}")


if __name__ == "__main__":
    main()
