"""Accountability benchmark: 500 signatories, 100,000 cases over five years.

    PYTHONPATH=src .venv/bin/python bench/accountability_bench.py [--runs 30] [--database-url URL]

Builds a hub with 500 signatories and five years (2021-2025) of records: 100,000 cases with
a target vendor each and a second vendor on one in five, about 2.5 status events per vendor,
messages, 25,000 advisories with one or two versions, 100,000 shared objects and 20,000
sightings, a security.txt check per signatory and month. Then times:

1. every figure of every signatory for one period, computed from the records (a month, a
   quarter, a year); target under 5 s;
2. storing them (``services.refresh``, what the ``accountability.refresh`` job runs);
3. the scorecard page (HTML, with the hub's trend charts over eight quarters) and its JSON,
   reading the stored rows; target under 200 ms; the hub page and its JSON likewise.

A --database-url of PostgreSQL is emptied first (its public schema is dropped).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import hub, periods, services
from accord.advisories.models import Advisory, AdvisoryVersion
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work, upgrade
from accord.disclosure.models import CaseEvent, CaseMessage, CaseVendor, DisclosureCase
from accord.identity.models import Organization
from accord.registry.models import SecurityTxtCheck
from accord.sharing.models import Collection, StixObject
from accord.web.app import create_app

SIGNATORIES = 500
CASES = 100_000
ADVISORIES = 25_000
OBJECTS = 100_000
SIGHTINGS = 20_000
START = datetime(2021, 1, 1, tzinfo=UTC)
SPAN = datetime(2026, 1, 1, tzinfo=UTC) - START
BATCH = 5_000
STATUSES = ("acknowledged", "affected", "not_affected", "fixed")


def prepare(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """A migrated, empty database."""
    engine = make_engine(settings)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine, make_sessionmaker(engine)


def empty_hub(
    prefix: str, database_url: str | None
) -> tuple[Settings, Engine, sessionmaker[Session]]:
    """Settings on a new temporary data folder (and ``database_url`` if given, else SQLite in
    that folder), and their migrated, empty database."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    settings = (
        Settings(data_dir=data_dir, database_url=database_url)
        if database_url
        else Settings(data_dir=data_dir)
    )
    return (settings, *prepare(settings))


def _org(rng: random.Random) -> int:
    return rng.randrange(1, SIGNATORIES + 1)


def _n(rng: random.Random, top: int) -> int:
    return rng.randrange(1, top)


def _moment(rng: random.Random) -> datetime:
    return START + timedelta(seconds=rng.uniform(0, SPAN.total_seconds()))


def _bulk(factory: sessionmaker[Session], table: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), BATCH):
        with unit_of_work(factory) as db:
            db.execute(insert(table), rows[i : i + BATCH])


def _orgs() -> list[dict[str, Any]]:
    return [
        {
            "id": i + 1,
            "slug": f"signatory-{i:03d}",
            "name": f"Signatory {i:03d}",
            "kind": "signatory",
            "org_type": "vendor",
            "country": "DE",
            "website": "https://s.example",
            "security_contact": "mailto:s@s.example",
            "description": "",
            "created_at": START,
        }
        for i in range(SIGNATORIES)
    ]


def _case(n: int, org: int, created: datetime, rng: random.Random) -> dict[str, Any]:
    published = created + timedelta(days=rng.uniform(20, 120)) if rng.random() < 0.6 else None
    embargo = created + timedelta(days=90) if rng.random() < 0.4 else None
    return {
        "id": n,
        "public_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "ref": f"ACCORD-{created.year}-{n:06d}",
        "year": created.year,
        "number": n,
        "status": "published" if published else "open",
        "target_org_id": org,
        "title": f"Case {n}",
        "product": "Product",
        "versions": "",
        "token_hash": f"{n:064x}",
        "embargo_at": embargo,
        "created_at": created,
        "opened_at": created,
        "updated_at": created,
        "published_at": published,
        "description": "d",
        "steps": "s",
        "credit": "",
        "contact": "",
        "triage_reason": "",
        "proof_of_concept": "",
        "impact": "",
    }


