"""Which process holds which TCP connection, read from Linux's ``/proc`` (tests and bench)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

PROC = Path("/proc")
ESTABLISHED = "01"
LISTEN = "0A"


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


def _server_sockets(port: int, established: bool = True) -> dict[str, int]:
    """Inode to client port of the connections whose local end is ``port`` (the server's):
    established ones, or in any state (a connection the client closed and the server not yet)."""
    found = {}
    for table in ("tcp", "tcp6"):
        path = PROC / "net" / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if int(local.rpartition(":")[2], 16) != port or inode == "0":
                continue
            if state == ESTABLISHED or (not established and state != LISTEN):
                found[inode] = int(remote.rpartition(":")[2], 16)
    return found


def _holders(pids: list[int], port: int, established: bool) -> dict[int, list[int]]:
    """Per process of ``pids``, the client ports of the connections to ``port`` it holds."""
    sockets = _server_sockets(port, established)
    held: dict[int, list[int]] = {}
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in (PROC / str(pid) / "fd").iterdir()]
        except OSError:
            continue
        held[pid] = [sockets[link[8:-1]] for link in links
                     if link.startswith("socket:") and link[8:-1] in sockets]  # fmt: skip
    return held


def connections_by_process(pids: list[int], port: int, established: bool = True) -> Counter[int]:
    """How many connections to ``port`` each of ``pids`` holds (accepted ones): established,
    or in any state while the process still has them open."""
    return Counter({pid: len(ports) for pid, ports in _holders(pids, port, established).items()})


def client_ports_by_process(pids: list[int], port: int) -> dict[int, list[int]]:
    """Per process of ``pids``, the client ports of the established connections it holds."""
    return _holders(pids, port, established=True)
