"""Benchmark: publications through the log's real path, durable, one transaction each.

    python bench/log_publish.py [--count 5000] [--preload 100000] [--database-url URL]

Each publication is ``transparency.services.append`` in its own committed transaction (the
path every domain takes), with its record. Measured twice on the same database: signing a
checkpoint in every publication (``log_checkpoint_seconds=0``, the hub before the cadence)
and with the cadence (one checkpoint a second covering every publication since the last).
The same is measured for advisory publication (``advisories.publication.publish``: the version,
its package index and its entry in one transaction), signing its own checkpoint as it did
before (``sign=True``) and on the cadence. While a cadence row runs, the hub's cadence thread
(``transparency.services.cadence``) signs in the same process, so its cost is counted.
Prints publications a second, WAL bytes a publication (SQLite: the growth of ``-wal`` with
checkpoints off; PostgreSQL: ``pg_current_wal_lsn()`` before and after, which counts the
whole cluster: other databases' writes show up), and, as the peer, how many durable commits
of one small row a second the same database takes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

GOAL_RATE = 3_000  # publications a second (issues 23 and 27)
GOAL_WAL = 8_192  # WAL bytes a publication
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _settings(directory: Path, url: str | None, interval: float) -> Any:
    from accord.config import Settings

    return Settings(
        data_dir=directory,
        database_url=url,
        base_url="https://bench.example",
        log_checkpoint_seconds=interval,
    )


def _engine(settings: Any) -> Any:
    from accord.db import make_engine

    engine = make_engine(settings)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _no_checkpoints(connection: Any, _record: Any) -> None:
            connection.execute("PRAGMA wal_autocheckpoint=0")

    return engine


class Wal:
    """WAL bytes written, as the database tells."""

    def __init__(self, engine: Any, directory: Path) -> None:
        self.engine = engine
        self.path = directory / "accord.db-wal"

    def reset(self) -> int:
        if self.engine.dialect.name == "sqlite":
            raw = self.engine.raw_connection()
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raw.close()
            return self.path.stat().st_size if self.path.exists() else 0
        with self.engine.connect() as conn:
            return int(conn.scalar(text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")))

    def now(self) -> int:
        if self.engine.dialect.name == "sqlite":
            return self.path.stat().st_size
        with self.engine.connect() as conn:
            return int(conn.scalar(text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")))


def publish(settings: Any, engine: Any, directory: Path, count: int) -> dict[str, float]:
    """``count`` publications, one committed transaction each; rate and WAL bytes each."""
    from accord.db import make_sessionmaker, unit_of_work
    from accord.transparency import services

    factory = make_sessionmaker(engine)
    wal = Wal(engine, directory)
    before_checkpoints = _checkpoints(factory)
    start_wal = wal.reset()
    start, cpu = time.perf_counter(), time.process_time()
    with _Cadence(factory, settings):
        for n in range(count):
            with unit_of_work(factory) as db:
                services.append(
                    db,
                    settings=settings,
                    entry_type="bench.publication",
                    subject_id=f"org-{n % 500}",
                    document={"n": n, "name": "a publication of about a hundred bytes", "ok": True},
                )
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    written = wal.now() - start_wal
    services.sign_if_due(
        factory, settings=settings.model_copy(update={"log_checkpoint_seconds": 0})
    )
    return {
        "rate": count / elapsed,
        "wal": written / count,
        "cpu": cpu / count * 1e6,
        "checkpoints": _checkpoints(factory) - before_checkpoints,
    }


class _Cadence:
    """The hub's cadence thread while a measured run lasts (none when the interval is 0)."""

    def __init__(self, factory: Any, settings: Any) -> None:
        from accord.transparency import services

        self.thread = None
        if settings.log_checkpoint_seconds > 0:
            self.thread = services.cadence(factory, settings=settings)

    def __enter__(self) -> None:
        if self.thread is not None:
            self.thread.start()

    def __exit__(self, *_: object) -> None:
        if self.thread is not None:
            self.thread.stop()


def publish_advisories(
    settings: Any, engine: Any, directory: Path, count: int, *, sign: bool | None, tag: str
) -> dict[str, float]:
    """``count`` advisory publications (``advisories.publication.publish``), one committed
    transaction each; ``sign=True`` signs a checkpoint in each, as advisory publication did."""
    from accord.advisories.models import Advisory, AdvisoryStatus
    from accord.advisories.publication import publish as publish_advisory
    from accord.db import make_sessionmaker, unit_of_work
    from accord.identity.policy import SYSTEM

    factory = make_sessionmaker(engine)
    wal = Wal(engine, directory)
    before_checkpoints = _checkpoints(factory)
    start_wal = wal.reset()
    start, cpu = time.perf_counter(), time.process_time()
    with _Cadence(factory, settings):
        for n in range(count):
            osv_id = f"OSV-BENCH-{tag}-{n}"
            record = {
                "schema_version": "1.6.0",
                "id": osv_id,
                "modified": "2026-12-01T00:00:00Z",
                "published": "2026-12-01T00:00:00Z",
                "summary": "a benchmark advisory",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": f"bench-{tag}-{n % 500}"},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}
                        ],
                    }
                ],
            }
            with unit_of_work(factory) as db:
                advisory = Advisory(osv_id=osv_id, status=AdvisoryStatus.DRAFT)
                db.add(advisory)
                db.flush()
                publish_advisory(
                    db, advisory=advisory, record=record, actor=SYSTEM, settings=settings, sign=sign
                )
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    written = wal.now() - start_wal
    return {
        "rate": count / elapsed,
        "wal": written / count,
        "cpu": cpu / count * 1e6,
        "checkpoints": _checkpoints(factory) - before_checkpoints,
    }


