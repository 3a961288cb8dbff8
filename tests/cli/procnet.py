"""Which process holds which TCP connection, read from Linux's ``/proc`` (tests and bench)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

PROC = Path("/proc")
ESTABLISHED = "01"


def children(parent: int) -> list[int]:
    """The processes whose parent is ``parent``."""
    found = []
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            # "pid (name) state ppid ...": the name may hold spaces; read after its ")".
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def _server_inodes(port: int) -> set[str]:
    """Inodes of the established connections whose local end is ``port`` (the server's)."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        path = PROC / "net" / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == ESTABLISHED and int(local.rpartition(":")[2], 16) == port:
                inodes.add(inode)
    return inodes


def connections_by_process(pids: list[int], port: int) -> Counter[int]:
    """How many established connections to ``port`` each of ``pids`` holds (accepted ones)."""
    inodes = _server_inodes(port)
    held: Counter[int] = Counter()
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in (PROC / str(pid) / "fd").iterdir()]
        except OSError:
            continue
        held[pid] = sum(1 for link in links if link[8:-1] in inodes and link.startswith("socket:"))
    return held
