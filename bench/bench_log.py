"""Benchmark: the transparency log against pymerkle 7.0.0, side by side, same 64-byte entries.

    python bench/bench_log.py [--entries 1000000] [--proofs 2000]

1. Batched append into SQLite, durable (the hub's WAL + synchronous=FULL; pymerkle's default
   rollback journal, synchronous=FULL), entries stored: entries per second.
2. Proofs at the full size from a freshly started process (a new interpreter that opens the
   database and proves; no cache, nothing rehashed): the first proof, then the median and
   99th percentile of random inclusion and consistency proofs.
3. Storage bytes per entry, and for reference one core's SHA-256 leaf-hash rate.

Figures go to docs/benchmarks.md by hand, with the command and the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BATCH = 100_000
PROOF_LABELS = {
    "first_ms": "open + first proof (ms)",
    "inclusion_median_ms": "inclusion proof, median (ms)",
    "inclusion_p99_ms": "inclusion proof, p99 (ms)",
    "consistency_median_ms": "consistency proof, median (ms)",
    "consistency_p99_ms": "consistency proof, p99 (ms)",
}


def entries(count: int, seed: int = 7) -> list[bytes]:
    """The same 64-byte entries for both projects."""
    rng = random.Random(seed)
    return [rng.randbytes(64) for _ in range(count)]


def hash_rate(data: list[bytes]) -> float:
    """One core's RFC 9162 leaf hashes per second."""
    sample = data[:500_000]
    start = time.perf_counter()
    for entry in sample:
        hashlib.sha256(b"\x00" + entry).digest()
    return len(sample) / (time.perf_counter() - start)


def _settings(directory: Path) -> Any:
    from accord.config import Settings

    return Settings(data_dir=directory, base_url="https://bench.example")


def append_ours(directory: Path, data: list[bytes]) -> dict[str, float]:
    """Batched, durable append into the hub's SQLite database; one checkpoint per batch."""
    from accord.db import make_engine, make_sessionmaker, unit_of_work, upgrade
    from accord.transparency import services

    settings = _settings(directory)
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    start = time.perf_counter()
    for offset in range(0, len(data), BATCH):
        with unit_of_work(factory) as db:
            services.append_entries(db, settings=settings, entries=data[offset : offset + BATCH])
    elapsed = time.perf_counter() - start
    raw = engine.raw_connection()  # outside a transaction: fold the WAL into the file
    raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    engine.dispose()
    size = (directory / "accord.db").stat().st_size
    return {"rate": len(data) / elapsed, "bytes_per_entry": size / len(data)}


def append_service(directory: Path, count: int) -> float:
    """Publications through ``append``, one committed transaction each (the real path)."""
    from accord.db import make_engine, make_sessionmaker, unit_of_work, upgrade
    from accord.transparency import services

    settings = _settings(directory)
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    start = time.perf_counter()
    for n in range(count):
        with unit_of_work(factory) as db:
            services.append(
                db, settings=settings, entry_type="bench.doc", subject_id="s", document={"n": n}
            )
    elapsed = time.perf_counter() - start
    engine.dispose()
    return count / elapsed


def append_pymerkle(path: Path, data: list[bytes]) -> dict[str, float]:
    """pymerkle's bulk append into its SQLite backend (one transaction, 100,000 a chunk)."""
    from pymerkle import SqliteTree

    tree = SqliteTree(str(path))
    start = time.perf_counter()
    tree.append_entries(data)
    elapsed = time.perf_counter() - start
    tree.close()
    return {"rate": len(data) / elapsed, "bytes_per_entry": path.stat().st_size / len(data)}


def append_pymerkle_memory(data: list[bytes]) -> float:
    """pymerkle's in-memory tree, one append at a time."""
    from pymerkle import InmemoryTree

    tree = InmemoryTree()
    start = time.perf_counter()
    for entry in data:
        tree.append_entry(entry)
    return len(data) / (time.perf_counter() - start)


def _summary(first: float, inclusion: list[float], consistency: list[float]) -> dict[str, float]:
    def p99(values: list[float]) -> float:
        return sorted(values)[int(len(values) * 0.99)]

    return {
        "first_ms": first * 1e3,
        "inclusion_median_ms": statistics.median(inclusion) * 1e3,
        "inclusion_p99_ms": p99(inclusion) * 1e3,
        "consistency_median_ms": statistics.median(consistency) * 1e3,
        "consistency_p99_ms": p99(consistency) * 1e3,
    }


def _challenges(size: int, count: int) -> list[tuple[int, int, int]]:
    rng = random.Random(11)
    found = []
    for _ in range(count):
        tree_size = rng.randint(2, size)
        found.append((tree_size, rng.randrange(tree_size), rng.randint(1, tree_size - 1)))
    return found


