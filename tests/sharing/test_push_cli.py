"""``accord sharing push``: add a target against medallion (token from the environment or a
prompt, never echoed), list it, push now (each object once), remove it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from accord.cli.main import _one_line
from accord.cli.main import app as cli
from accord.config import Settings
from accord.db import unit_of_work
from accord.sharing.models import PushTarget
from accord.sharing.tlp import Tlp
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld
from tests.sharing.test_federation import (  # noqa: F401 (fixtures)
    MEDALLION_COLLECTION,
    MEDALLION_PASSWORD,
    MEDALLION_USER,
    _medallion_feed,
    medallion,
)
from tests.sharing.test_push import _post


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ACCORD_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("ACCORD_PUSH_SETTLE_SECONDS", "0")
    monkeypatch.delenv("ACCORD_PUSH_TOKEN", raising=False)


def test_add_list_push_now_and_remove(
    env: None,
    medallion: str,  # noqa: F811
    live_hub: str,
    world: SharingWorld,
    session_factory: sessionmaker[Session],
) -> None:
    run = CliRunner()
    first = [stixgen.indicator(tlp=Tlp.GREEN), stixgen.indicator(tlp=Tlp.RED)]
    _post(world, live_hub, first)
    add = [
        "sharing", "push", "add", "to-medallion", "--api-root", medallion,
        "--collection", world.collection, "--org", world.slugs["recipient"],
        "--remote-collection", MEDALLION_COLLECTION, "--user", MEDALLION_USER,
        "--allow-private-network",
    ]  # fmt: skip
    # The token is asked for, and not echoed.
    done = run.invoke(cli, add, input=f"{MEDALLION_PASSWORD}\n")
    assert done.exit_code == 0, done.output
    assert MEDALLION_PASSWORD not in done.output
    assert "to-medallion" in done.stdout
    with unit_of_work(session_factory) as db:
        target = db.scalars(select(PushTarget).where(PushTarget.name == "to-medallion")).one()
        assert target.remote_collection == MEDALLION_COLLECTION
        assert MEDALLION_PASSWORD not in (target.token_sealed or "")

    push_now = ["sharing", "push", "now", "to-medallion", "--allow-private-network"]
    done = run.invoke(cli, push_now)
    assert done.exit_code == 0, done.output
    ids = [o["id"] for o in _medallion_feed(medallion).get_objects().get("objects", [])]
    assert first[0]["id"] in ids
    assert first[1]["id"] not in ids  # RED never leaves
    # Nothing goes twice.
    done = run.invoke(cli, push_now)
    assert done.exit_code == 0, done.output
    assert "to-medallion: 0 sent" in done.stdout

    done = run.invoke(cli, ["sharing", "push", "list"])
    assert done.exit_code == 0, done.output
    (line,) = [x for x in done.stdout.splitlines() if x.split()[:1] == ["to-medallion"]]
    assert medallion in line
    assert MEDALLION_COLLECTION in line
    assert line.endswith("ok")
    assert MEDALLION_PASSWORD not in done.stdout

    done = run.invoke(cli, ["sharing", "push", "remove", "to-medallion"])
    assert done.exit_code == 0, done.output
    done = run.invoke(cli, ["sharing", "push", "now", "to-medallion"])
    assert done.exit_code != 0
    line = _one_line(done.exception)
    assert line is not None
    assert "to-medallion" in line
    assert "\n" not in line


def test_a_wrong_token_from_the_environment_is_one_line(
    env: None,
    medallion: str,  # noqa: F811
    world: SharingWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACCORD_PUSH_TOKEN", "not-the-password")
    done = CliRunner().invoke(cli, [
        "sharing", "push", "add", "wrong", "--api-root", medallion,
        "--collection", world.collection, "--org", world.slugs["recipient"],
        "--remote-collection", MEDALLION_COLLECTION, "--user", MEDALLION_USER,
        "--allow-private-network",
    ])  # fmt: skip
    assert done.exit_code != 0
    line = _one_line(done.exception)
    assert line is not None
    assert "401" in line
    assert "\n" not in line
    assert "not-the-password" not in (done.output + line)


class _Refusing(BaseHTTPRequestHandler):
    """A peer that refuses every request with the status the test gives the server."""

    def do_POST(self) -> None:
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        pass  # the test's output stays the test's


@pytest.fixture(params=[403, 500])
def refusing_peer(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    server.status = request.param  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/taxii2/peer/", request.param
    finally:
        server.shutdown()
        server.server_close()


def test_push_now_keeps_a_refusing_peers_answer_on_the_target(
    env: None,
    refusing_peer: tuple[str, int],
    live_hub: str,
    world: SharingWorld,
    session_factory: sessionmaker[Session],
) -> None:
    root, status = refusing_peer
    run = CliRunner()
    _post(world, live_hub, [stixgen.indicator(tlp=Tlp.GREEN)])
    add = [
        "sharing", "push", "add", "refuser", "--api-root", root,
        "--collection", world.collection, "--org", world.slugs["recipient"],
        "--allow-private-network",
    ]  # fmt: skip
    done = run.invoke(cli, add, input="\n")
    assert done.exit_code == 0, done.output
    with unit_of_work(session_factory) as db:  # as if chosen while the peer still answered
        target = db.scalars(select(PushTarget).where(PushTarget.name == "refuser")).one()
        target.remote_collection = "c1"

    done = run.invoke(cli, ["sharing", "push", "now", "refuser", "--allow-private-network"])
    assert done.exit_code != 0
    line = _one_line(done.exception)
    assert line is not None
    assert f"answered {status}" in line

    # Kept on the target as the scheduled job keeps it, and nothing counted as pushed.
    with unit_of_work(session_factory) as db:
        target = db.scalars(select(PushTarget).where(PushTarget.name == "refuser")).one()
        assert target.last_error is not None
        assert f"answered {status}" in target.last_error
        assert target.pushed == 0
        assert target.cursor_row is None
    done = run.invoke(cli, ["sharing", "push", "list"])
    assert done.exit_code == 0, done.output
    (shown,) = [x for x in done.stdout.splitlines() if x.split()[:1] == ["refuser"]]
    assert shown.endswith(f"answered {status}")
