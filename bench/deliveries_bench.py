"""What counting "objects pulled by others" costs: the call a TAXII GET makes, and a flush.

    PYTHONPATH=src python bench/deliveries_bench.py [--rows 500] [--pages 200]

Prints the median and 95th percentile of ``deliveries.note`` for one page of ``--rows``
objects (what the GET route adds), and of one flush of ``--pages`` such pages read by
readers of 20 organizations into a fresh SQLite hub (what the background thread does).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert

from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work, upgrade
from accord.identity.models import MemberRole, Organization, OrgKind, OrgType
from accord.identity.policy import Actor
from accord.sharing import deliveries
from accord.sharing.models import Collection, StixObject
from accord.sharing.queries import Page, Row


def summary(label: str, samples: list[float], unit: str, scale: float) -> None:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    print(f"{label}: median {statistics.median(ordered) * scale:.1f} {unit}, "
          f"p95 {p95 * scale:.1f} {unit} ({len(ordered)} runs)")  # fmt: skip


def _hub(folder: Path, objects: int) -> Any:
    engine = make_engine(Settings(data_dir=folder))
    upgrade(engine)
    factory = make_sessionmaker(engine)
    now = datetime.now(UTC)
    with unit_of_work(factory) as db:
        for i in range(21):
            db.add(
                Organization(
                    slug=f"org{i}",
                    name=f"Org {i}",
                    kind=OrgKind.SIGNATORY,
                    org_type=OrgType.VENDOR,
                    country="de",
                    website="https://example.com",
                    security_contact="x@example.com",
                )
            )
        db.flush()
        db.add(Collection(uuid="c", title="c", owner_org_id=1, default_tlp="GREEN"))
        db.flush()
        db.execute(
            insert(StixObject),
            [
                {"id": n + 1, "collection_id": 1, "stix_id": f"indicator--{n}", "stix_type":
                 "indicator", "version": now, "date_added": now, "spec_version": "2.1",
                 "producer_org_id": 1, "tlp": "GREEN", "body": "{}", "is_first": True,
                 "is_latest": True}
                for n in range(objects)
            ],
        )  # fmt: skip
    return factory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    now = datetime.now(UTC)
    page = Page(rows=[Row(n + 1, now) for n in range(args.rows)], more=False, next=None)
    buffer = deliveries.Deliveries()
    request: Any = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(deliveries=buffer)))
    actor = Actor(user_id=1, roles={2: MemberRole.MEMBER})
    samples = []
    for _ in range(2000):
        started = time.perf_counter()
        deliveries.note(request, actor, page)
        samples.append(time.perf_counter() - started)
    summary(f"note() of a {args.rows}-object page", samples, "us", 1e6)
    with tempfile.TemporaryDirectory() as folder:
        factory = _hub(Path(folder), args.rows)
        flushes = []
        for _ in range(20):
            buffer = deliveries.Deliveries()
            for n in range(args.pages):
                reader = frozenset({2 + n % 20})
                buffer.add(reader, now.date(), (r.row_id for r in page.rows))
            started = time.perf_counter()
            buffer.flush(factory)
            flushes.append(time.perf_counter() - started)
        summary(f"flush of {args.pages} pages ({args.pages * args.rows} deliveries)", flushes,
                "ms", 1e3)  # fmt: skip


if __name__ == "__main__":
    main()