def _event(case: int, seq: int, org: int, at: datetime, status: str) -> dict[str, Any]:
    document = json.dumps({"kind": "status_changed", "details": {"status": status}})
    return {
        "case_id": case, "seq": seq, "kind": "status_changed", "actor_label": "bench",
        "organization_id": org, "summary": status, "audience": "all", "at": at,
        "document_sha256": "0" * 64, "log_index": 0, "document": document,
    }  # fmt: skip


def build(factory: sessionmaker[Session]) -> None:
    """The five years of records."""
    rng = random.Random(7)
    _bulk(factory, Organization, _orgs())
    cases, vendors, events, messages = [], [], [], []
    for n in range(1, CASES + 1):
        created = _moment(rng)
        target = rng.randrange(1, SIGNATORIES + 1)
        case = _case(n, target, created, rng)
        cases.append(case)
        parties = [target] + ([rng.randrange(1, SIGNATORIES + 1)] if rng.random() < 0.2 else [])
        seq = 0
        for org in dict.fromkeys(parties):
            invited = created + timedelta(hours=rng.uniform(0, 48))
            accepted = case["embargo_at"] if case["embargo_at"] and rng.random() < 0.7 else None
            vendors.append(
                {
                    "case_id": n, "organization_id": org, "status": "no_reply",
                    "invited_at": invited, "updated_at": invited, "embargo_accepted_at": accepted,
                    "release_agreed": False, "statement": "", "affected_versions": [],
                    "fixed_versions": [],
                }
            )  # fmt: skip
            if rng.random() < 0.15:
                continue  # never replies
            at = invited
            for status in STATUSES[: rng.randint(1, 4)]:
                at += timedelta(hours=rng.expovariate(1 / 72))
                seq += 1
                events.append(_event(n, seq, org, at, status))
            if rng.random() < 0.3:
                messages.append(
                    {
                        "case_id": n, "audience": "all", "author_org_id": org,
                        "author_label": "bench", "from_reporter": False,
                        "created_at": invited + timedelta(hours=rng.uniform(1, 100)), "body": "m",
                    }
                )  # fmt: skip
    _bulk(factory, DisclosureCase, cases)
    _bulk(factory, CaseVendor, vendors)
    _bulk(factory, CaseEvent, events)
    _bulk(factory, CaseMessage, messages)
    record = json.dumps(
        {"affected": [{"ranges": [{"events": [{"introduced": "0"}, {"fixed": "2"}]}]}]}
    )
    advisories, versions = [], []
    for n in range(1, ADVISORIES + 1):
        first = _moment(rng)
        advisories.append(
            {
                "id": n, "osv_id": f"BENCH-{n:06d}", "organization_id": _org(rng),
                "status": "published", "tlp": rng.choice(["CLEAR", "CLEAR", "GREEN", "AMBER"]),
                "source": "hub", "summary": "", "aliases": f"ACCORD-2023-{_n(rng, CASES):06d}",
                "cwe_ids": [], "plain_summary": "", "created_at": first, "updated_at": first,
                "document": record if rng.random() < 0.6 else "{}",
            }
        )  # fmt: skip
        for number in range(1, rng.randint(1, 2) + 1):
            versions.append(
                {
                    "advisory_id": n, "number": number, "osv_modified": "x", "document": "{}",
                    "document_sha256": "0" * 64, "published_by": "bench",
                    "published_at": first + timedelta(days=30 * (number - 1)),
                }
            )  # fmt: skip
    _bulk(factory, Advisory, advisories)
    _bulk(factory, AdvisoryVersion, versions)
    _bulk(
        factory,
        Collection,
        [{"id": 1, "uuid": str(uuid.uuid4()), "title": "bench", "description": "",
          "owner_org_id": 1, "default_tlp": "CLEAR", "public_read": True,
          "community_read": False, "created_at": START}],
    )  # fmt: skip
    objects = []
    for n in range(OBJECTS + SIGHTINGS):
        added = _moment(rng)
        sighting = n >= OBJECTS
        stix_type = "sighting" if sighting else "indicator"
        objects.append(
            {
                "collection_id": 1, "stix_id": f"{stix_type}--{n:012d}",
                "stix_type": stix_type, "spec_version": "2.1",
                "version": added, "date_added": added, "is_latest": True, "is_first": True,
                "revoked": False, "tlp": rng.choice(["CLEAR", "GREEN", "AMBER", "RED"]),
                "producer_org_id": rng.randrange(1, SIGNATORIES + 1),
                "sighting_of": f"indicator--{rng.randrange(OBJECTS):012d}" if sighting else None,
                "body": "{}",
            }
        )  # fmt: skip
    _bulk(factory, StixObject, objects)
    checks = []
    for org in range(1, SIGNATORIES + 1):
        for month in range(60):
            fetched = START + timedelta(days=30.4 * month + rng.uniform(0, 5))
            checks.append(
                {
                    "organization_id": org, "url": "https://s.example/.well-known/security.txt",
                    "fetched_at": fetched, "ok": rng.random() < 0.9, "signed": False,
                    "expires_at": fetched + timedelta(days=rng.uniform(10, 400)),
                    "findings": [], "fields": {}, "requested_by": "bench",
                }
            )  # fmt: skip
    _bulk(factory, SecurityTxtCheck, checks)


