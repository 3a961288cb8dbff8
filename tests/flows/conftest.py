"""A live hub on a loopback port, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from tests.flows.axe import axe_source  # noqa: F401 (a fixture for every browser test)

CHROMIUM = Path("/usr/bin/chromium")
# Without these, chromium tries to reach Google's services through a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a loopback port; yields its base URL."""
    port = port or _free_port()
    # Keep-alive longer than any pause a slow test makes between two requests: a client that
    # reuses a connection the server just closed fails with a reset, not a test failure.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_keep_alive=60
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    # A first start in a fresh test process (the heap frozen, every route built) took over 10 s
    # on a loaded machine: the limit only bounds a hub that never starts.
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the live hub did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_hub(app: FastAPI) -> Iterator[str]:
    """The test app served by uvicorn in a thread; yields its base URL."""
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless chromium, one for a module's tests in a row (a start is a Node.js driver
    and a browser, a second or more on a loaded machine); each test opens contexts of its
    own, which share no cookies or storage. Skipped where chromium is missing, except when
    CI requires it."""
    if not CHROMIUM.exists():
        if os.environ.get("ACCORD_REQUIRE_BROWSER"):
            pytest.fail("ACCORD_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()
