"""The command line's outbound requests follow the hub's one outbound rule (accord.outbound):
no loopback or private address unless ``--allow-private-network`` says so."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import outbound
from accord.advisories.models import Advisory
from accord.cli import main
from accord.config import Settings
from tests.advisories.conftest import record
from tests.cli.here import accord_here

RECORD = json.dumps(record("x_TEST-1")).encode()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/moved.json":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/one.json")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(RECORD)

    def log_message(self, *args: object) -> None:
        """(Quiet.)"""


@pytest.fixture
def loopback() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """``accord ARGS`` through its entry point in this process; its standard error."""
    monkeypatch.setattr(sys, "argv", ["accord", *args])
    with pytest.raises(SystemExit) as exit_:
        main.run()
    assert exit_.value.code == 1
    return capsys.readouterr().err


def test_a_redirect_to_loopback_is_refused(
    cli_env: Settings,
    loopback: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    db: Session,
) -> None:
    # "mirror.example" stands for a public server: its name resolves, for this test, to the
    # local one (as a public address would be reached); its redirect names 127.0.0.1 itself.
    checked = outbound.public_address

    def resolving(host: str, port: int) -> str:
        return "127.0.0.1" if host == "mirror.example" else checked(host, port)

    monkeypatch.setattr(outbound, "public_address", resolving)
    url = f"http://mirror.example:{loopback}/moved.json"
    error = _run(monkeypatch, capsys, "advisories", "import", url)
    assert error == (
        f"error: {url}: not fetched: 127.0.0.1 resolves to a non-public address (private "
        "addresses only with --allow-private-network or ACCORD_OUTBOUND_ALLOW_PRIVATE_ADDRESSES)\n"
    )
    db.rollback()
    assert db.scalars(select(Advisory)).all() == []


def test_loopback_imports_only_with_the_flag(cli_settings: Settings, loopback: int) -> None:
    url = f"http://127.0.0.1:{loopback}/one.json"
    refused = accord_here(cli_settings, "advisories", "import", url)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert "non-public address" in refused.stderr
    allowed = accord_here(cli_settings, "advisories", "import", url, "--allow-private-network")
    assert allowed.returncode == 0, allowed.stderr


def test_sharing_pull_refuses_loopback(cli_settings: Settings, loopback: int) -> None:
    result = accord_here(
        cli_settings,
        *("sharing", "pull", f"http://127.0.0.1:{loopback}/taxii2/api/", "some-collection"),
        *("--into", "nowhere", "--org", "nobody"),
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"error: http://127.0.0.1:{loopback}/taxii2/api/: refused: 127.0.0.1 resolves to a "
        "non-public address (allow the hub's own network with --allow-private-network)\n"
    )
