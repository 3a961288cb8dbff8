"""Choosing a remote's or a peer's collection on the federation pages asks the other server for
its list; no transaction of the hub's is held while it answers (issue 26): on SQLite a writing
request's would hold the hub's one writer, on PostgreSQL a pooled connection, that long."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from accord import outbound
from accord.cli.main import app as cli
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import Organization
from accord.identity.policy import SYSTEM
from accord.sharing import push
from accord.sharing.models import Collection, PushTarget, Remote
from tests.factories import Factories, csrf_of
from tests.outbound_holds import held, probing
from tests.sharing.conftest import SharingWorld
from tests.sharing.test_push import local_app, local_client, local_settings  # noqa: F401

ROOT = "http://127.0.0.1:9/taxii2/"
FEDERATION = "/admin/sharing/federation"


def _collections(request: httpx.Request) -> httpx.Response:
    listed: dict[str, Any] = {"id": "c1", "title": "One", "can_read": True, "can_write": True}
    return httpx.Response(200, json={"collections": [listed]})


def _choose(client: TestClient, page: str) -> None:
    """The chooser page, a choice it did not offer (refused), then one it did."""
    chooser = client.get(page)
    assert '<option value="c1"' in chooser.text
    token = csrf_of(chooser.text)
    wrong = client.post(
        f"{page}/collection", data={"csrf_token": token, "remote_collection": "not-offered"}
    )
    assert wrong.status_code == 422
    chosen = client.post(
        f"{page}/collection",
        data={"csrf_token": token, "remote_collection": "c1"},
        follow_redirects=False,
    )
    assert chosen.status_code == 303


def test_choosing_a_remotes_collection_holds_no_transaction_while_it_lists_them(
    world: SharingWorld,
    make: Factories,
    local_client: TestClient,  # noqa: F811
    engine: Engine,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with unit_of_work(session_factory) as db:
        collection = db.scalars(select(Collection).where(Collection.uuid == world.collection)).one()
        org = db.scalars(
            select(Organization).where(Organization.slug == world.slugs["recipient"])
        ).one()
        db.add(Remote(name="peer", api_root=ROOT, collection_id=collection.id,
                      organization_id=org.id))  # fmt: skip
    make.session(local_client, make.user("oper", operator=True))
    probe = probing(monkeypatch, engine, session_factory, answer=_collections)
    _choose(local_client, f"{FEDERATION}/pull/peer")
    # The page, the refused choice and its page again, the choice.
    assert probe.seen == [False] * 4
    with session_factory() as db:
        assert db.scalars(select(Remote.remote_collection)).one() == "c1"


def test_choosing_a_peers_collection_holds_no_transaction_while_it_lists_them(
    world: SharingWorld,
    make: Factories,
    local_settings: Settings,  # noqa: F811
    local_client: TestClient,  # noqa: F811
    engine: Engine,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with unit_of_work(session_factory) as db:
        spec = push.PushSpec(name="peer", api_root=ROOT, local_collection=world.collection,
                             organization=world.slugs["producer"])  # fmt: skip
        push.configure(db, spec=spec, settings=local_settings, actor=SYSTEM)
    make.session(local_client, make.user("oper", operator=True))
    probe = probing(monkeypatch, engine, session_factory, answer=_collections)
    _choose(local_client, f"{FEDERATION}/push/peer")
    assert probe.seen == [False] * 4
    with session_factory() as db:
        assert db.scalars(select(PushTarget.remote_collection)).one() == "c1"


def test_the_push_command_holds_no_transaction_while_the_peer_lists_its_collections(
    world: SharingWorld,
    settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACCORD_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ACCORD_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("ACCORD_PUSH_TOKEN", "peer-token")
    probe = probing(monkeypatch, engine, session_factory, answer=_collections)
    add = [
        "sharing", "push", "add", "peer", "--api-root", ROOT, "--collection", world.collection,
        "--org", world.slugs["producer"], "--allow-private-network", "--remote-collection",
    ]  # fmt: skip
    refused = CliRunner().invoke(cli, [*add, "not-offered"])
    assert refused.exit_code != 0
    with session_factory() as db:  # a choice the peer refuses leaves nothing stored, as before
        assert db.scalars(select(PushTarget)).all() == []
    done = CliRunner().invoke(cli, [*add, "c1"])
    assert done.exit_code == 0, done.output
    assert probe.seen == [False, False]
    with session_factory() as db:
        assert db.scalars(select(PushTarget.remote_collection)).one() == "c1"


def test_adding_a_remote_or_a_peer_resolves_its_address_with_no_transaction_open(
    world: SharingWorld,
    make: Factories,
    client: TestClient,
    engine: Engine,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The outbound rules resolve the address's name (a DNS wait of up to seconds) before the
    form's reads begin the request's transaction."""
    seen: list[bool] = []

    def resolved(host: str, port: int) -> str:
        seen.append(held(engine))
        return "203.0.113.5"

    monkeypatch.setattr(outbound, "public_address", resolved)
    make.session(client, make.user("oper", operator=True))
    page = client.get(FEDERATION)
    form = {"csrf_token": csrf_of(page.text), "name": "peer",
            "api_root": "https://peer.example/taxii2/", "collection": world.collection,
            "organization": world.slugs["producer"], "max_tlp": "green"}  # fmt: skip
    assert client.post(FEDERATION, data=form, follow_redirects=False).status_code == 303
    form["organization"] = world.slugs["recipient"]
    assert client.post(f"{FEDERATION}/pull", data=form, follow_redirects=False).status_code == 303
    assert seen == [False, False]
