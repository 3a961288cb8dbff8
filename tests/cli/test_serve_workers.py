"""``accord serve --workers N``: connections spread over the workers (accord.web.workers)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accord.web.workers import reuse_port_available
from tests.cli.procnet import children, connections_by_process

pytestmark = pytest.mark.skipif(
    not reuse_port_available() or not Path("/proc/net/tcp").exists(),
    reason="SO_REUSEPORT and /proc (Linux) are needed",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int, server: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "accord serve exited"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("accord serve never listened")


@pytest.mark.slow
def test_two_workers_each_hold_some_of_sixteen_connections(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environ.update({"ACCORD_DATA_DIR": str(tmp_path / "data"), "ACCORD_WORKER_IN_PROCESS": "false",
                    "ACCORD_TAXII_DRAINER_AT_START": "false"})  # fmt: skip
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "accord", "serve", "--port", str(port), "--workers", "2"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=environ,
    )
    connections = []
    try:
        _listening(port, server)
        # Sixteen keep-alive connections opened at once, as a client's pool does; each is
        # answered (so accepted by a worker, whichever started first) and stays open.
        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=180)
                       for _ in range(16)]  # fmt: skip
        for connection in connections:
            # Any answer will do (one held at a time on /healthz's small lane is a 503):
            # an answer means a worker accepted the connection.
            connection.request("GET", "/api/v1/no-such-route")
        for connection in connections:
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 404
        workers = children(server.pid)
        held = connections_by_process(workers, port)
        assert sum(held.values()) == 16, (held, (tmp_path / "serve.log").read_text())
        busy = [pid for pid, count in held.items() if count]
        # A socket per worker: the kernel spreads connections by a hash of their ports. On
        # one shared socket all sixteen could land on whichever worker woke first.
        assert len(busy) == 2, held
    finally:
        for connection in connections:
            connection.close()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=90) == 0, (tmp_path / "serve.log").read_text()
        log.close()
