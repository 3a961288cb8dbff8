"""A child process for the crash and concurrency tests: appends to the log in a loop.

Each committed append is acknowledged on stdout as ``<index> <leaf hash hex>``, after the
commit returned; the parent may SIGKILL it at any moment. With ``--hub`` it also plays a hub
process: after each append it reads the checkpoint through the app, checks its signature and
its consistency with the previous one it read, and exits 2 on any failure.

    python -m tests.transparency.appender --data-dir D [--database-url U] [--count N]
        [--interval SECONDS]

With ``--interval`` above 0, publications do not wait for their checkpoint: the log's cadence
(a thread, as in the web process) signs the entries waiting every interval. With ``--grouped``
the threads publish through one group commit of publications
(:class:`accord.transparency.batching.Publications`), each acknowledged after the commit that
holds it.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
from pathlib import Path

from sqlalchemy.orm import Session

from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work
from accord.transparency import merkle, services
from accord.transparency.batching import Publications
from accord.transparency.monitor import HubClient, check_extends, open_signed
from accord.transparency.note import Verifier


def _publish_grouped(
    group: Publications, settings: Settings, rng: random.Random, tag: str
) -> list[str]:
    def work(db: Session) -> services.LogEntryRef:
        return services.append(
            db,
            settings=settings,
            entry_type="test.grouped",
            subject_id=tag,
            document={"by": tag, "pid": os.getpid(), "n": rng.random()},
        )

    ref = group.run(work)
    return [f"{ref.index} {ref.leaf_hash.hex()}"]


def _append_once(factory: object, settings: Settings, rng: random.Random, tag: str) -> list[str]:
    assert callable(factory)
    if rng.random() < 0.6:
        with unit_of_work(factory) as db:
            ref = services.append(
                db,
                settings=settings,
                entry_type="test.append",
                subject_id=tag,
                document={"by": tag, "pid": os.getpid(), "n": rng.random()},
            )
        return [f"{ref.index} {ref.leaf_hash.hex()}"]
    entries = [f"raw {tag} {rng.random()} {k}".encode() for k in range(rng.randint(1, 40))]
    with unit_of_work(factory) as db:
        first = services.append_entries(db, settings=settings, entries=entries)
    return [f"{first + k} {merkle.hash_leaf(e).hex()}" for k, e in enumerate(entries)]


class HubReader:
    """Reads checkpoints through the app, as a client of this hub process would."""

    def __init__(self, settings: Settings, engine: object, verifier_key: str) -> None:
        from fastapi.testclient import TestClient

        from accord.web.app import create_app

        app = create_app(settings, engine=engine)  # type: ignore[arg-type]
        self.client = HubClient("http://testserver", client=TestClient(app))
        self.verifier = Verifier.parse(verifier_key)
        self.last: str | None = None

    def check(self, at_least: int) -> None:
        current = self.client.checkpoint_note()
        if open_signed(current, self.verifier).size < at_least:
            raise SystemExit(f"checkpoint older than an append this process saw ({at_least})")
        if self.last is not None:
            check_extends(
                self.client,
                previous_note=self.last,
                current_note=current,
                verifier=self.verifier,
                evidence_dir=Path(tempfile.gettempdir()),
            )
        self.last = current


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--count", type=int, default=0, help="appends per thread; 0: forever")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hub", action="store_true")
    parser.add_argument("--interval", type=float, default=0.0)
    parser.add_argument("--grouped", action="store_true")
    args = parser.parse_args()
    settings = Settings(
        data_dir=Path(args.data_dir),
        database_url=args.database_url or None,
        base_url="http://testserver",
        log_checkpoint_seconds=args.interval,
    )
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    if args.interval > 0:
        from accord.web.app import log_cadence

        log_cadence(settings, factory).start()
    group = Publications(factory) if args.grouped else None
    output = threading.Lock()
    failures: list[BaseException] = []

    def worker(number: int) -> None:
        rng = random.Random(args.seed * 1000 + number)
        tag = f"p{os.getpid()}t{number}"
        reader = None
        if args.hub:
            with unit_of_work(factory) as db:
                key = services.log_verifier(db, settings=settings).encode()
            reader = HubReader(settings, engine, key)
        done = 0
        try:
            while args.count == 0 or done < args.count:
                if group is not None:
                    lines = _publish_grouped(group, settings, rng, tag)
                else:
                    lines = _append_once(factory, settings, rng, tag)
                with output:
                    sys.stdout.write("".join(f"{line}\n" for line in lines))
                    sys.stdout.flush()
                if reader is not None:
                    reader.check(int(lines[-1].split()[0]) + 1)
                done += 1
        except BaseException as exc:
            failures.append(exc)
            raise

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        print(f"appender failed: {failures[0]!r}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
