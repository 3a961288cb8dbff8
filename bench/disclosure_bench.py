"""Disclosure benchmarks: a case with 200 vendors and 5,000 messages, a vendor's inbox with
1,000 open cases. Goals (issue 17): the case page under 100 ms at the median and 200 ms at
the 95th percentile, the inbox under 100 ms at the median (VINCE users report 10 s at 121
vendors).

    PYTHONPATH=src python bench/disclosure_bench.py [--database-url URL]

Without a URL it runs on a fresh SQLite hub in a temporary folder. Prints the median and 95th
percentile of the case page (HTML, as a vendor and as a coordinator), the case's JSON, and the
inbox page and API, through the whole app (routing, policy, queries, templates).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.factories import PASSWORD, Factories, Person, sign_in

from accord.clock import utcnow
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work, upgrade
from accord.disclosure.models import (
    Audience,
    CaseEvent,
    CaseMessage,
    CaseStatus,
    CaseVendor,
    CaseVulnerability,
    DisclosureCase,
    ProductStatus,
    VulnerabilityStatus,
)
from accord.identity.models import MemberRole, Membership, Organization, User
from accord.web.app import create_app

VENDORS = 200
MESSAGES = 5000
VULNERABILITIES = 5
INBOX_CASES = 1000


def timed(label: str, runs: int, work: Callable[[], object]) -> None:
    """Run ``work`` ``runs`` times; print the median and 95th percentile in ms, and the
    median CPU time of this process (the app and the client run in it): on a shared,
    loaded machine the wall time grows with the load, the CPU time much less."""
    work()  # warm caches (templates, statement cache)
    samples = []
    cpu = []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        work()
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    median = statistics.median(samples) * 1e3
    p95 = statistics.quantiles(samples, n=20)[18] * 1e3
    print(
        f"{label}: median {median:.1f} ms, p95 {p95:.1f} ms, "
        f"CPU median {statistics.median(cpu) * 1e3:.1f} ms ({runs} runs)"
    )


def _case_row(n: int, org_id: int, status: CaseStatus) -> dict[str, object]:
    now = utcnow()
    return {
        "public_id": str(uuid.uuid4()),
        "ref": f"ACCORD-2026-{n:04d}",
        "year": 2026,
        "number": n,
        "status": status,
        "target_org_id": org_id,
        "title": f"Case {n}: heap overflow in the parser",
        "product": "Parser",
        "purl": "pkg:pypi/parser@1.0",
        "versions": "< 1.1",
        "token_hash": uuid.uuid4().hex + uuid.uuid4().hex,
        "embargo_at": now + timedelta(days=30),
        "created_at": now,
        "updated_at": now - timedelta(seconds=n),
        "description": "A long description. " * 20,
        "steps": "1. Build\n2. Run\n3. Crash\n",
        "credit": "",
        "contact": "",
        "triage_reason": "",
        "proof_of_concept": "",
        "impact": "",
    }


def build(make: Factories) -> tuple[str, str]:
    """The big case and the busy inbox; returns the big case's ref and the vendor's name."""
    factory = make.factory
    make.user("coordinator", operator=True)
    make.user("vendor0")
    with unit_of_work(factory) as db:
        db.execute(
            insert(Organization),
            [
                {
                    "slug": f"vendor-{i:03d}",
                    "name": f"Vendor {i:03d}",
                    "kind": "signatory",
                    "org_type": "vendor",
                    "country": "DE",
                    "website": "https://v.example",
                    "security_contact": "mailto:s@v.example",
                    "description": "",
                    "created_at": utcnow(),
                }
                for i in range(VENDORS)
            ],
        )
        org_ids = list(db.scalars(select(Organization.id).order_by(Organization.id)))
        user_id = db.scalar(select(User.id).where(User.username == "vendor0"))
        db.execute(
            insert(Membership),
            [{"user_id": user_id, "organization_id": org_ids[0], "role": MemberRole.MEMBER}],
        )
        db.execute(insert(DisclosureCase), [_case_row(1, org_ids[0], CaseStatus.OPEN)])
        big = db.scalar(select(DisclosureCase.id).where(DisclosureCase.number == 1))
        db.execute(
            insert(CaseVendor),
            [
                {
                    "case_id": big,
                    "organization_id": o,
                    "updated_at": utcnow(),
                    "invited_at": utcnow(),
                    "affected_versions": [],
                    "fixed_versions": [],
                }
                for o in org_ids
            ],
        )
        # Five vulnerabilities, each with every vendor's status for its product.
        db.execute(
            insert(CaseVulnerability),
            [
                {
                    "case_id": big,
                    "ordinal": n,
                    "summary": f"Flaw {n}",
                    "cwe_ids": ["CWE-79"],
                    "details": "",
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                }
                for n in range(1, VULNERABILITIES + 1)
            ],
        )
        vulnerability_ids = list(
            db.scalars(select(CaseVulnerability.id).where(CaseVulnerability.case_id == big))
        )
        vendor_ids = list(db.scalars(select(CaseVendor.id).where(CaseVendor.case_id == big)))
        db.execute(
            insert(VulnerabilityStatus),
            [
                {
                    "vulnerability_id": v,
                    "vendor_id": c,
                    "product": f"Product {c}",
                    "status": ProductStatus.UNDER_INVESTIGATION,
                    "affected_versions": [],
                    "fixed_versions": [],
                    "statement": "",
                    "updated_at": utcnow(),
                }
                for v in vulnerability_ids
                for c in vendor_ids
            ],
        )
        audiences = [Audience.ALL, Audience.VENDOR, Audience.VENDORS, Audience.COORDINATORS]
        db.execute(
            insert(CaseMessage),
            [
                {
                    "case_id": big,
                    "audience": audiences[i % 4],
                    "vendor_org_id": org_ids[i % VENDORS] if i % 4 == 1 else None,
                    "author_label": "coordinator",
                    "body": f"Message {i}. " * 10,
                    "created_at": utcnow(),
                    "from_reporter": False,
                }
                for i in range(MESSAGES)
            ],
        )
        db.execute(
            insert(CaseEvent),
            [
                {
                    "case_id": big,
                    "seq": i + 1,
                    "kind": "vendor_notified",
                    "actor_label": "hub",
                    "summary": f"Vendor {i:03d} notified",
                    "audience": Audience.ALL,
                    "at": utcnow(),
                    "document_sha256": "0" * 64,
                    "log_index": i,
                    "document": "{}",
                }
                for i in range(VENDORS)
            ],
        )
        # The inbox: 1,000 more open cases with vendor 0, five messages each.
        db.execute(
            insert(DisclosureCase),
            [_case_row(n, org_ids[0], CaseStatus.OPEN) for n in range(2, INBOX_CASES + 1)],
        )
        ids = list(db.scalars(select(DisclosureCase.id).where(DisclosureCase.id != big)))
        db.execute(
            insert(CaseVendor),
            [
                {
                    "case_id": c,
                    "organization_id": org_ids[0],
                    "updated_at": utcnow(),
                    "invited_at": utcnow(),
                    "affected_versions": [],
                    "fixed_versions": [],
                }
                for c in ids
            ],
        )
        db.execute(
            insert(CaseMessage),
            [
                {
                    "case_id": c,
                    "audience": Audience.ALL,
                    "author_label": "coordinator",
                    "body": "ping",
                    "created_at": utcnow(),
                    "from_reporter": False,
                }
                for c in ids
                for _ in range(5)
            ],
        )
    with unit_of_work(factory) as db:
        db.execute(text("ANALYZE"))
    return "ACCORD-2026-0001", "vendor0"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), database_url=args.database_url, base_url="http://testserver"
        )
        engine = make_engine(settings)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
        make = Factories(make_sessionmaker(engine), settings)
        ref, vendor = build(make)
        app = create_app(settings, engine=engine)
        print(
            f"database: {engine.dialect.name}; {VENDORS} vendors, {VULNERABILITIES} "
            f"vulnerabilities, {MESSAGES} messages, "
            f"{INBOX_CASES} open cases in the inbox"
        )
        bearer = {"Authorization": f"Bearer {make.token(Person(vendor))}"}
        with TestClient(app) as client:
            sign_in(client, Person(vendor, PASSWORD))
            page = client.get(f"/disclosure/cases/{ref}")
            assert page.status_code == 200, page.text[:300]
            timed(
                "case page, as a vendor (HTML)",
                args.runs,
                lambda: client.get(f"/disclosure/cases/{ref}"),
            )
            timed(
                "case JSON, as a vendor",
                args.runs,
                lambda: client.get(f"/api/v1/disclosure/cases/{ref}", headers=bearer),
            )
            timed(
                "case messages JSON (newest 100), as a vendor",
                args.runs,
                lambda: client.get(f"/api/v1/disclosure/cases/{ref}/messages", headers=bearer),
            )
            inbox = client.get("/api/v1/disclosure/inbox", headers=bearer).json()
            assert inbox["total"] == INBOX_CASES, inbox["total"]
            timed(
                "inbox page, 1,000 open cases (HTML, 50 a page)",
                args.runs,
                lambda: client.get("/disclosure"),
            )
            timed(
                "inbox JSON, 1,000 open cases (50 a page)",
                args.runs,
                lambda: client.get("/api/v1/disclosure/inbox", headers=bearer),
            )
        with TestClient(app) as client:
            make.user("coord2", operator=True)
            sign_in(client, Person("coord2", PASSWORD))
            timed(
                "case page, as a coordinator (HTML)",
                args.runs,
                lambda: client.get(f"/disclosure/cases/{ref}"),
            )
            timed(
                "one vendor thread's page, as a coordinator (HTML)",
                args.runs,
                lambda: client.get(f"/disclosure/cases/{ref}?thread=vendor:vendor-001"),
            )
            timed(
                "inbox page, as a coordinator (HTML, 50 a page)",
                args.runs,
                lambda: client.get("/disclosure?view=all"),
            )
        engine.dispose()
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
