"""bench/load.py ``--soak``: the workload for a long while, the server's memory sampled.

Every minute, each process of the server (the web process, the drainer it spawned) read from
``/proc``: anonymous resident memory and open files. With ``--trace-memory`` the processes
also sample themselves (bench/memory_probe.py) and each minute's line says where the memory
is: glibc's heap in use and free, Python's blocks, SQLite's memory and its connections' page
caches, the hub's caches.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from bench import memory_probe
from bench.load_client import Tally, Target, drive

SAMPLE_SECONDS = 60
PROBE_PATH = Path(__file__).resolve().parent / "memprobe"


def probe_env(folder: Path, every: float, tracemalloc_frames: int) -> dict[str, str]:
    """The server's environment for ``--trace-memory``: every interpreter samples itself."""
    folder.mkdir(parents=True, exist_ok=True)
    root = Path(__file__).resolve().parent.parent
    env = {memory_probe.PROBE: str(folder), memory_probe.EVERY: str(every),
           "PYTHONPATH": f"{PROBE_PATH}:{root / 'src'}:{root}"}  # fmt: skip
    if tracemalloc_frames:
        env[memory_probe.TRACE] = str(tracemalloc_frames)
    return env


def processes(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += [int(c) for c in os.popen(f"pgrep -P {p}").read().split()]  # noqa: S605
    return found


def outside(pid: int) -> dict[int, tuple[int, int]]:
    """Each process's anonymous resident memory (kB) and open files, from /proc."""
    seen = {}
    for p in processes(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text().splitlines()
            anon = int(next(x for x in status if x.startswith("RssAnon")).split()[1])
            seen[p] = (anon, len(os.listdir(f"/proc/{p}/fd")))
        except (OSError, StopIteration):
            continue
    return seen


def inside(folder: Path | None) -> dict[int, dict[str, Any]]:
    """Each probed process's latest sample."""
    latest: dict[int, dict[str, Any]] = {}
    if folder is None:
        return latest
    for path in folder.glob("*.jsonl"):
        lines = path.read_text().splitlines()
        if lines:
            latest[int(path.stem)] = json.loads(lines[-1])
    return latest


def describe(sample: dict[str, Any]) -> str:
    """A probed sample in a line (MB unless said)."""
    if "error" in sample:
        return sample["error"]
    m = sample["malloc"]
    parts = [f"heap used {m['used'] // 1024} free {m['free'] // 1024} mmap {m['mmap'] // 1024}",
             f"pymalloc {sample['pymalloc'].get('total', 0) // 1024} (objects "
             f"{sample['pymalloc'].get('objects', 0) // 1024})",
             f"py blocks {sample['blocks'] // 1000}k", f"threads {sample['threads']}"]  # fmt: skip
    if "sqlite" in sample:
        caches = sample["connection_caches"]
        largest = caches[0] // 1024 if caches else 0
        parts.append(f"sqlite {sample['sqlite'] // 1024} (page caches {sum(caches) // 1024} in "
                     f"{len(caches)} conns, largest {largest})")  # fmt: skip
    pages = sample.get("page_cache") or []
    if pages:
        parts.append("taxii pages " + ", ".join(f"{n} / {kb // 1024}" for n, kb in pages))
    parts.append(f"compiled {sample.get('compiled')} prepared {sample.get('prepared')}")
    if sample.get("statement_caches"):
        conns, total, most = sample["statement_caches"]
        parts.append(f"sqlite3 statement caches {total} in {conns} (most {most})")
    if sample.get("lru"):
        parts.append(
            "lru " + ", ".join(f"{n.rsplit('.', 1)[-1]} {s}" for s, n in sample["lru"][:6])
        )
    if "traced" in sample:
        parts.append(f"traced {sample['traced'] // 1024}")
    return "; ".join(parts)


def grown(sample: dict[str, Any]) -> list[str]:
    """What grew since the process's first sample: objects by type, tracemalloc's tracebacks."""
    lines = []
    if sample.get("types"):
        counts = ", ".join(f"{name} {count:+}" for name, count in sample["types"])
        lines.append(f"objects since the first sample: {counts}")
    for kb, count, where in sample.get("growth", [])[:5]:
        lines.append(f"{kb:+} kB {count:+} {where}")
    return lines


async def soak(
    hub: Target, connections: int, seconds: float, pid: int, folder: Path | None = None
) -> Tally:
    """The workload for ``seconds``, sampling the server's memory and open files."""
    # (seconds, {pid: (anonymous kB, open files)})
    samples: list[tuple[float, dict[int, tuple[int, int]]]] = []

    def take(at: float) -> None:
        samples.append((at, outside(pid)))
        at, seen = samples[-1]
        total = sum(a for a, _ in seen.values())
        files = sum(f for _, f in seen.values())
        print(f"  soak {at:6.0f} s: {total // 1024} MB anonymous, {files} open files; "
              + ", ".join(f"{p}: {a // 1024} MB" for p, (a, _) in seen.items())
              + f"; load {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
        for p, probed in sorted(inside(folder).items()):
            if p in seen:
                print(f"    {p}: {describe(probed)}", flush=True)
                for line in grown(probed):
                    print(f"      {line}", flush=True)

    async def sampler() -> None:
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            # Just after the processes' own samples (they run on the same minute).
            take(time.monotonic() - started)
            await asyncio.sleep(SAMPLE_SECONDS)

    task = asyncio.create_task(sampler())
    tally = await drive(hub, connections, seconds)
    task.cancel()
    take(tally.seconds)
    totals = [(at, sum(a for a, _ in seen.values()), sum(f for _, f in seen.values()))
              for at, seen in samples]  # fmt: skip
    print("  soak, every sample (minute: MB anonymous, open files): " + ", ".join(
        f"{at / 60:.0f}: {a // 1024}, {f}" for at, a, f in totals))  # fmt: skip
    later = [a // 1024 for _, a, _ in totals[len(totals) // 2 :]]
    files = [f for *_, f in totals]
    print(f"  anonymous memory: first {totals[0][1] // 1024} MB, over the second half "
          f"{min(later)} to {max(later)} MB; open files {min(files)} to {max(files)}")  # fmt: skip
    return tally
