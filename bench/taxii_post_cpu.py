"""CPU an object of each thread of the hub's web process and of its drainer, for POSTs alone.

    PYTHONPATH=src:. .venv/bin/python bench/taxii_post_cpu.py [--envelopes 100]

``bench/sharing_taxii.py`` gives each process's CPU with the client's status polls in it;
this posts ``--envelopes`` envelopes of 1,000 of the TAXII benchmark's indicators on one
keep-alive connection, polls nothing, waits 3 s for the drainer, and prints the user and
system CPU of every thread (from ``/proc``) in µs an object, and how fast the envelopes were
acknowledged. Times move with the machine's load; ``bench/taxii_post_instructions.py``
counts instructions. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import taxii_servers as servers

TICK = os.sysconf("SC_CLK_TCK")
Times = dict[str, tuple[float, float]]  # thread -> user and system CPU seconds


def threads(pid: int) -> Times:
    """The user and system CPU of each thread of ``pid``."""
    found: Times = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        found[task.name] = (int(fields[11]) / TICK, int(fields[12]) / TICK)
    return found


def drainers(pid: int) -> list[int]:
    """The children of ``pid`` but multiprocessing's resource tracker: its drainer."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if parent == pid and b"resource_tracker" not in command:
            found.append(int(stat.parent.name))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--envelopes", type=int, default=100)
    args = parser.parse_args()
    objects = 1000 * args.envelopes
    bodies = list(servers.envelopes(objects, 1000))
    with tempfile.TemporaryDirectory() as directory:
        process, url, auth = servers.start_hub(Path(directory), None)
        try:
            time.sleep(5)  # the drainer's start left out
            pids = {"web": process.pid}
            pids.update(("drainer" if i == 0 else f"drainer {i}", p)
                        for i, p in enumerate(drainers(process.pid)))  # fmt: skip
            before = {name: threads(pid) for name, pid in pids.items()}
            parts = urlsplit(url)
            started = time.perf_counter()
            servers.post_envelopes(parts.netloc, parts.path, auth, bodies)
            posted = time.perf_counter() - started
            time.sleep(3)
            after = {name: threads(pid) for name, pid in pids.items()}
        finally:
            process.terminate()
            process.wait(timeout=60)
    print(f"{objects:,} objects acknowledged at {objects / posted:,.0f} a second; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    for name, spent in after.items():
        user = system = 0.0
        for thread, (u, s) in spent.items():
            u0, s0 = before[name].get(thread, (0.0, 0.0))
            user, system = user + u - u0, system + s - s0
            if u - u0 + s - s0 > 0.0002 * objects / 1000:
                print(f"  {name} thread {thread}: user {(u - u0) / objects * 1e6:.1f} µs, "
                      f"system {(s - s0) / objects * 1e6:.1f} µs an object")  # fmt: skip
        print(f"{name}: user {user / objects * 1e6:.1f} µs, system "
              f"{system / objects * 1e6:.1f} µs an object")  # fmt: skip


if __name__ == "__main__":
    main()
