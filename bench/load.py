"""The hub under a mixed load, as a load test would drive it (issue: "holds under load").

One seeded hub (``bench.taxii_servers.start_hub``: SQLite, or PostgreSQL with ``--database``,
one process or ``--workers N``) on 127.0.0.1 only, and a bounded asyncio client: ``N``
keep-alive connections, each sending one request after another for ``--seconds``, every
request given up after 30 s. The workload mixes what clients of a hub do at once:

    TAXII POST of 5 indicators 15%, TAXII GET 18%, case messages posted 7% and read 8%,
    advisory drafts 5%, the advisory list 15%, querybatch 10%, /v1/vulns 8%, a sharing
    look-up 7%, the signatories page 7%.

For each level of connections it prints requests per second, p50 / p99 per route, the
requests refused with 503 (the hub's back-pressure: Retry-After is honoured, as a client
should), every other failure (5xx, timeouts, resets), and the writes acknowledged but not
found in the database afterwards (lost writes). Beside them, measured in the same run at the
first level: each route alone (its single-route rate) and the bare 2 KB route (the stack's
ceiling), and the server's CPU time per answered request. ``--soak`` runs the workload for 30
minutes, samples the server's memory and open files every minute and prints them all at the end.

    PYTHONPATH=src python -m bench.load --connections 50 200 1000 --seconds 45
    PYTHONPATH=src python -m bench.load --database postgresql+psycopg://postgres@127.0.0.1/h_x \\
        --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import admission_probe, soak, taxii_servers, turn_probe
from bench.load_client import Request, Tally, call, cpu_seconds, drive, sample

DRAFT = {
    "summary": "Path traversal in acme-widget",
    "details": "A crafted name escapes the upload folder.",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "acme-widget"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "2.0.1"}]}
            ],
        }
    ],
}
REPORT = {
    "title": "SQL injection in the search endpoint",
    "product": "Example Shop",
    "description": "The q parameter of /search reaches SQL unescaped, letting anyone read tables.",
    "steps_to_reproduce": "1. Install 2.1.0\n2. GET /search?q=' OR 1=1 --\n3. See every row.",
}
QUERIES = {
    "queries": [
        {"package": {"ecosystem": "PyPI", "name": "acme-widget"}, "version": f"1.{i}"}
        for i in range(10)
    ]
}


@dataclass
class Hub:
    """A seeded hub's address and its fixtures, and the writes it acknowledged."""

    port: int
    objects: str  # the TAXII objects path
    basic: str
    bearer: str
    report_token: str
    vuln_id: str
    slug: str
    acked: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    counter: int = 10_000_000

    def workload(self, rng: random.Random) -> Request:
        """A request drawn with the workload's weights."""
        pick = rng.random()
        for weight, make in WEIGHTS:
            if pick < weight:
                return make(self)
            pick -= weight
        return WEIGHTS[-1][1](self)

    def next_ids(self, count: int) -> list[int]:
        start = self.counter
        self.counter += count
        return list(range(start, start + count))


def taxii_post(hub: Hub) -> Request:
    objects = [taxii_servers.indicator(i) for i in hub.next_ids(5)]
    ids = [o["id"] for o in objects]

    def ack(status: int, body: bytes) -> None:
        if status == 202 and json.loads(body).get("status") == "complete":
            hub.acked["taxii"].update(ids)

    headers = {"Authorization": hub.basic, "Content-Type": taxii_servers.TAXII}
    headers["Accept"] = taxii_servers.TAXII
    body = json.dumps({"objects": objects}).encode()
    return Request("taxii POST", "POST", hub.objects, headers, body, ack)


def taxii_get(hub: Hub) -> Request:
    headers = {"Authorization": hub.basic, "Accept": taxii_servers.TAXII}
    return Request("taxii GET", "GET", hub.objects + "?limit=20", headers)


def message_post(hub: Hub) -> Request:
    text = f"message {uuid.uuid4()}"

    def ack(status: int, _body: bytes) -> None:
        if status == 201:
            hub.acked["messages"].add(text)

    headers = {"X-Accord-Report-Token": hub.report_token, "Content-Type": "application/json"}
    body = json.dumps({"body": text}).encode()
    path = "/api/v1/disclosure/report/messages"
    return Request("case message POST", "POST", path, headers, body, ack)


