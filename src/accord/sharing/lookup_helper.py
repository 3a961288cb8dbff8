"""A look-up helper process's side (``accord.sharing.lookup_pool``): it warms up, says so, then
answers the slices the web process sends it, each in a read-only transaction of its own,
as :func:`accord.sharing.indicators.answer` answers them for the reader sent with the slice.

Its replies: ``READY`` once; then for each slice ``OK``, the request's number, this
process's CPU seconds for it and the slice's JSON array elements, or ``FAILED`` and why.
"""

from __future__ import annotations

import gc
import signal
import struct
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection

import orjson

from accord.config import Settings
from accord.db import LOOKUP_HELPER_CONNECTIONS, make_engine, make_sessionmaker
from accord.identity.policy import ANONYMOUS
from accord.sharing import indicators, lookup_planner, lookup_ranges, warninglists
from accord.sharing.readers import reader_for

OK, FAILED, READY = b"J", b"E", b"R"
# A reply's header after its first byte: the number of the request it answers, and this
# process's CPU seconds for it.
CPU = struct.Struct("<Qd")
# What a warming helper looks up: one value of each kind, so each statement is compiled.
WARM_VALUES = ["192.0.2.1", "2001:db8::1", "example.com", "http://example.com/x", "0" * 64]


def elements(answer: Sequence[object]) -> memoryview | None:
    """The JSON array's elements of a slice's answer, as ``jsonio.dumps`` writes the whole
    (orjson, compact: an array is its elements joined by commas); None where orjson cannot
    write it (``jsonio`` then writes the whole answer otherwise). A view of the array's
    bytes, not a copy of them: a slice's answer is some 2 MB, and each copy of it a fresh
    allocation the kernel maps page by page (0.1 to 3 ms measured, docs/benchmarks.md)."""
    try:
        written = orjson.dumps(answer, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return None
    return memoryview(written)[1:-1]


def serve(settings: Settings, pipe: Connection) -> None:
    """A helper's life: warm up, say so, then answer slices until the pipe closes."""
    # Ctrl-C reaches the whole process group: the web process stops its helpers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    # The look-up's planner settings for every statement of a helper, all of them a look-up's:
    # set once a connection (``lookup_planner``), not by a statement a slice.
    engine = make_engine(
        settings, connections=LOOKUP_HELPER_CONNECTIONS, server_options=lookup_planner.OPTIONS
    )
    factory = make_sessionmaker(engine, read_only=True)
    factory.configure(info={lookup_planner.SET_ON_CONNECT: True})
    with factory() as db:
        warninglists.matcher(db)
        indicators.answer(db, reader=reader_for(db, ANONYMOUS), values=WARM_VALUES)
        db.rollback()
    # As the web process does once started (accord.web.app): what is built stays out of the
    # collector's walks.
    gc.collect()
    gc.freeze()
    pipe.send_bytes(READY)
    while True:
        try:
            asked = pipe.recv()
        except (EOFError, OSError):
            break  # the web process closed the pipe, or is gone
        if asked is None:
            lookup_ranges.clear()
            continue
        number, reader, values, include_expired, now = asked
        began = time.process_time()
        try:
            with factory() as db:
                found = indicators.answer(
                    db, reader=reader, values=values, include_expired=include_expired, now=now
                )
                db.rollback()
            written = elements(found)
            if written is None:
                reply = FAILED + b"JSON orjson does not write"
            else:
                # One copy of the elements, into the reply (``bytes.join`` takes the view).
                header = OK + CPU.pack(number, time.process_time() - began)
                reply = b"".join((header, written))
        except Exception as exc:  # answered in the web process instead; the helper goes on
            reply = FAILED + repr(exc).encode()
        try:
            pipe.send_bytes(reply)
        except OSError:
            break
    engine.dispose()
