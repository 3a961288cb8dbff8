"""Where keep-alive connections land with ``accord serve --workers 2``, and what it costs.

    PYTHONPATH=src:. .venv/bin/python bench/workers.py [--runs 10] [--seconds 3] [--close]

Three servers of the same fresh hub, one after the other: ``accord serve --workers 2`` (the
supervisor accepts and hands each connection to the worker holding fewest,
``accord.web.workers``), the listening socket per worker it replaced (``SO_REUSEPORT``,
``bench/reuseport_serve.py``) and uvicorn's own ``--workers 2`` (one socket all workers accept
from). Each is driven ``--runs`` times by wrk with 16 new keep-alive connections on
``GET /api/v1/accord`` (a public read); during each run the connections each worker holds are
counted from ``/proc`` (Linux), and the CPU the machine spent meanwhile on anything but the
server and wrk (a run's rate follows it on two cores). ``--close``: every request on a
connection of its own (``Connection: close``), to see what accepting costs. Printed: every
run's rate and split, and the worst run against the best. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.cli.procnet import children, connections_by_process

from bench import taxii_servers as servers
from bench import wrk

ROUTE = "/api/v1/accord"
WORKERS = 2


def start(command: list[str], data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """A server of the hub in ``data_dir``, once its workers answer."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update({"ACCORD_DATA_DIR": str(data_dir), "ACCORD_WORKER_IN_PROCESS": "false",
                "PYTHONPATH": f"{servers.ROOT / 'src'}:{servers.ROOT}"})  # fmt: skip
    log = data_dir / f"server-{port}.log"
    process = subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    servers.wait_for(port, process, seconds=180)
    # Both workers must be up: wrk's connections would otherwise wait for one that starts.
    deadline = time.monotonic() + 300
    while log.read_text().count("Application startup complete.") < WORKERS:
        if time.monotonic() > deadline or process.poll() is not None:
            process.terminate()
            process.wait(timeout=90)
            raise RuntimeError(f"the workers did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    wrk.run(f"http://127.0.0.1:{port}{ROUTE}", seconds=1, connections=16)  # warm-up
    return process


def cpu_seconds(pid: int) -> float:
    """CPU time ``pid`` has used (user and system), from ``/proc``."""
    fields = (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """``pid`` and every process below it (the workers and their queue drainers)."""
    found = [pid]
    for child in children(pid):
        found.extend(tree(child))
    return found


def machine_busy_seconds() -> float:
    """CPU time every process on the machine has used (``/proc/stat``: all but idle and iowait)."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4]  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def others_seconds(server: list[int], before: tuple[float, float, float]) -> float:
    """CPU the machine spent on neither the server nor wrk since ``before``
    (``snapshot``): a run's rate moves with it on a 2-core machine."""
    machine, served, wrk_used = before
    now = snapshot(server)
    return (now[0] - machine) - (now[1] - served) - (now[2] - wrk_used)


def snapshot(server: list[int]) -> tuple[float, float, float]:
    """The machine's, the server tree's and this process's children's (wrk) CPU so far."""
    served = 0.0
    for pid in server:
        try:
            served += cpu_seconds(pid)
        except OSError:
            continue  # ended meanwhile
    own = resource.getrusage(resource.RUSAGE_CHILDREN)
    return machine_busy_seconds(), served, own.ru_utime + own.ru_stime


def runs(pid: int, port: int, count: int, seconds: float, close: bool) -> list[float]:
    """``count`` wrk runs of 16 connections; each run's rate, with where its connections were."""
    rates = []
    for run in range(count):
        split: list[int] = []

        def sample(into: list[int]) -> None:
            time.sleep(min(1.0, seconds / 2))
            held = connections_by_process(children(pid), port)
            into.extend(sorted((n for n in held.values() if n), reverse=True))

        sampler = threading.Thread(target=sample, args=(split,))
        sampler.start()
        headers = {"Connection": "close"} if close else None
        used = cpu_seconds(pid)
        server = tree(pid)
        before = snapshot(server)
        result = wrk.run(f"http://127.0.0.1:{port}{ROUTE}", seconds=seconds, connections=16,
                         headers=headers)  # fmt: skip
        sampler.join()
        used = cpu_seconds(pid) - used
        others = others_seconds(server, before)
        rates.append(result.per_second)
        print(f"    run {run + 1:2}: {result.per_second:7,.0f} req/s, connections per worker "
              f"{'/'.join(map(str, split)) or '?'}, supervisor CPU {used * 1000:,.0f} ms "
              f"({used / max(1, result.requests) * 1e6:.0f} µs a request), other processes' "
              f"CPU {max(others, 0) * 1000:,.0f} ms", flush=True)  # fmt: skip
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--close", action="store_true", help="a connection per request")
    args = parser.parse_args()
    if not wrk.available():
        sys.exit("wrk is not installed (apt-get install wrk)")
    data_dir = Path(tempfile.mkdtemp(prefix="accord-workers-"))
    python = sys.executable
    try:
        servers.seed_hub(data_dir, None)
        modes = {
            "accord serve --workers 2 (the supervisor hands connections)": lambda port: [
                python, "-m", "accord", "serve", "--port", str(port), "--workers", "2"],
            "a socket per worker (SO_REUSEPORT, before)": lambda port: [
                python, "-m", "bench.reuseport_serve", "--port", str(port), "--workers", "2"],
            "uvicorn --workers 2 (one shared socket)": lambda port: [
                python, "-m", "uvicorn", "--factory", "accord.web.factory:app_from_env",
                "--port", str(port), "--workers", "2", "--log-level", "info"],
        }  # fmt: skip
        for name, command in modes.items():
            port = servers.free_port()
            process = start(command(port), data_dir, port)
            try:
                print(f"{name}, load average {os.getloadavg()[0]:.1f}:", flush=True)
                rates = runs(process.pid, port, args.runs, args.seconds, args.close)
                print(f"  worst {min(rates):,.0f} / best {max(rates):,.0f} req/s = "
                      f"{min(rates) / max(rates):.0%}, load average {os.getloadavg()[0]:.1f}",
                      flush=True)  # fmt: skip
            finally:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=90)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