def message_get(hub: Hub) -> Request:
    headers = {"X-Accord-Report-Token": hub.report_token}
    return Request("case messages GET", "GET", "/api/v1/disclosure/report/messages", headers)


def draft(hub: Hub) -> Request:
    def ack(status: int, body: bytes) -> None:
        if status == 201:
            hub.acked["drafts"].add(str(json.loads(body)["id"]))

    headers = {"Authorization": f"Bearer {hub.bearer}", "Content-Type": "application/json"}
    body = json.dumps(DRAFT).encode()
    return Request("advisory draft", "POST", f"/api/v1/advisories/orgs/{hub.slug}", headers,
                   body, ack)  # fmt: skip


def advisory_list(_hub: Hub) -> Request:
    return Request("advisory list", "GET", "/api/v1/advisories?limit=20", {})


def querybatch(_hub: Hub) -> Request:
    headers = {"Content-Type": "application/json"}
    return Request("querybatch", "POST", "/v1/querybatch", headers, json.dumps(QUERIES).encode())


def vuln(hub: Hub) -> Request:
    return Request("/v1/vulns", "GET", f"/v1/vulns/{hub.vuln_id}", {})


def look_up(hub: Hub) -> Request:
    values = [uuid.uuid5(taxii_servers.NAMESPACE, f"sha{i}").hex * 2 for i in range(3)]
    headers = {"Authorization": f"Bearer {hub.bearer}", "Content-Type": "application/json"}
    body = json.dumps({"values": values}).encode()
    return Request("look-up", "POST", "/api/v1/sharing/lookup", headers, body)


def signatories(_hub: Hub) -> Request:
    return Request("signatories page", "GET", "/signatories", {"Accept": "text/html"})


def ceiling(_hub: Hub) -> Request:
    return Request("2 KB ceiling", "GET", "/bench/ceiling", {})


WEIGHTS: list[tuple[float, Callable[[Hub], Request]]] = [
    (0.15, taxii_post),
    (0.18, taxii_get),
    (0.07, message_post),
    (0.08, message_get),
    (0.05, draft),
    (0.15, advisory_list),
    (0.10, querybatch),
    (0.08, vuln),
    (0.07, look_up),
    (0.07, signatories),
]


# -- the hub -------------------------------------------------------------------------------


def prepare(port: int, objects_url: str, basic: str, token: str) -> Hub:
    """Fixtures the workload reads: a case reported to the hub, a published advisory."""
    hub = Hub(port=port, objects=objects_url.split(str(port), 1)[1], basic=basic, bearer=token,
              report_token="", vuln_id="none", slug="bench-cert")  # fmt: skip
    headers = {"Content-Type": "application/json"}
    status, body = call(port, Request("", "POST", "/api/v1/disclosure/reports", headers,
                                      json.dumps(REPORT).encode()))  # fmt: skip
    assert status == 201, body
    hub.report_token = json.loads(body)["token"]
    status, body = call(port, draft(hub))
    assert status == 201, body
    advisory = json.loads(body)["id"]
    bearer = {"Authorization": f"Bearer {token}"}
    status, body = call(port, Request("", "POST", f"/api/v1/advisories/{advisory}/publish", bearer))
    if status == 200:
        hub.vuln_id = json.loads(body).get("osv_id") or advisory
    else:
        print(f"(publishing the seed advisory answered {status}: /v1/vulns answers 404s)")
    hub.acked.clear()
    return hub


