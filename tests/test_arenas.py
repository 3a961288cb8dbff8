"""glibc's arenas limited in serving processes (accord.arenas), each case in a fresh interpreter:
the limit is process-wide and would leak into the rest of the suite."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from accord import arenas

pytestmark = pytest.mark.skipif(arenas.count() is None, reason="glibc's malloc only")

SRC = Path(__file__).resolve().parents[1] / "src"

# Eight threads alive at once, each allocating past pymalloc (which serves 512 bytes and less):
# glibc gives each its own arena while under the limit.
THREADS = """
import threading
from accord import arenas
both = threading.Barrier(8)
def allocate():
    both.wait()
    kept = [bytearray(4000) for _ in range(100)]
    both.wait()
threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(arenas.count())
"""


def _arenas_after(setup: str, *, environment: dict[str, str] | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    env.update(environment or {})
    env["PYTHONPATH"] = str(SRC)
    script = textwrap.dedent(setup) + THREADS
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return int(done.stdout.split()[-1])


def test_without_a_limit_each_thread_takes_an_arena() -> None:
    # The control: glibc's own limit (eight per core) lets eight threads make their own.
    assert _arenas_after("") > 2


def test_the_limit_holds_the_threads_to_two_arenas() -> None:
    setup = "from accord import arenas\nassert arenas.limit(2)\n"
    assert _arenas_after(setup) <= 2


def test_the_operators_malloc_arena_max_wins() -> None:
    setup = "from accord import arenas\nassert not arenas.limit(2)\n"
    assert _arenas_after(setup, environment={"MALLOC_ARENA_MAX": "4"}) == 4


def test_zero_keeps_glibcs_own_limit() -> None:
    setup = "from accord import arenas\nassert not arenas.limit(0)\n"
    assert _arenas_after(setup) > 2


def test_a_serving_process_limits_its_arenas(tmp_path: Path) -> None:
    # The lifespan sets the limit from the settings before its threads start.
    setup = f"""
    from fastapi.testclient import TestClient
    from accord.config import Settings
    from accord.cli.context import open_engine
    from accord.web.app import create_app
    settings = Settings(data_dir={str(tmp_path)!r}, malloc_arenas=2,
                        worker_in_process=False, taxii_drainer_at_start=False)
    open_engine(settings, create=True).dispose()
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
    """
    assert _arenas_after(setup) <= 2
