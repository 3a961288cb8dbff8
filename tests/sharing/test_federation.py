"""Pulling from other TAXII 2.1 servers: medallion (the OASIS reference server) and a peer hub.

Both run live on loopback ports. Only new objects travel on later pulls (``added_after`` from
the remote's own ``X-TAXII-Date-Added-Last``), markings travel with the objects, and what a
hub received from a peer is not sent back to that peer.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from taxii2client.v21 import Collection as TaxiiCollection

from accord.clock import utcnow
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work, upgrade
from accord.identity.policy import SYSTEM
from accord.sharing import federation
from accord.sharing.models import Remote, StixObject
from accord.sharing.tlp import TLP2_MARKINGS, Tlp
from accord.web.app import create_app
from tests.cli.here import accord_here
from tests.factories import Factories
from tests.flows.conftest import _free_port, serving
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld, make_collection

MEDALLION_COLLECTION = "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4"
MEDALLION_USER, MEDALLION_PASSWORD = "feeder", "medallion-secret"


@pytest.fixture
def medallion(tmp_path: Path) -> Iterator[str]:
    """medallion 3.0.0 with its memory backend on a loopback port; yields its API root."""
    port = _free_port()
    root = f"http://127.0.0.1:{port}/api1/"
    data = {
        "/discovery": {"title": "medallion", "default": root, "api_roots": [root]},
        "api1": {
            "information": {
                "title": "api1",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 10_000_000,
            },
            "status": [],
            "collections": [
                {
                    "id": MEDALLION_COLLECTION,
                    "title": "feed",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    (tmp_path / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(tmp_path / "data.json"),
        },
        "users": {MEDALLION_USER: MEDALLION_PASSWORD},
        "taxii": {"max_page_size": 100},
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    process = subprocess.Popen(
        [sys.executable, "-c", "from medallion.scripts.run import main; main()",
         "--host", "127.0.0.1", "--port", str(port), str(tmp_path / "config.json")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(port)
        yield root
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def _medallion_feed(root: str) -> TaxiiCollection:
    return TaxiiCollection(
        f"{root}collections/{MEDALLION_COLLECTION}/",
        user=MEDALLION_USER,
        password=MEDALLION_PASSWORD,
    )


@pytest.mark.slow
def test_pull_from_medallion_only_new_objects_travel(
    medallion: str, world: SharingWorld, settings: Settings, db: Session
) -> None:
    feed = _medallion_feed(medallion)
    first = [stixgen.indicator(tlp=Tlp.GREEN) for _ in range(150)]  # two medallion pages
    assert feed.add_objects(stixgen.envelope(*first)).success_count == 150
    args = (
        *("sharing", "pull", medallion, MEDALLION_COLLECTION, "--into", world.collection),
        *("--org", world.slugs["recipient"], "--user", MEDALLION_USER, "--name", "medallion"),
        "--allow-private-network",  # medallion listens on loopback
    )
    env = {"ACCORD_REMOTE_TOKEN": MEDALLION_PASSWORD}
    pulled = accord_here(settings, *args, env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert "150 received in 2 pages, 150 new" in pulled.stdout

    time.sleep(0.01)  # medallion stamps date_added per request, to the microsecond
    later = [stixgen.indicator(tlp=Tlp.RED) for _ in range(3)]
    feed.add_objects(stixgen.envelope(*later))
    again = accord_here(settings, *args, env=env)
    assert "3 received in 1 page, 3 new" in again.stdout, again.stdout
    nothing = accord_here(settings, *args, env=env)
    assert "0 received" in nothing.stdout

    db.rollback()
    rows = db.scalars(select(StixObject)).all()
    assert len(rows) == 153
    by_id = {r.stix_id: r for r in rows}
    assert {by_id[o["id"]].tlp for o in later} == {"red"}
    assert json.loads(by_id[later[0]["id"]].body)["object_marking_refs"] == [TLP2_MARKINGS[Tlp.RED]]
    remote = db.scalar(select(Remote).where(Remote.name == "medallion"))
    assert remote is not None
    assert remote.checkpoint is not None
    stixgen.assert_valid_stix([json.loads(r.body) for r in rows])


def test_wrong_credentials_fail_in_one_line_and_the_remote_keeps_why(
    medallion: str, world: SharingWorld, settings: Settings, db: Session
) -> None:
    result = accord_here(
        settings, "sharing", "pull", medallion, MEDALLION_COLLECTION, "--into", world.collection,
        "--org", world.slugs["recipient"], "--user", MEDALLION_USER, "--allow-private-network",
        "--name", "wrong", env={"ACCORD_REMOTE_TOKEN": "wrong"},
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "answered 401" in result.stderr
    # The federation pages show why, as they do for a pull the hub's jobs ran.
    remote = db.scalar(select(Remote).where(Remote.name == "wrong"))
    assert remote is not None
    assert remote.last_error is not None
    assert "401" in remote.last_error
    assert remote.last_pull_at is None


def test_sync_pulls_every_due_remote_when_one_fails_and_names_it(
    medallion: str, world: SharingWorld, settings: Settings, db: Session
) -> None:
    feed = _medallion_feed(medallion)
    assert feed.add_objects(stixgen.envelope(stixgen.indicator(tlp=Tlp.GREEN))).success_count
    common = (
        *("--into", world.collection, "--org", world.slugs["recipient"]),
        *("--user", MEDALLION_USER, "--every", "1", "--allow-private-network"),
    )
    good = accord_here(
        settings, "sharing", "pull", medallion, MEDALLION_COLLECTION, "--name", "good", *common,
        env={"ACCORD_REMOTE_TOKEN": MEDALLION_PASSWORD},
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    missing = "00000000-0000-4000-8000-000000000000"  # no such collection at medallion
    bad = accord_here(
        settings, "sharing", "pull", medallion, missing, "--name", "bad", *common,
        env={"ACCORD_REMOTE_TOKEN": MEDALLION_PASSWORD},
    )  # fmt: skip
    assert bad.returncode == 1
    # Both due again; the bad one is pulled first or last, the good one is pulled anyway.
    db.execute(update(Remote).values(last_pull_at=None))
    db.commit()
    feed.add_objects(stixgen.envelope(stixgen.indicator(tlp=Tlp.GREEN)))
    synced = accord_here(settings, "sharing", "sync", "--allow-private-network")
    assert synced.returncode == 1
    errors = [line for line in synced.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, synced.stderr
    assert errors[0].startswith("error: bad: ")
    assert "answered 404" in errors[0]
    assert "good: 1 received" in synced.stdout, synced.stdout
    db.expire_all()
    kept = {r.name: r for r in db.scalars(select(Remote))}
    assert kept["good"].last_error is None
    assert kept["good"].last_pull_at is not None
    assert kept["bad"].last_error
    assert kept["bad"].last_pull_at is None


# -- hub to hub ---------------------------------------------------------------------------


@pytest.fixture
def peer_engine(settings: Settings, tmp_path: Path) -> Iterator[Engine]:
    """A second hub's database: an SQLite file, or a sibling PostgreSQL database."""
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        peer = Settings(data_dir=tmp_path / "peer")
    else:
        target = make_url(url).set(database=f"{make_url(url).database}_peer")
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
        admin.dispose()
        peer = Settings(
            data_dir=tmp_path / "peer", database_url=target.render_as_string(hide_password=False)
        )
    engine = make_engine(peer)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def peer_hub(peer_engine: Engine, tmp_path: Path) -> Iterator[tuple[str, Factories]]:
    """The second hub, live; yields its URL and factories on its database."""
    (tmp_path / "peer").mkdir(exist_ok=True)
    settings = Settings(data_dir=tmp_path / "peer", base_url="http://peer.test")
    with serving(create_app(settings, engine=peer_engine)) as url:
        yield url, Factories(make_sessionmaker(peer_engine), settings)


