"""The baseline ``bench/workers.py`` measures against: a listening socket per worker.

    PYTHONPATH=src:. python -m bench.reuseport_serve --port PORT [--workers 2]

What ``accord serve --workers N`` did before the supervisor accepted connections itself
(``accord.web.workers``): one socket per worker on the same address with ``SO_REUSEPORT``, the
kernel assigning each new connection to a socket by a hash of its addresses and ports. Serves
the hub of ``ACCORD_DATA_DIR`` (already made) until SIGTERM. Linux only; not part of the hub.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import threading
from types import FrameType

import uvicorn

from accord.web.logs import uvicorn_log_config


def _listening(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _work(config: uvicorn.Config, sock: socket.socket) -> None:
    config.configure_logging()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])


def main() -> None:
    import multiprocessing

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    config = uvicorn.Config("accord.web.factory:app_from_env", factory=True, port=args.port,
                            log_level="info", log_config=uvicorn_log_config(),
                            proxy_headers=False)  # fmt: skip
    stopping = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    for name in ("SIGINT", "SIGTERM"):
        signal.signal(getattr(signal, name), stop)
    context = multiprocessing.get_context("spawn")
    sockets = [_listening(args.port) for _ in range(args.workers)]
    processes = [context.Process(target=_work, args=(config, sock)) for sock in sockets]
    for process in processes:
        process.start()
    stopping.wait()
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(30)


if __name__ == "__main__":
    main()
