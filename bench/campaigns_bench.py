"""Campaigns and the policy directory: 500 signatories with two years of weekly checks.

    PYTHONPATH=src .venv/bin/python bench/campaigns_bench.py [--runs 20] [--database-url URL]

Builds 500 signatories, each with a security.txt check, a policy page check (what the page
stated read from a real policy text) and a CSAF check every week for two years (about
156,000 check rows), and one campaign of each goal. Then times:

1. reading a 1 MiB policy page (``policy_text.read``), the work each policy check adds;
2. a campaign's figure now, from the check records (``goals.progress``), per goal;
3. a daily snapshot of every campaign (what the ``campaigns.snapshot`` job does);
4. the pages and API: ``/campaigns/{slug}``, ``/policies`` (a page of 50, filtered or not),
   ``/api/v1/policies`` filtered and a page of 200.

A --database-url of PostgreSQL is emptied first (its public schema is dropped).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, text
from sqlalchemy.orm import Session, sessionmaker

from accord.campaigns import goals, services
from accord.campaigns.models import GoalKind
from accord.campaigns.schemas import CampaignCreate
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import Organization, OrgKind, OrgType
from accord.identity.policy import SYSTEM
from accord.registry import policy_text
from accord.registry.models import ReachCheck, ReachCheckKind, SecurityTxtCheck
from accord.web.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accountability_bench import empty_hub

SIGNATORIES = 500
WEEKS = 104
POLICY = Path(__file__).parent.parent / "tests" / "data" / "policies" / "written-acme-policy.html"


def build(factory: sessionmaker[Session], settings: Settings) -> None:
    """The signatories, their weekly checks, and a campaign per goal."""
    rng = random.Random(7)
    said = policy_text.read(POLICY.read_bytes(), "text/html")
    now = utcnow()
    start = now - timedelta(weeks=WEEKS)
    with unit_of_work(factory) as db:
        db.execute(
            insert(Organization),
            [
                {"name": f"Signatory {n}", "slug": f"signatory-{n}", "kind": OrgKind.SIGNATORY,
                 "org_type": OrgType.VENDOR, "country": "DE", "website": "https://x.example",
                 "security_contact": "security@x.example", "created_at": start}
                for n in range(SIGNATORIES)
            ],
        )  # fmt: skip
        ids = list(db.scalars(text("SELECT id FROM organizations")))
        txt, reach = [], []
        for org_id in ids:
            for week in range(WEEKS):
                at = start + timedelta(weeks=week, hours=rng.randrange(0, 100))
                txt.append({"organization_id": org_id, "url": "https://x.example/s",
                            "fetched_at": at, "ok": rng.random() < 0.7, "findings": [],
                            "fields": {}, "requested_by": "bench", "signed": False})  # fmt: skip
                ok = rng.random() < 0.6
                stated = said if ok and rng.random() < 0.5 else None
                reach.append({"organization_id": org_id, "kind": ReachCheckKind.POLICY,
                              "url": "https://x.example/p", "fetched_at": at, "ok": ok,
                              "requested_by": "bench",
                              "statements": stated})  # fmt: skip
                reach.append({"organization_id": org_id, "kind": ReachCheckKind.CSAF,
                              "url": "https://x.example/c", "fetched_at": at,
                              "ok": rng.random() < 0.2, "requested_by": "bench",
                              "statements": None})  # fmt: skip
        db.execute(insert(SecurityTxtCheck), txt)
        db.execute(insert(ReachCheck), reach)
        for goal in GoalKind:
            data = CampaignCreate(slug=goal.value.replace("_", "-"), title=goal.value,
                                  goal=goal, target=0.66)  # fmt: skip
            services.create_campaign(db, data=data, actor=SYSTEM, settings=settings)


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
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    settings, engine, factory = empty_hub("accord-campaigns-bench-", args.database_url)
    begun = time.perf_counter()
    build(factory, settings)
    print(f"built {SIGNATORIES} signatories x {WEEKS} weeks of checks in "
          f"{time.perf_counter() - begun:.1f} s ({engine.dialect.name})")  # fmt: skip
    page = POLICY.read_bytes()
    big = page * (1024 * 1024 // len(page) + 1)
    timed(f"policy_text.read of a {len(big) // 1024} KiB page", 5,
          lambda: policy_text.read(big, "text/html"))  # fmt: skip
    for goal in GoalKind:

        def progress(goal: GoalKind = goal) -> None:
            with factory() as db:
                goals.progress(db, goal=goal, at=utcnow())

        timed(f"campaign figure now, {goal.value}", args.runs, progress)

    def snapshot_all() -> None:
        with unit_of_work(factory) as db:
            for campaign in services.list_campaigns(db):
                services.snapshot(db, campaign=campaign, at=utcnow())

    timed("snapshot of every campaign (4)", 5, snapshot_all)
    with TestClient(create_app(settings, engine=engine)) as client:
        paths = (
            "/campaigns/safe-harbour",
            "/policies",
            "/policies?page=10",
            "/policies?safe_harbour=yes&page=3",
            "/api/v1/policies?safe_harbour=true",
            "/api/v1/policies?per_page=200",
        )
        for path in paths:
            timed(f"GET {path}", args.runs, lambda path=path: client.get(path).raise_for_status())


if __name__ == "__main__":
    main()