def timed(label: str, runs: int, work: Callable[[], object]) -> None:
    """Run ``work`` ``runs`` times after one warm-up; print the median and p95 in ms."""
    work()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    median = statistics.median(samples) * 1e3
    p95 = statistics.quantiles(samples, n=20)[18] * 1e3 if runs >= 2 else median
    print(f"{label}: median {median:.1f} ms, p95 {p95:.1f} ms ({runs} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    settings, engine, factory = empty_hub("accord-accountability-bench-", args.database_url)
    started = time.perf_counter()
    build(factory)
    took = time.perf_counter() - started
    print(f"built {CASES} cases, {SIGNATORIES} signatories in {took:.1f} s ({engine.dialect.name})")
    ids = list(range(1, SIGNATORIES + 1))
    for key in ("2024-06", "2024-Q2", "2024"):
        period = periods.parse(key)

        def compute(period: periods.Period = period) -> None:
            with factory() as db:
                services.live(db, period=period, org_ids=ids)

        timed(f"all figures, {SIGNATORIES} signatories, {key} (computed)", 3, compute)
        with unit_of_work(factory) as db:
            begun = time.perf_counter()
            services.refresh(db, period=period)
        print(f"refresh (compute + store) {key}: {(time.perf_counter() - begun) * 1e3:.0f} ms")
    # A hub's refresh job keeps every charted quarter stored (handlers.trend_quarters); the
    # scorecard's and the hub page's trends read eight of them.
    begun = time.perf_counter()
    for quarter in periods.quarters_up_to(periods.parse("2024-Q2"), 8):
        with unit_of_work(factory) as db:
            if quarter.key != "2024-Q2":
                services.refresh(db, period=quarter)
            hub.store(db, period=quarter)
    took = time.perf_counter() - begun
    print(f"refresh of the seven quarters before 2024-Q2, hub aggregates of eight: {took:.1f} s")
    app = create_app(settings, engine=engine)
    with TestClient(app) as client:
        for url in (
            "/accountability?period=2024-Q2",
            "/accountability?period=2024-Q2&sort=ack_median_hours&order=asc",
            "/api/v1/accountability/scorecard?period=2024-Q2",
            "/accountability/hub?period=2024-Q2",
            "/api/v1/accountability/hub?period=2024-Q2",
        ):
            assert client.get(url).status_code == 200
            timed(f"GET {url}", args.runs, lambda url=url: client.get(url))
        sample = "/accountability/signatories/signatory-007?period=2024-Q2"
        timed(
            f"GET {sample} (8 quarters of trends)",
            max(args.runs // 3, 3),
            lambda: client.get(sample),
        )
    with factory() as db:
        print("figures sample (signatory-007, 2024-Q2):")
        found = services.live(db, period=periods.parse("2024-Q2"), org_ids=[8])[8]
        for key, figure in found.items():
            print(f"  {key}: {figure.value}")


if __name__ == "__main__":
    sys.exit(main())
