"""Indicator look-up at scale: 10,000 values against a million indicators and 100,000
warninglist entries, timed in the server (the look-up service, no HTTP).

    PYTHONPATH=src .venv/bin/python bench/lookup_scale.py \
        [--indicators 1000000] [--values 10000] [--warninglist-entries 100000] [--runs 5] \
        [--database-url URL [--reuse]] [--stages] [--profile] [--instructions]

Builds one public collection of CLEAR indicators through the bulk path (``sharing.bulk``, as
the TAXII queue's drainer stores them): addresses (45%), /24 ranges (1%) and /16 ranges (0.1%),
domain names (25%), SHA-256 hashes (15%) and URLs (14%), each with its look-up index rows;
loads the default warninglists plus one of host names to reach ``--warninglist-entries``. Then
looks up ``--values`` values, half of them stored, a tenth of them addresses inside stored
ranges only, some on warninglists, and prints the time of what the API's route does, the answer
(``indicators.answer``) and its JSON (``jsonio.dumps``) (median of ``--runs`` after one
warm-up, which builds the warninglist matcher; then, as the server does once started, what is
built is frozen out of the garbage collector's way), its parts, the hits, and the ratio of the
times to the goal (100 ms). ``--reuse`` runs on a database a previous run built
(``--database-url sqlite:////path/lookup.db``), migrated first.

A --database-url of PostgreSQL is emptied first (its public schema is dropped). The same
look-up split across processes (``sharing.lookup_pool``), beside this: bench/lookup_pooled.py.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session, sessionmaker

from accord import jsonio
from accord.clock import utcnow
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work, upgrade
from accord.identity.policy import ANONYMOUS, SYSTEM
from accord.sharing import bulk, indicators, ingest, lookup, warninglists
from accord.sharing.models import Collection, Observable, StixObject
from accord.sharing.readers import reader_for

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accountability_bench import _orgs, prepare
from server_cpu import session_cpu

BATCH = 50_000
GOAL_MS = 100.0  # issue 24: 10,000 values in under 100 ms in the server


def _value(i: int) -> tuple[str, str]:
    """The (kind, value) of indicator ``i``, spread over the kinds as the docstring says."""
    slot = i % 100
    a, b, c, d = 11 + i % 200, (i >> 8) & 255, (i >> 16) & 255, i & 255
    if slot == 44:
        return "ipv4-net", f"{a}.{b}.{d}.0/24"
    if slot == 45 and i % 1000 == 45:
        return "ipv4-net", f"{a}.{d}.0.0/16"
    if slot < 46:
        return "ipv4", f"{a}.{b}.{c}.{d}"
    if slot < 71:
        return "domain", f"host{i}.bad{i % 997}.example"
    if slot < 86:
        return "sha256", hashlib.sha256(str(i).encode()).hexdigest()
    return "url", f"http://dl{i}.bad{i % 997}.example/payload/{i}.bin"


_STIX = {
    "ipv4": "ipv4-addr:value",
    "ipv4-net": "ipv4-addr:value",
    "domain": "domain-name:value",
    "url": "url:value",
    "sha256": "file:hashes.'SHA-256'",
}


def build(factory: sessionmaker[Session], count: int) -> None:
    """The organization, the collection and ``count`` indicators with their index rows."""
    with unit_of_work(factory) as db:
        db.execute(insert(_org_table()), [_orgs()[0]])
        db.add(
            Collection(
                id=1, uuid=str(uuid.uuid4()), title="bench", description="", owner_org_id=1,
                default_tlp="clear", public_read=True, community_read=False,
            )
        )  # fmt: skip
    now = utcnow()
    start = now - timedelta(days=5)
    for first in range(0, count, BATCH):
        objects, observables = [], []
        for i in range(first, min(first + BATCH, count)):
            kind, value = _value(i)
            row_id = i + 1
            added = start + timedelta(microseconds=i)
            body = {
                "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.UUID(int=i)}",
                "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
                "name": f"bench {i}", "pattern": f"[{_STIX[kind]} = '{value}']",
                "pattern_type": "stix", "valid_from": added.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "confidence": 40 + i % 60,
            }  # fmt: skip
            objects.append(
                {
                    "id": row_id, "collection_id": 1, "stix_id": body["id"],
                    "stix_type": "indicator", "spec_version": "2.1", "version": added,
                    "date_added": added, "is_latest": True, "is_first": True, "revoked": False,
                    "tlp": "clear", "producer_org_id": 1, "audience_id": None,
                    "origin_remote_id": None, "sighting_of": None, "sighting_count": None,
                    "body": json.dumps(body, separators=(",", ":")),
                }
            )  # fmt: skip
            observables.append(
                {"object_id": row_id, "key": lookup.key(kind, value), "kind": kind, "value": value}
            )
        with unit_of_work(factory) as db:
            connection = db.connection()
            bulk.insert_rows(connection, StixObject, objects)
            bulk.insert_rows(connection, Observable, observables)
            ingest.note_prefixes(db, [(o["kind"], o["value"]) for o in observables])
        print(f"  {first + len(objects):,} indicators stored", flush=True)
    with unit_of_work(factory) as db:
        db.execute(text("ANALYZE"))


def _org_table() -> Any:
    from accord.identity.models import Organization

    return Organization


def load_lists(factory: sessionmaker[Session], total: int) -> int:
    """A list of host names bringing the entries in force to ``total``."""
    shipped = sum(len(p.entries) for p in warninglists.defaults().values())
    extra = max(total - shipped, 0)
    parsed = warninglists.parse(
        {
            "name": "bench hosts",
            "type": "hostname",
            "list": [f"benign{i}.cdn{i % 101}.example" for i in range(extra)],
            "matching_attributes": ["domain", "hostname", "url"],
        }
    )
    with unit_of_work(factory) as db:
        warninglists.load(db, actor=SYSTEM, parsed=parsed)
    return shipped + extra


def _reused(settings: Settings) -> tuple[Engine | None, sessionmaker[Session] | None]:
    """The database as it is, migrated, if it already holds the bench's collection."""
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as db:
        if db.get(Collection, 1) is None:
            engine.dispose()
            return None, None
    return engine, factory


