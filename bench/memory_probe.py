"""Where a hub process's memory goes, sampled inside it (bench/load.py ``--trace-memory``).

With ``BENCH_MEMORY_PROBE`` naming a folder, :func:`start` (run at every interpreter's start
through ``bench/memprobe/sitecustomize.py``: the web process and the drainer it spawns alike)
appends one JSON line a sample to ``<folder>/<pid>.jsonl``: the process's anonymous resident
memory, glibc's heap (what the arenas hold, in use and free: free is fragmentation or memory
not yet given back), Python's allocated blocks, SQLite's memory (the library's total and
each connection's page cache, read with ``sqlite3_db_status``) and the hub's own caches (the
TAXII page cache, SQLAlchemy's compiled statements, ``accord.prepared``, every filled
``functools`` cache). With ``BENCH_MEMORY_TRACEMALLOC`` set (frames a traceback), tracemalloc
runs from the first sample on, and each sample carries the ten tracebacks that grew most since.

Every process is read from outside as well (``/proc``), so a process without the probe still
shows in the totals; the probe only says where its memory went.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

PROBE = "BENCH_MEMORY_PROBE"
TRACE = "BENCH_MEMORY_TRACEMALLOC"
EVERY = "BENCH_MEMORY_SECONDS"
_DBSTATUS_CACHE_USED = 1
_STATUS_MEMORY_USED = 0
_STATUS_PAGECACHE_OVERFLOW = 2


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]  # fmt: skip


def start() -> None:
    """Sample this process every ``BENCH_MEMORY_SECONDS`` (60) if ``BENCH_MEMORY_PROBE`` is set."""
    folder = os.environ.get(PROBE)
    if not folder:
        return
    every = float(os.environ.get(EVERY, "60"))
    out = Path(folder) / f"{os.getpid()}.jsonl"
    first: list[Any] = []  # the first sample's tracemalloc snapshot
    counted: list[Counter[str]] = []  # the first sample's objects by type

    def loop() -> None:
        while True:
            time.sleep(every)
            if os.environ.get(TRACE) and not tracemalloc.is_tracing():
                # From the first sample on, not from the start: what is allocated after the
                # process is serving, at a fraction of the cost of tracing its imports.
                tracemalloc.start(int(os.environ[TRACE]))
            try:
                line = sample(first, counted)
            except Exception as error:
                line = {"error": repr(error)}
            with out.open("a") as f:
                f.write(json.dumps(line) + "\n")

    threading.Thread(target=loop, name="bench-memory-probe", daemon=True).start()


def sample(first: list[Any], counted: list[Counter[str]] | None = None) -> dict[str, Any]:
    """One sample of this process (sizes in kB); with ``counted``, the object types whose
    count grew most since the first sample (objects the collector tracks: containers)."""
    status = Path("/proc/self/status").read_text().splitlines()
    anon = int(next(x for x in status if x.startswith("RssAnon")).split()[1])
    threads = int(next(x for x in status if x.startswith("Threads")).split()[1])
    line: dict[str, Any] = {"t": time.time(), "argv": " ".join(sys.argv)[:80], "anon": anon,
                            "threads": threads, "blocks": sys.getallocatedblocks()}  # fmt: skip
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    line["malloc"] = {"arena": info.arena // 1024, "mmap": info.hblkhd // 1024,
                      "used": info.uordblks // 1024, "free": info.fordblks // 1024}  # fmt: skip
    for part in (_pymalloc, _sqlite, _caches):
        try:
            line.update(part())
        except Exception as error:
            line[part.__name__] = repr(error)
    if counted is not None:
        now = Counter(type(o).__name__ for o in gc.get_objects())
        if not counted:
            counted.append(now)
        now.subtract(counted[0])
        line["types"] = now.most_common(8)
    if tracemalloc.is_tracing():
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]
        )
        line["traced"] = tracemalloc.get_traced_memory()[0] // 1024
        if not first:
            first.append(snapshot)
        growth = snapshot.compare_to(first[0], "traceback")[:10]
        line["growth"] = [
            [s.size_diff // 1024, s.count_diff, " < ".join(
                f"{Path(f.filename).name}:{f.lineno}" for f in list(s.traceback)[::-1][:6])]
            for s in growth
        ]  # fmt: skip
    return line


def _pymalloc() -> dict[str, Any]:
    """Python's own allocator (kB): its arenas (mapped apart from glibc's heap), the bytes in
    objects, the bytes free in its pools; read from ``sys._debugmallocstats`` (C's stderr)."""
    with tempfile.TemporaryFile() as out:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(out.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read().decode(errors="replace")
    wanted = {"# arenas allocated current": "arenas", "# bytes in allocated blocks": "objects",
              "# bytes in available blocks": "available", "# bytes lost to pool headers": "headers",
              "# bytes lost to quantization": "quantization", "Total": "total"}  # fmt: skip
    found = {}
    for row in text.splitlines():
        name, _, value = row.partition("=")
        key = wanted.get(name.strip())
        if key and key not in found:  # the first Total: the arenas' (the second: the map's)
            found[key] = int(value.strip().replace(",", "")) // (1 if key == "arenas" else 1024)
    return {"pymalloc": found}


def _sqlite_library() -> ctypes.CDLL | None:
    if "sqlite3" not in sys.modules:
        return None
    for mapped in Path("/proc/self/maps").read_text().splitlines():
        if "libsqlite3" in mapped:
            return ctypes.CDLL(mapped.split()[-1])  # the copy already loaded
    return None


def _sqlite() -> dict[str, Any]:
    """SQLite's memory: the library's in this process, each open connection's page cache."""
    lib = _sqlite_library()
    if lib is None:
        return {}
    current, high = ctypes.c_int64(), ctypes.c_int64()
    lib.sqlite3_status64(_STATUS_MEMORY_USED, ctypes.byref(current), ctypes.byref(high), 0)
    used = current.value // 1024
    lib.sqlite3_status64(_STATUS_PAGECACHE_OVERFLOW, ctypes.byref(current), ctypes.byref(high), 0)
    caches = []
    lib.sqlite3_db_status.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                                      ctypes.POINTER(ctypes.c_int), ctypes.c_int]  # fmt: skip
    lib.sqlite3_db_filename.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.sqlite3_db_filename.restype = ctypes.c_char_p
    import sqlite3

    for conn in [o for o in gc.get_objects() if isinstance(o, sqlite3.Connection)]:
        # CPython 3.11's pysqlite_Connection: the object's head, then the sqlite3 pointer.
        handle = ctypes.c_void_p.from_address(id(conn) + 2 * ctypes.sizeof(ctypes.c_void_p))
        if not handle.value or lib.sqlite3_db_filename(handle.value, b"main") is None:
            continue
        cur, hi = ctypes.c_int(), ctypes.c_int()
        lib.sqlite3_db_status(handle.value, _DBSTATUS_CACHE_USED, ctypes.byref(cur),
                              ctypes.byref(hi), 0)  # fmt: skip
        caches.append(cur.value // 1024)
    return {"sqlite": used, "sqlite_pagecache": current.value // 1024,
            "connection_caches": sorted(caches, reverse=True)}  # fmt: skip


def watch(app: Any) -> None:
    """Report ``app``'s caches (the hub's app: its state holds the engine and the page cache).

    The hub freezes what start-up built (``gc.freeze``): the collector no longer lists it, so
    the app, its engine and every module's caches are reached from here and from the modules.
    """
    _APPS.append(app)


_APPS: list[Any] = []


def _lru_caches() -> list[tuple[int, str]]:
    """``functools`` caches: the modules' (and their classes'), and those made since start."""
    seen: dict[int, tuple[int, str]] = {}

    def consider(o: Any) -> None:
        if type(o).__name__ == "_lru_cache_wrapper" and id(o) not in seen:
            wrapped = getattr(o, "__wrapped__", o)
            name = getattr(wrapped, "__qualname__", None) or type(wrapped).__name__
            seen[id(o)] = (o.cache_info().currsize, f"{getattr(wrapped, '__module__', '')}.{name}")

    for module in list(sys.modules.values()):
        for value in list(getattr(module, "__dict__", {}).values()):
            consider(value)
            if isinstance(value, type):
                for member in list(vars(value).values()):
                    consider(member)
    for o in gc.get_objects():  # not frozen: made since start (sqlite3's statement caches)
        consider(o)
    return sorted((v for v in seen.values() if v[0]), reverse=True)


def _caches() -> dict[str, Any]:
    """The hub's caches that can grow with what the load sends."""
    found: dict[str, Any] = {}
    states = [app.state for app in _APPS]
    found["page_cache"] = [[len(s.page_cache), s.page_cache.size // 1024] for s in states]
    engines = [s.engine for s in states]
    found["compiled"] = [len(e._compiled_cache or {}) for e in engines]
    found["pools"] = [e.pool.status() for e in engines]
    prepared = sys.modules.get("accord.prepared")
    if prepared is not None:
        table = prepared._PREPARED
        found["prepared"] = [len(table), sum(len(p._expansions) for p in table.values())]
    lru = _lru_caches()
    statements = [size for size, name in lru if name == "sqlite3.Connection"]
    found["statement_caches"] = [len(statements), sum(statements), max(statements, default=0)]
    found["lru"] = [entry for entry in lru if entry[1] != "sqlite3.Connection"][:8]
    return found
