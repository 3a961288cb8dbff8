"""Accountability with many shared objects: what one refresh costs as the sharing tables grow.

    PYTHONPATH=src .venv/bin/python bench/accountability_objects_bench.py \
        [--objects 200000] [--signatories 500] [--runs 3] [--database-url URL]

Builds a hub with ``--signatories`` signatories and ``--objects`` STIX objects (first versions,
all four TLPs, random producers) added in March 2026, plus one sighting by another
organization for every tenth object, then times what the ``accountability.refresh`` job does
for the three periods holding them (2026-03, 2026-Q1, 2026): collecting the records and
computing every figure of every signatory (``services.live``), then storing them
(``services.refresh``). It prints the wall time and this process's CPU time (the Python side;
on PostgreSQL the server's work is not in it) and how many records the stored sharing figures
name, which is what a page, the API and a signed report carry.

A --database-url of PostgreSQL is emptied first (its public schema is dropped).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import periods, services
from accord.accountability.models import ComputedFigures
from accord.db import unit_of_work
from accord.identity.models import Organization
from accord.sharing.models import Collection, StixObject

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accountability_bench import empty_hub

START = datetime(2026, 3, 1, tzinfo=UTC)
MONTH = timedelta(days=31)
TLPS = ("CLEAR", "GREEN", "AMBER", "RED")
BATCH = 10_000
SHARING = ("objects_shared", "objects_shared_by_tlp", "sightings_received")


def _bulk(factory: sessionmaker[Session], table: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), BATCH):
        with unit_of_work(factory) as db:
            db.execute(insert(table), rows[i : i + BATCH])


def build(factory: sessionmaker[Session], *, signatories: int, objects: int) -> None:
    """The signatories, one collection, the objects and the sightings."""
    rng = random.Random(11)
    _bulk(
        factory,
        Organization,
        [
            {
                "id": i + 1, "slug": f"signatory-{i:03d}", "name": f"Signatory {i:03d}",
                "kind": "signatory", "org_type": "vendor", "country": "DE",
                "website": "https://s.example", "security_contact": "mailto:s@s.example",
                "description": "", "created_at": START - timedelta(days=400),
            }
            for i in range(signatories)
        ],
    )  # fmt: skip
    _bulk(
        factory,
        Collection,
        [{"id": 1, "uuid": str(uuid.uuid4()), "title": "bench", "description": "",
          "owner_org_id": 1, "default_tlp": "CLEAR", "public_read": True,
          "community_read": False, "created_at": START}],
    )  # fmt: skip
    rows: list[dict[str, Any]] = []
    sightings = objects // 10
    for n in range(objects + sightings):
        added = START + timedelta(seconds=rng.uniform(0, MONTH.total_seconds()))
        sighting = n >= objects
        stix_type = "sighting" if sighting else "indicator"
        rows.append(
            {
                "collection_id": 1, "stix_id": f"{stix_type}--{n:012d}",
                "stix_type": stix_type, "spec_version": "2.1", "version": added,
                "date_added": added, "is_latest": True, "is_first": True, "revoked": False,
                "tlp": rng.choice(TLPS), "producer_org_id": rng.randrange(1, signatories + 1),
                "sighting_of": f"indicator--{rng.randrange(objects):012d}" if sighting else None,
                "body": "{}",
            }
        )  # fmt: skip
        if len(rows) == BATCH:
            _bulk(factory, StixObject, rows)
            rows = []
    _bulk(factory, StixObject, rows)


def _stored_refs(db: Session, key: str) -> int:
    """How many records the stored sharing figures of ``key`` name, over all signatories."""
    total = 0
    for records in db.scalars(
        select(ComputedFigures.records).where(ComputedFigures.period_key == key)
    ):
        total += sum(len(records.get(figure, ())) for figure in SHARING)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=200_000)
    parser.add_argument("--signatories", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    _settings, engine, factory = empty_hub(
        "accord-accountability-objects-bench-", args.database_url
    )
    begun = time.perf_counter()
    build(factory, signatories=args.signatories, objects=args.objects)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    with factory() as db:
        count = db.scalar(select(func.count()).select_from(StixObject))
    took = time.perf_counter() - begun
    print(f"built {count:,} sharing_objects rows in {took:.1f} s ({engine.dialect.name})")
    ids = list(range(1, args.signatories + 1))
    total_wall = total_cpu = 0.0
    for key in ("2026-03", "2026-Q1", "2026"):
        period = periods.parse(key)
        walls, cpus = [], []
        for _ in range(args.runs):
            wall, cpu = time.perf_counter(), time.process_time()
            with factory() as db:
                found = services.live(db, period=period, org_ids=ids)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        shared = sum(int(f["objects_shared"].value or 0) for f in found.values())  # type: ignore[arg-type]
        # The sharing figures' values, as a digest to compare between two versions of the code.
        values = {org: [found[org][key].value for key in SHARING] for org in sorted(found)}
        digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:12]
        wall, cpu = time.perf_counter(), time.process_time()
        with unit_of_work(factory) as db:
            services.refresh(db, period=period)
        store_wall, store_cpu = time.perf_counter() - wall, time.process_time() - cpu
        total_wall += store_wall
        total_cpu += store_cpu
        with factory() as db:
            refs = _stored_refs(db, key)
        print(
            f"{key}: collect + all figures: median wall {statistics.median(walls) * 1e3:.0f} ms,"
            f" CPU {statistics.median(cpus) * 1e3:.0f} ms ({args.runs} runs);"
            f" refresh (compute + store): wall {store_wall * 1e3:.0f} ms,"
            f" CPU {store_cpu * 1e3:.0f} ms; objects shared {shared:,} (values {digest});"
            f" records named by the stored sharing figures: {refs:,}"
        )
    print(f"one refresh of the three periods: wall {total_wall:.2f} s, CPU {total_cpu:.2f} s")


if __name__ == "__main__":
    sys.exit(main())
