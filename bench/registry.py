"""Registry benchmarks: parsing security.txt, checking one over HTTP, the public lists.

    PYTHONPATH=src python bench/registry.py [--signatories N]

Prints one line per figure; docs/benchmarks.md records them with the machine they ran on.
Everything runs against a fresh SQLite hub in a temporary folder and a server on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' local server

from tests.registry.samples import security_txt
from tests.registry.servers import Route, StaticServer

from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work, upgrade
from accord.identity.models import Organization, OrgKind, OrgType
from accord.registry import securitytxt, services
from accord.registry.models import Signature
from accord.web.app import create_app


def timed(label: str, unit: str, runs: int, work: Callable[[], object]) -> None:
    """Run ``work`` ``runs`` times and print the median and 95th percentile."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    scale = {"us": 1e6, "ms": 1e3}[unit]
    median = statistics.median(samples) * scale
    p95 = statistics.quantiles(samples, n=20)[18] * scale
    print(f"{label}: median {median:.1f} {unit}, p95 {p95:.1f} {unit} ({runs} runs)")


def bench_parser() -> None:
    now = datetime.now(UTC)
    typical = security_txt(signed=True, extra="Policy: https://example.com/policy\n").encode()
    timed(
        "parse a signed security.txt (0.7 KB)",
        "us",
        5000,
        lambda: securitytxt.parse(typical, now=now),
    )
    comments = "".join(f"# comment line {i:04d} padding padding padding\n" for i in range(990))
    largest = (security_txt() + comments).encode()
    timed(
        f"parse a {len(largest) // 1024} KB, 1000-line file",
        "ms",
        200,
        lambda: securitytxt.parse(largest, now=now),
    )


def bench_check(settings: Settings) -> None:
    with StaticServer() as server:
        url = server.route("/.well-known/security.txt", Route(security_txt().encode()))
        local = settings.model_copy(
            update={"securitytxt_allow_http": True, "outbound_allow_private_addresses": True}
        )
        with securitytxt.make_client(local) as client:
            timed(
                "check over HTTP on 127.0.0.1 (fetch and parse)",
                "ms",
                200,
                lambda: securitytxt.check(url, settings=local, client=client),
            )


def seed(settings: Settings, count: int) -> None:
    factory = make_sessionmaker(make_engine(settings))
    with unit_of_work(factory) as db:
        version = services.current_version(db)
        start = datetime.now(UTC) - timedelta(days=count)
        for n in range(count):
            org = Organization(
                slug=f"org-{n:05d}",
                name=f"Organization {n:05d}",
                kind=OrgKind.SIGNATORY if n % 5 else OrgKind.PARTNER,
                org_type=OrgType.VENDOR,
                country="DE",
                website=f"https://org{n}.example/",
                security_contact=f"mailto:security@org{n}.example",
                description="",
            )
            db.add(org)
            if org.kind is OrgKind.SIGNATORY:
                db.add(
                    Signature(
                        organization=org,
                        accord_version=version,
                        signed_at=start + timedelta(days=n),
                        approved_by="bench",
                    )
                )


def bench_lists(settings: Settings, count: int) -> None:
    seed(settings, count)
    signatories = count - count // 5
    with TestClient(create_app(settings)) as client:
        assert len(client.get("/api/v1/signatories").json()) == signatories
        timed(
            f"GET /api/v1/signatories ({signatories} signatories)",
            "ms",
            50,
            lambda: client.get("/api/v1/signatories"),
        )
        timed(
            f"GET /signatories page ({signatories} signatories)",
            "ms",
            50,
            lambda: client.get("/signatories"),
        )
        timed(
            "GET /api/v1/signatories/{slug}",
            "ms",
            200,
            lambda: client.get("/api/v1/signatories/org-00001"),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--signatories", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        engine = make_engine(settings)
        upgrade(engine)
        engine.dispose()
        bench_parser()
        bench_check(settings)
        bench_lists(settings, args.signatories)


if __name__ == "__main__":
    main()