def lost_writes(hub: Hub, database_url: str) -> dict[str, int]:
    """Acknowledged writes not found in the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    lost = {}
    with engine.connect() as conn:
        stored = {r[0] for r in conn.execute(text("SELECT stix_id FROM sharing_objects"))}
        lost["taxii objects"] = len(hub.acked["taxii"] - stored)
        stored = {r[0] for r in conn.execute(text("SELECT body FROM disclosure_messages"))}
        lost["case messages"] = len(hub.acked["messages"] - stored)
        stored = {str(r[0]) for r in conn.execute(text("SELECT osv_id FROM advisories"))}
        stored |= {str(r[0]) for r in conn.execute(text("SELECT id FROM advisories"))}
        lost["drafts"] = len(hub.acked["drafts"] - stored)
    engine.dispose()
    return lost


# -- printing ------------------------------------------------------------------------------


def pct(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def report(label: str, tally: Tally, singles: dict[str, float], top: float) -> None:
    failed = sum(len(v) for v in tally.failed.values())
    refused = sum(tally.refused.values())
    rate = tally.answered / tally.seconds
    print(f"\n{label}: {rate:,.0f} req/s answered, {refused} refused (503), {failed} failed; "
          f"2 KB ceiling {top:,.0f} req/s")  # fmt: skip
    print(f"  {'route':20} {'req/s':>7} {'alone':>7} {'share':>6} {'p50 ms':>8} {'p99 ms':>8}"
          f" {'503':>5} {'fail':>5}")  # fmt: skip
    for _, make in WEIGHTS:
        name = make(DUMMY).route
        seen = tally.latencies.get(name, [])
        per = len(seen) / tally.seconds
        alone = singles.get(name, float("nan"))
        reasons = tally.failed.get(name, [])
        print(f"  {name:20} {per:7.1f} {alone:7.0f} {per / alone if alone else 0:6.0%}"
              f" {pct(seen, 50):8.1f} {pct(seen, 99):8.1f} {tally.refused.get(name, 0):5}"
              f" {len(reasons):5} {' '.join(sorted(set(reasons)))}")  # fmt: skip
    everything = [x for v in tally.latencies.values() for x in v]
    print(f"  all: p50 {pct(everything, 50):.1f} ms, p99 {pct(everything, 99):.1f} ms; the "
          f"client's own event loop lag p50 {pct(tally.lags, 50):.0f} ms, p99 "
          f"{pct(tally.lags, 99):.0f} ms, max {max(tally.lags, default=0) * 1000:.0f} ms"
          )  # fmt: skip
    print(f"  new connections opened by requests: {len(tally.connects)}, open p50 "
          f"{pct(tally.connects, 50):.1f} ms, p99 {pct(tally.connects, 99):.1f} ms; the answered "
          f"among them p50 {pct(tally.reconnected, 50):.0f} ms, p99 "
          f"{pct(tally.reconnected, 99):.0f} ms ({len(tally.reconnected)}); on connections "
          f"already open p50 {pct(tally.kept, 50):.0f} ms, "
          f"p99 {pct(tally.kept, 99):.0f} ms")  # fmt: skip
    if singles:
        # What the mix would reach if each route ran at its single-route rate, in turn.
        expected = 1 / sum(w / singles[f(DUMMY).route] for w, f in WEIGHTS)
        print(f"  mixed rate / the single-route rates in the mix's proportions: "
              f"{rate / expected:.0%} (of {expected:,.0f} req/s)")  # fmt: skip


DUMMY = Hub(port=0, objects="/", basic="", bearer="", report_token="", vuln_id="", slug="")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--seconds", type=float, default=None, help="45; with --soak 1800")
    parser.add_argument("--single-seconds", type=float, default=5.0,
                        help="each route alone, at the first level (0: skip)")  # fmt: skip
    parser.add_argument("--database", help="a PostgreSQL URL (emptied); default SQLite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--soak", action="store_true", help="30 minutes at the first level")
    parser.add_argument("--trace-memory", action="store_true",
                        help="with --soak: each server process samples its memory")  # fmt: skip
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="FRAMES",
                        help="with --trace-memory: tracemalloc's growth by traceback")  # fmt: skip
    parser.add_argument("--probe", action="store_true",
                        help="time writes, admission and the event loop in the server")  # fmt: skip
    parser.add_argument("--recovery", type=float, default=5.0,
                        help="seconds after a level within which /healthz must answer")  # fmt: skip
    args = parser.parse_args()
    if args.soak:
        args.connections = args.connections[:1]
    args.seconds = args.seconds or (1800.0 if args.soak else 45.0)
    os.environ.setdefault("ACCORD_PUBLIC_FORM_PER_HOUR", "1000000")
    data_dir = Path(tempfile.mkdtemp(prefix="accord-load-"))
    if args.database:
        from sqlalchemy import create_engine, text

        engine = create_engine(args.database, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    url = args.database or f"sqlite:///{data_dir / 'accord.db'}"
    probe, admitted = data_dir / "turn-probe.json", data_dir / "admission-probe.json"
    env = {turn_probe.PROBE: str(probe), admission_probe.PROBE: str(admitted)}
    env = env if args.probe else {}
    memory = data_dir / "memory" if args.trace_memory else None
    if memory:
        env |= soak.probe_env(memory, soak.SAMPLE_SECONDS, args.tracemalloc)
    process, objects_url, basic = taxii_servers.start_hub(
        data_dir, args.database, workers=args.workers, env=env
    )
    try:
        port = int(objects_url.split(":")[2].split("/")[0])
        token = basic_token(basic)
        hub = prepare(port, objects_url, basic, token)
        print(f"hub: {'PostgreSQL' if args.database else 'SQLite'}, {args.workers} process(es), "
              f"pid {process.pid}, data in {data_dir}")  # fmt: skip
        singles: dict[str, float] = {}
        first = args.connections[0]
        if args.single_seconds:
            costs: dict[str, float] = {}
            for _, make in [*WEIGHTS, (0.0, ceiling)]:
                spent = cpu_seconds(process.pid)
                alone = asyncio.run(drive(hub, first, args.single_seconds, make))
                spent = cpu_seconds(process.pid) - spent
                singles[make(DUMMY).route] = alone.answered / alone.seconds
                costs[make(DUMMY).route] = spent / max(alone.answered, 1) * 1000
            print("alone at", first, "connections:",
                  ", ".join(f"{k} {v:,.0f}/s" for k, v in singles.items()))  # fmt: skip
            # The server's CPU per answered request of each route alone: which routes the
            # mix's CPU goes to (its share is this times the route's weight).
            print("server CPU per answered request alone:",
                  ", ".join(f"{k} {v:.1f} ms" for k, v in costs.items()))  # fmt: skip
        for level in args.connections:
            top = asyncio.run(drive(hub, level, min(5.0, args.seconds), ceiling))
            before, cpu = sample(process.pid), cpu_seconds(process.pid)
            if args.soak:
                tally = asyncio.run(soak.soak(hub, level, args.seconds, process.pid, memory))
            else:
                tally = asyncio.run(drive(hub, level, args.seconds))
            cpu, after = cpu_seconds(process.pid) - cpu, sample(process.pid)
            report(f"{level} connections, {tally.seconds:.0f} s", tally, singles,
                   top.answered / top.seconds)  # fmt: skip
            print(f"  server memory {before[0] // 1024} -> {after[0] // 1024} MB, "
                  f"open files {before[1]} -> {after[1]}")  # fmt: skip
            refused = sum(tally.refused.values())
            print(f"  server CPU {cpu:.1f} s: {cpu / max(tally.answered, 1) * 1000:.2f} ms per "
                  f"answered request ({tally.answered} answered, {refused} refused)")  # fmt: skip
            recovered = recovery(port, args.recovery)
            print(f"  after the load: /healthz answered 200 in {recovered:.2f} s")
        print("lost writes (acknowledged, not stored):", lost_writes(hub, url),
              f"of {len(hub.acked['taxii'])} objects, {len(hub.acked['messages'])} messages, "
              f"{len(hub.acked['drafts'])} drafts acknowledged")  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=60)
    if args.probe:
        print("in the server, every level and the set-up:", turn_probe.summary(probe))
        print("where the answered requests' time went in the server (ms), every level:")
        print(admission_probe.summary(admitted))


def basic_token(basic: str) -> str:
    import base64

    return base64.b64decode(basic.split()[1]).decode().partition(":")[2]


def recovery(port: int, seconds: float) -> float:
    """Seconds until /healthz answers 200 once the load stopped; fails past ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            status, _ = call(port, Request("", "GET", "/healthz", {}))
            if status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"/healthz did not answer 200 within {seconds} s of the load stopping")


if __name__ == "__main__":
    main()