def proofs_ours(directory: Path, size: int, count: int) -> dict[str, float]:
    """In a fresh process: open the database, prove, verify a sample."""
    from accord.db import make_engine, make_sessionmaker
    from accord.transparency import merkle, services

    challenges = _challenges(size, count)
    start = time.perf_counter()
    engine = make_engine(_settings(directory))
    db = make_sessionmaker(engine, read_only=True)()
    services.prove_inclusion(db, index=size // 3, tree_size=size)
    first = time.perf_counter() - start
    inclusion, consistency = [], []
    for tree_size, index, old_size in challenges:
        t0 = time.perf_counter()
        proof = services.prove_inclusion(db, index=index, tree_size=tree_size)
        t1 = time.perf_counter()
        joined = services.prove_consistency(db, first=old_size, second=tree_size)
        t2 = time.perf_counter()
        inclusion.append(t1 - t0)
        consistency.append(t2 - t1)
        if len(inclusion) % 100 == 0:  # the proofs are real: check some, outside the timing
            merkle.verify_inclusion(
                index, tree_size, proof.leaf_hash, proof.hashes, proof.root_hash
            )
            merkle.verify_consistency(
                old_size, tree_size, joined.hashes, joined.first_root, joined.second_root
            )
    db.close()
    return _summary(first, inclusion, consistency)


def proofs_pymerkle(path: Path, size: int, count: int) -> dict[str, float]:
    """In a fresh process: open pymerkle's database and prove (its indices count from 1)."""
    from pymerkle import SqliteTree

    challenges = _challenges(size, count)
    start = time.perf_counter()
    tree = SqliteTree(str(path))
    tree.prove_inclusion(size // 3 + 1, size)
    first = time.perf_counter() - start
    inclusion, consistency = [], []
    for tree_size, index, old_size in challenges:
        t0 = time.perf_counter()
        tree.prove_inclusion(index + 1, tree_size)
        t1 = time.perf_counter()
        tree.prove_consistency(old_size, tree_size)
        t2 = time.perf_counter()
        inclusion.append(t1 - t0)
        consistency.append(t2 - t1)
    tree.close()
    return _summary(first, inclusion, consistency)


def in_fresh_process(which: str, target: Path, size: int, count: int) -> dict[str, float]:
    """Run a proof measurement in a new interpreter and read its JSON answer."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    command = [sys.executable, __file__, "--prove", which, str(target), str(size), str(count)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def report(figures: dict[str, Any]) -> None:
    """Print both projects side by side, with ratios."""
    ours, theirs = figures["ours"], figures["pymerkle"]
    print(
        f"entries: {figures['entries']:,} x 64 bytes; one core hashes "
        f"{figures['hash_rate']:,.0f} leaves/s"
    )
    print(f"{'':34}{'accord':>14}{'pymerkle':>14}{'ratio':>10}")
    rate = ours["rate"] / theirs["rate"]
    print(
        f"{'append, SQLite, durable (/s)':34}{ours['rate']:>14,.0f}{theirs['rate']:>14,.0f}"
        f"{rate:>9.2f}x"
    )
    for key, label in PROOF_LABELS.items():
        mine, other = ours["proofs"][key], theirs["proofs"][key]
        print(f"{label:34}{mine:>14.3f}{other:>14.3f}{other / mine:>9.1f}x")
    print(
        f"{'storage (bytes/entry)':34}{ours['bytes_per_entry']:>14.1f}"
        f"{theirs['bytes_per_entry']:>14.1f}"
    )
    print(
        f"pymerkle in memory, one at a time: {figures['pymerkle_memory']:,.0f}/s; "
        f"accord append() of a publication, one transaction each: {figures['service']:,.0f}/s"
    )
    print("ratio: accord/pymerkle for rates, pymerkle/accord for times (higher is better)")
    print(f"load average before / after: {figures['load'][0]:.2f} / {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument("--prove", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prove:
        which, target, size, count = args.prove
        measure = proofs_ours if which == "ours" else proofs_pymerkle
        print(json.dumps(measure(Path(target), int(size), int(count))))
        return
    load = os.getloadavg()[0]  # other work on the machine shows in the tails: print it
    data = entries(args.entries)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        ours = append_ours(work / "accord", data)
        theirs = append_pymerkle(work / "pymerkle.db", data)
        ours["proofs"] = in_fresh_process("ours", work / "accord", args.entries, args.proofs)
        theirs["proofs"] = in_fresh_process(
            "pymerkle", work / "pymerkle.db", args.entries, args.proofs
        )
        figures = {
            "entries": args.entries,
            "hash_rate": hash_rate(data),
            "ours": ours,
            "pymerkle": theirs,
            "pymerkle_memory": append_pymerkle_memory(data[:200_000]),
            "service": append_service(work / "service", 2000),
            "load": (load,),
        }
    report(figures)


if __name__ == "__main__":
    main()