def publish_together(
    settings: Any, engine: Any, directory: Path, count: int, publishers: int
) -> dict[str, float]:
    """``count`` publications by ``publishers`` threads, each waiting for its commit.

    Each publication is the same ``services.append`` as above, run through the hub's group
    commit of publications (``accord.transparency.batching.Publications``): the publications
    waiting when a commit starts share it, the entries after the first written in one
    statement before it, and none returns before the commit that holds it.
    """
    from accord.db import make_sessionmaker
    from accord.transparency import services
    from accord.transparency.batching import Publications

    factory = make_sessionmaker(engine)
    group = Publications(factory, most=publishers)
    wal = Wal(engine, directory)
    before_checkpoints = _checkpoints(factory)
    acknowledged: list[int] = []

    def publisher(first: int) -> None:
        for n in range(first, count, publishers):

            def work(db: Any, n: int = n) -> int:
                ref = services.append(
                    db,
                    settings=settings,
                    entry_type="bench.publication",
                    subject_id=f"org-{n % 500}",
                    document={"n": n, "name": "a publication of about a hundred bytes", "ok": True},
                )
                return ref.index

            acknowledged.append(group.run(work))

    threads = [threading.Thread(target=publisher, args=(k,)) for k in range(publishers)]
    start_wal = wal.reset()
    start, cpu = time.perf_counter(), time.process_time()
    with _Cadence(factory, settings):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    written = wal.now() - start_wal
    if len(set(acknowledged)) != count:
        raise SystemExit(f"{len(set(acknowledged))} of {count} publications acknowledged")
    services.sign_if_due(
        factory, settings=settings.model_copy(update={"log_checkpoint_seconds": 0})
    )
    return {
        "rate": count / elapsed,
        "wal": written / count,
        "cpu": cpu / count * 1e6,
        "checkpoints": _checkpoints(factory) - before_checkpoints,
    }


def _checkpoints(factory: Any) -> int:
    from accord.db import unit_of_work

    with unit_of_work(factory) as db:
        return int(db.scalar(text("SELECT count(*) FROM log_checkpoints")) or 0)


def commits(engine: Any, directory: Path, count: int) -> dict[str, float]:
    """The peer: durable commits of one small row, one transaction each."""
    wal = Wal(engine, directory)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_commits (n INTEGER, body TEXT)"))
    start_wal = wal.reset()
    start, cpu = time.perf_counter(), time.process_time()
    body = "x" * 170
    for n in range(count):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_commits VALUES (:n, :b)"), {"n": n, "b": body})
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "rate": count / elapsed,
        "wal": (wal.now() - start_wal) / count,
        "cpu": cpu / count * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--preload", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--publishers", type=int, default=32)
    args = parser.parse_args()
    from accord.db import make_sessionmaker, unit_of_work, upgrade
    from accord.transparency import services

    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        base = _settings(directory, args.database_url, 0)
        engine = _engine(base)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
        factory = make_sessionmaker(engine)
        for offset in range(0, args.preload, 10_000):
            with unit_of_work(factory) as db:
                batch = [f"preload {offset + k}".encode() for k in range(10_000)]
                services.append_entries(db, settings=base, entries=batch)
        peer = commits(engine, directory, args.count)
        each = publish(base, engine, directory, args.count // 5)
        hub = _settings(directory, args.database_url, 1.0)
        cadence = publish(hub, engine, directory, args.count)
        together = publish_together(hub, engine, directory, args.count, args.publishers)
        advisories = args.count // 5
        own = publish_advisories(hub, engine, directory, advisories, sign=True, tag="own")
        waits = publish_advisories(hub, engine, directory, advisories, sign=None, tag="cadence")
        engine.dispose()
    print(f"database: {engine.dialect.name}; log preloaded with {args.preload:,} entries")
    print(
        "CPU: this process's CPU time per operation (time.process_time), which other work on a "
        "shared machine does not inflate much"
    )
    print(f"{'':44}{'per second':>11}{'WAL bytes':>11}{'CPU us':>9}{'1/CPU':>9}")
    rows = [
        ("durable commit of one 170-byte row (peer)", peer, ""),
        ("publication, checkpoint in each", each, ""),
        ("publication, cadence 1 s", cadence, f"  ({cadence['checkpoints']} checkpoints)"),
        (
            f"{args.publishers} publishers, group commit",
            together,
            f"  ({together['checkpoints']} checkpoints)",
        ),
        ("advisory publication, checkpoint in each", own, ""),
        ("advisory publication, cadence 1 s", waits, f"  ({waits['checkpoints']} checkpoints)"),
    ]
    for label, found, note in rows:
        print(
            f"{label:44}{found['rate']:>11,.0f}{found['wal']:>11,.0f}{found['cpu']:>9,.0f}"
            f"{1e6 / found['cpu']:>9,.0f}{note}"
        )
    print(
        f"cadence / peer: {cadence['rate'] / peer['rate']:.2f}; cadence / checkpoint in each: "
        f"{cadence['rate'] / each['rate']:.1f}x"
    )
    print(f"advisory publication, cadence / checkpoint in each: {waits['rate'] / own['rate']:.1f}x")
    for label, found in (("one by one", cadence), ("group commit", together)):
        print(
            f"goal ({label}): {found['rate']:,.0f} a second is {found['rate'] / GOAL_RATE:.2f} of "
            f"{GOAL_RATE:,}; {found['wal']:,.0f} WAL bytes each is {found['wal'] / GOAL_WAL:.2f} "
            f"of {GOAL_WAL:,}"
        )
    print(f"load average before / after: {load[0]:.2f} / {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
