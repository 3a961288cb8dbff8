"""glibc's malloc arenas, limited for a long-running server.

A thread that allocates gets an arena of its own while there are fewer than eight per core, and
memory freed in an arena serves only the threads using it. A web process runs some 30 threads
(the request pool, the flushers, the job worker): on two cores they spread over up to 16 arenas,
each keeping its own free space, which a long run leaves scattered. The 30-minute soak saw glibc's
free arena memory grow from 4 to 17 MB and still creep 0.2 MB a minute while what was in use
stayed near 70 MB (docs/benchmarks.md, "where the soak's memory goes"). Fewer arenas share their
free space; the cost is threads waiting on an arena's lock, small where the interpreter lock
already serialises most allocation.

``MALLOC_ARENA_MAX`` in the environment is the operator's word and is left alone; elsewhere than
glibc (musl, macOS) nothing is done.
"""

from __future__ import annotations

import ctypes
import os

# mallopt's parameter for the arena limit (glibc's malloc.h).
M_ARENA_MAX = -8


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    # musl also has a mallopt (one that does nothing); only glibc names its version.
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return None
    return libc


def limit(arenas: int) -> bool:
    """At most ``arenas`` arenas from now on (0: glibc's own limit). True if it was set."""
    if arenas <= 0 or "MALLOC_ARENA_MAX" in os.environ:
        return False
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(ctypes.c_int(M_ARENA_MAX), ctypes.c_int(arenas)))


def count() -> int | None:
    """How many arenas glibc has made in this process (``malloc_info``'s heaps), or None."""
    libc = _glibc()
    if libc is None or not hasattr(libc, "open_memstream"):
        return None
    buffer = ctypes.c_char_p()
    size = ctypes.c_size_t()
    libc.open_memstream.restype = ctypes.c_void_p
    stream = libc.open_memstream(ctypes.byref(buffer), ctypes.byref(size))
    if not stream:
        return None
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    try:
        text = ctypes.string_at(buffer, size.value).decode()
    finally:
        libc.free.argtypes = [ctypes.c_void_p]
        libc.free(buffer)
    return text.count("<heap nr=")
