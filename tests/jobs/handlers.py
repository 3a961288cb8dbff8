"""Job handlers for the tests: record each run, fail on demand, or hang until killed."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from accord.errors import N_, Message
from accord.jobs.registry import JobContext, handler
from accord.sharing.federation import RemoteError

RUNS: list[tuple[int, str]] = []  # (job id, worker thread name)
_LOCK = threading.Lock()
BLOCK_ENV = "ACCORD_TEST_JOB_BLOCK"


@handler("tests.record")
def record(context: JobContext, payload: dict[str, Any]) -> None:
    # A little work, so that claims of concurrent workers really overlap.
    time.sleep(payload.get("work", 0))
    with _LOCK:
        RUNS.append((context.job_id, threading.current_thread().name))


@handler("tests.fail")
def fail(context: JobContext, payload: dict[str, Any]) -> None:
    raise RuntimeError(f"failing on attempt {context.attempt}")


@handler("tests.block")
def block(context: JobContext, payload: dict[str, Any]) -> None:
    Path(payload["marker"]).write_text(f"{os.getpid()} {context.attempt}\n")
    if os.environ.get(BLOCK_ENV):
        time.sleep(120)  # killed long before; the test never waits for this


@handler("tests.refuse")
def refuse(context: JobContext, payload: dict[str, Any]) -> None:
    # A domain error whose message the catalog says: a peer's refusal, as a pull's would be.
    status = Message(N_("%(url)s answered %(status_code)s"), url=payload["url"], status_code=401)
    raise RemoteError(status)