def values(count: int, stored: int) -> list[str]:
    """``count`` values: half stored indicators, a tenth inside stored ranges, the rest not
    stored (some on warninglists)."""
    rng = random.Random(7)
    found: list[str] = []
    for n in range(count):
        roll = n % 10
        if roll < 5:
            kind, value = _value(rng.randrange(stored))
            if kind == "ipv4-net":
                value = value.split("/")[0][:-1] + "77"
            found.append(value)
        elif roll == 5:
            i = rng.randrange(stored // 100) * 100 + 44  # a /24 range's slot
            value = _value(i)[1].split("/")[0]
            found.append(value[: value.rfind(".")] + f".{rng.randrange(1, 255)}")
        elif roll == 6:
            found.append(rng.choice(["8.8.8.8", "10.1.2.3", "1.1.1.1", "192.168.0.7"]))
        elif roll == 7:
            found.append(f"benign{rng.randrange(30_000)}.cdn{rng.randrange(101)}.example")
        elif roll == 8:
            found.append(hashlib.sha256(f"absent {n}".encode()).hexdigest())
        else:
            found.append(f"https://absent{n}.example/x?y={n}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--values", type=int, default=10_000)
    parser.add_argument("--warninglist-entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Use the database at --database-url as it is when it already holds indicators "
        "(migrated to the latest first), rather than emptying and building it.",
    )
    parser.add_argument(
        "--profile", action="store_true", help="Also print one run's profile (cProfile)."
    )
    parser.add_argument(
        "--stages",
        action="store_true",
        help="Also print this process's CPU time per stage and, on PostgreSQL, its server "
        "process's (median of --runs).",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="Under valgrind --tool=callgrind --instr-atstart=no: count one look-up and its "
        "JSON after the warm-up (valgrind prints 'Collected'), and stop.",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), database_url=args.database_url)
        engine, factory = _reused(settings) if args.reuse else (None, None)
        if engine is None or factory is None:
            engine, factory = prepare(settings)
            print(f"{engine.dialect.name}: building {args.indicators:,} indicators", flush=True)
            began = time.perf_counter()
            build(factory, args.indicators)
            entries = load_lists(factory, args.warninglist_entries)
            print(f"built in {time.perf_counter() - began:.0f} s; {entries:,} warninglist entries")
        else:
            print(f"{engine.dialect.name}: reusing the indicators stored")
        asked = values(args.values, args.indicators)
        timings: list[float] = []
        cpu: list[float] = []
        parts: list[float] = []
        for run in range(args.runs + 1):
            with unit_of_work(factory) as db:
                reader = reader_for(db, ANONYMOUS)
                c0, t0 = time.process_time(), time.perf_counter()
                results = indicators.answer(db, reader=reader, values=asked)
                written = jsonio.dumps(results)
                t1, c1 = time.perf_counter(), time.process_time()
                matcher = warninglists.matcher(db)
                pairs = [lookup.classify(v) for v in asked]
                t2 = time.perf_counter()
                flagged = sum(1 for k, v in pairs if matcher.match(k, v))
                t3 = time.perf_counter()
            if run == 0 and args.instructions:
                _instructions(factory, asked)
                return
            if run == 0:
                print(f"warm-up (builds the warninglist matcher): {(t1 - t0) * 1000:.0f} ms")
                # As the server does once started (web/app.py): what start-up built is kept
                # out of every garbage collection.
                gc.collect()
                gc.freeze()
                continue
            timings.append(t1 - t0)
            cpu.append(c1 - c0)
            parts.append(t3 - t2)
        _digests(factory, asked)
        hits = sum(1 for r in results if r["indicators"])
        via = sum(1 for r in results for i in r["indicators"] if i["via"])
        listed = sum(1 for r in results if r["warninglists"])
        median = statistics.median(timings)
        print(
            f"answer of {len(asked):,} values ({len(written):,} bytes of JSON): "
            f"median {median * 1000:.0f} ms "
            f"(min {min(timings) * 1000:.0f}, max {max(timings) * 1000:.0f}; "
            f"{median / len(asked) * 1e6:.1f} us a value); this process's CPU time: median "
            f"{statistics.median(cpu) * 1000:.0f} ms (min {min(cpu) * 1000:.0f}); "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print(
            f"  goal {GOAL_MS:.0f} ms: wall median {median * 1000 / GOAL_MS:.2f} of it, "
            f"CPU median {statistics.median(cpu) * 1000 / GOAL_MS:.2f}, "
            f"CPU min {min(cpu) * 1000 / GOAL_MS:.2f}"
        )
        print(
            f"  of which warninglist matching alone: {statistics.median(parts) * 1000:.0f} ms "
            f"({flagged:,} values flagged)"
        )
        print(f"  values with hits: {hits:,}; hits through a range or host: {via:,}; "
              f"flagged: {listed:,}")  # fmt: skip
        if args.stages:
            _stages(factory, asked, args.runs)
        if args.profile:
            import cProfile
            import pstats

            with unit_of_work(factory) as db:
                reader = reader_for(db, ANONYMOUS)
                profile = cProfile.Profile()
                profile.runcall(indicators.answer, db, reader=reader, values=asked)
            pstats.Stats(profile).sort_stats("tottime").print_stats(15)
        engine.dispose()


def _instructions(factory: sessionmaker[Session], asked: list[str]) -> None:
    """One look-up and its JSON with callgrind's instrumentation on (this process only)."""
    import subprocess

    switch = ["callgrind_control", "-i"]
    gc.collect()
    gc.freeze()
    with unit_of_work(factory) as db:
        reader = reader_for(db, ANONYMOUS)
        subprocess.run([*switch, "on", str(os.getpid())], check=True, capture_output=True)
        jsonio.dumps(indicators.answer(db, reader=reader, values=asked))
        subprocess.run([*switch, "off", str(os.getpid())], check=True, capture_output=True)
    print("one look-up and its JSON counted: valgrind's 'Collected'")


def _digests(factory: sessionmaker[Session], asked: list[str]) -> None:
    """The SHA-256 of the answer's JSON at a fixed time (three days after the last indicator
    was added, so that scores are the same from run to run on one database), without and
    with expired indicators: a change to the look-up must leave both as they were."""
    with unit_of_work(factory) as db:
        last = db.execute(text("SELECT max(date_added) FROM sharing_objects")).scalar_one()
        if isinstance(last, str):  # SQLite's own text
            last = datetime.fromisoformat(last)
        now = (last if last.tzinfo else last.replace(tzinfo=UTC)) + timedelta(days=3)
        reader = reader_for(db, ANONYMOUS)
        digests = [
            hashlib.sha256(
                jsonio.dumps(
                    indicators.answer(
                        db, reader=reader, values=asked, include_expired=expired, now=now
                    )
                )
            ).hexdigest()
            for expired in (False, True)
        ]
    print(f"  answer's SHA-256 at {now.isoformat()}: {digests[0]} (with expired: {digests[1]})")


def _stages(factory: sessionmaker[Session], asked: list[str], runs: int) -> None:
    """This process's CPU time in each stage of ``indicators.answer`` (the rest: classifying
    the values, their ranges and hosts, the results) and in the JSON, and the CPU time of the
    PostgreSQL server process serving the session (``/proc/PID/schedstat``; parallel workers
    are turned off for the session so that the statement's work is all counted there)."""
    spent: dict[str, list[float]] = {}
    patched = [(indicators, "_hits"), (indicators, "_answers"), (warninglists, "flags")]
    originals = [getattr(module, name) for module, name in patched]

    def timed(name: str, function: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            began = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent.setdefault(name, []).append(time.process_time() - began)

        return run

    for (module, name), function in zip(patched, originals, strict=True):
        setattr(module, name, timed(name, function))
    try:
        for _ in range(runs):
            with unit_of_work(factory) as db:
                server = session_cpu(db)
                reader = reader_for(db, ANONYMOUS)
                before, began = server(), time.process_time()
                results = indicators.answer(db, reader=reader, values=asked)
                middle = time.process_time()
                jsonio.dumps(results)
                ended = time.process_time()
                spent.setdefault("answer", []).append(middle - began)
                spent.setdefault("JSON", []).append(ended - middle)
                spent.setdefault("server", []).append(server() - before)
    finally:
        for (module, name), function in zip(patched, originals, strict=True):
            setattr(module, name, function)
    print("  CPU per stage, median: " + ", ".join(
        f"{name} {statistics.median(times) * 1000:.1f} ms" for name, times in spent.items()
    ))  # fmt: skip


if __name__ == "__main__":
    main()