def _pull(
    factory: sessionmaker[Session], spec: federation.RemoteSpec, token: str
) -> federation.PullResult:
    with unit_of_work(factory) as db:
        remote = federation.configure_remote(db, spec=spec, actor=SYSTEM)
        with federation.client_for(remote, token=token, timeout=10) as client:
            return federation.pull(db, remote=remote, client=client, actor=SYSTEM, now=utcnow())


def test_hub_to_hub_without_echo(
    live_hub: str,
    peer_hub: tuple[str, Factories],
    world: SharingWorld,
    make: Factories,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    peer_url, peer = peer_hub
    # Hub B: an organization sharing GREEN indicators, and an account hub A reads with.
    b_org = peer.org("B Sharing")
    b_user = peer.user("b-analyst")
    peer.member(b_user, b_org)
    b_collection = make_collection(peer.factory, b_org, title="B feed", default_tlp=Tlp.GREEN)
    from_b = [stixgen.indicator(tlp=Tlp.GREEN) for _ in range(4)]
    b_feed = TaxiiCollection(
        f"{peer_url}/taxii2/hub/collections/{b_collection}/", user="b-analyst",
        password=peer.token(b_user),
    )  # fmt: skip
    b_feed.add_objects(stixgen.envelope(*from_b))
    a_reader_on_b = peer.user("hub-a")
    peer.member(a_reader_on_b, b_org)

    # Hub A pulls B's feed into its collection; B reads A with A's account "hub-b".
    hub_b_account = make.user("hub-b")
    make.member(hub_b_account, world.slugs["community"])
    spec = federation.RemoteSpec(
        name="hub-b", api_root=f"{peer_url}/taxii2/hub/", remote_collection=b_collection,
        local_collection=world.collection, organization=world.slugs["community"],
        peer_username="hub-b",
    )  # fmt: skip
    result = _pull(session_factory, spec, peer.token(a_reader_on_b))
    assert (result.received, result.stored) == (4, 4)
    own = [stixgen.indicator(tlp=Tlp.GREEN) for _ in range(2)]
    TaxiiCollection(
        f"{live_hub}/taxii2/hub/collections/{world.collection}/", user="producer",
        password=world.tokens["producer"],
    ).add_objects(stixgen.envelope(*own))  # fmt: skip

    # B pulls A: it gets A's own objects, not the four that came from it.
    back = federation.RemoteSpec(
        name="hub-a", api_root=f"{live_hub}/taxii2/hub/", remote_collection=world.collection,
        local_collection=b_collection, organization=b_org, peer_username="hub-a",
    )  # fmt: skip
    echo = _pull(peer.factory, back, make.token(hub_b_account))
    assert (echo.received, echo.stored) == (2, 2)
    db.rollback()
    assert db.scalar(select(text("count(*)")).select_from(StixObject)) == 6

    # Later pulls bring only what is new on the other side, and B does not echo A's two back.
    newer = [stixgen.indicator(tlp=Tlp.GREEN)]
    b_feed.add_objects(stixgen.envelope(*newer))
    result = _pull(session_factory, spec, peer.token(a_reader_on_b))
    assert (result.received, result.stored) == (1, 1)
