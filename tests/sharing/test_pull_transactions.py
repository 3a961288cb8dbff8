"""A federation pull stores each page in a transaction of its own (``federation.pull``): no
transaction is open while the remote is asked for a page, and a pull that fails keeps the
pages stored before it, its checkpoint after them, and resumes there. A push holds none while
the peer answers either (``push.push_batch``): another write goes through meanwhile, which on
SQLite means the hub's one writer is free."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import Organization
from accord.identity.policy import SYSTEM
from accord.sharing import federation, ingest, push
from accord.sharing.federation import RemoteError
from accord.sharing.models import Collection, PushTarget, Remote, SharingSecret, StixObject
from accord.sharing.tlp import Tlp
from tests.sharing.conftest import SharingWorld
from tests.sharing.stixgen import indicator

ROOT = "https://peer.example/taxii2/"
ADDED = ["2026-12-01T00:00:01.000Z", "2026-12-01T00:00:02.000Z", "2026-12-01T00:00:03.000Z"]


def _pages(count: int) -> list[list[dict[str, Any]]]:
    return [[indicator() for _ in range(3)] for _ in range(count)]


class Peer:
    """A TAXII collection of pages; ``fail_at`` answers 503 for that page instead."""

    def __init__(self, pages: list[list[dict[str, Any]]], factory: sessionmaker[Session]) -> None:
        self.pages, self.factory = pages, factory
        self.db = factory()
        self.fail_at: int | None = None
        self.open_while_asked: list[bool] = []
        self.asked: list[dict[str, str]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.open_while_asked.append(self.db.in_transaction())
        _another_write(self.factory, f"pull {uuid.uuid4().hex[:16]}")
        params = dict(request.url.params)
        self.asked.append(params)
        after = params.get("added_after")
        first = ADDED.index(after) + 1 if after else 0
        index = int(params["next"]) if "next" in params else first
        if index == self.fail_at:
            return httpx.Response(503)
        more = index + 1 < len(self.pages)
        body: dict[str, Any] = {"objects": self.pages[index], "more": more}
        if more:
            body["next"] = str(index + 1)
        headers = {
            "content-type": "application/taxii+json;version=2.1",
            "X-TAXII-Date-Added-Last": ADDED[index],
        }
        return httpx.Response(200, json=body, headers=headers)


def _another_write(factory: sessionmaker[Session], name: str) -> None:
    """A write of another session, committed (it would wait out the write turn's timeout and
    fail if this thread's transaction held SQLite's writer)."""
    with unit_of_work(factory) as db:
        db.add(SharingSecret(name=name, value="v"))


def _remote(factory: sessionmaker[Session], world: SharingWorld) -> int:
    with unit_of_work(factory) as db:
        collection = db.scalars(select(Collection).where(Collection.uuid == world.collection)).one()
        org = db.scalars(
            select(Organization).where(Organization.slug == world.slugs["recipient"])
        ).one()
        remote = Remote(name="peer", api_root=ROOT, remote_collection="c1",
                        collection_id=collection.id, organization_id=org.id)  # fmt: skip
        db.add(remote)
        db.flush()
        return remote.id


def _pull(factory: sessionmaker[Session], remote_id: int, peer: Peer) -> federation.PullResult:
    with unit_of_work(factory) as db:
        peer.db = db
        remote = db.get(Remote, remote_id)
        assert remote is not None
        with httpx.Client(transport=httpx.MockTransport(peer.handle)) as client:
            return federation.pull(db, remote=remote, client=client, actor=SYSTEM, now=utcnow())


def _stored(factory: sessionmaker[Session]) -> int:
    with factory() as db:
        return db.scalar(select(func.count()).select_from(StixObject)) or 0


def test_no_transaction_is_open_while_a_page_is_fetched(
    world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    remote_id = _remote(session_factory, world)
    peer = Peer(_pages(3), session_factory)
    result = _pull(session_factory, remote_id, peer)
    assert (result.pages, result.stored) == (3, 9)
    assert peer.open_while_asked == [False, False, False]
    assert _stored(session_factory) == 9


def test_a_failed_pull_keeps_the_pages_before_and_resumes_after_them(
    world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    remote_id = _remote(session_factory, world)
    peer = Peer(_pages(3), session_factory)
    peer.fail_at = 2
    with pytest.raises(RemoteError):
        _pull(session_factory, remote_id, peer)
    assert _stored(session_factory) == 6
    with session_factory() as db:
        remote = db.get(Remote, remote_id)
        assert remote is not None
        assert remote.checkpoint == ADDED[1]
    peer.fail_at = None
    peer.asked.clear()
    result = _pull(session_factory, remote_id, peer)
    assert (result.pages, result.received, result.stored) == (1, 3, 3)
    assert peer.asked[0]["added_after"] == ADDED[1]
    assert _stored(session_factory) == 9


def _push_target(factory: sessionmaker[Session], world: SharingWorld, data_dir: Path) -> None:
    """Three GREEN objects in the collection, and a push target "peer" for them."""
    with unit_of_work(factory) as db:
        collection = db.scalars(select(Collection).where(Collection.uuid == world.collection)).one()
        source = ingest.Source(producer_org_id=collection.owner_org_id)
        objects = [indicator(tlp=Tlp.GREEN) for _ in range(3)]
        ingest.store_objects(
            db, collection=collection, objects=objects, source=source, now=utcnow()
        )
    with unit_of_work(factory) as db:
        spec = push.PushSpec(
            name="peer", api_root="https://peer.example/api/",
            local_collection=world.collection, organization=world.slugs["producer"],
        )  # fmt: skip
        target = push.configure(db, spec=spec, settings=Settings(data_dir=data_dir), actor=SYSTEM)
        target.remote_collection = "peer-collection"


def test_no_transaction_is_open_while_a_peer_takes_a_push(
    world: SharingWorld, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    _push_target(session_factory, world, tmp_path)
    open_while_posted: list[bool] = []

    with unit_of_work(session_factory) as db:

        def answer(request: httpx.Request) -> httpx.Response:
            open_while_posted.append(db.in_transaction())
            _another_write(session_factory, "during the push")
            sent = len(orjson.loads(request.content)["objects"])
            return httpx.Response(202, json={"success_count": sent, "failure_count": 0})

        target = push.get_target(db, "peer")
        with httpx.Client(transport=httpx.MockTransport(answer)) as client:
            result = push.push_batch(db, target=target, client=client, now=utcnow())
    assert result.sent == 3
    assert open_while_posted == [False]
    with session_factory() as db:
        kept = push.get_target(db, "peer")
        assert kept.pushed == 3
        assert kept.cursor_row is not None


@pytest.mark.parametrize("change", ["collection", "organization", "removed"])
def test_a_remote_changed_while_a_page_is_fetched_gets_no_more_of_that_pull(
    world: SharingWorld, session_factory: sessionmaker[Session], change: str
) -> None:
    """Pages after the first are stored only while the remote is as the pull read it: an
    operator who points it at another collection or producer (its checkpoint reset), or
    removes it, between two pages is not overridden by the pull still under way."""
    remote_id = _remote(session_factory, world)
    with unit_of_work(session_factory) as db:
        first = db.scalars(select(Collection).where(Collection.uuid == world.collection)).one()
        other = Collection(uuid=str(uuid.uuid4()), title="other", owner_org_id=first.owner_org_id,
                           default_tlp=first.default_tlp)  # fmt: skip
        db.add(other)
        producer = db.scalars(
            select(Organization).where(Organization.slug == world.slugs["producer"])
        ).one()
        db.flush()
        other_id, producer_id = other.id, producer.id
    peer = Peer(_pages(3), session_factory)
    handle = peer.handle

    def reconfigured(request: httpx.Request) -> httpx.Response:
        if "next" in dict(request.url.params):  # an operator acts between two pages
            with unit_of_work(session_factory) as db:
                remote = db.get(Remote, remote_id)
                assert remote is not None
                if change == "removed":
                    db.delete(remote)
                elif change == "collection":
                    remote.collection_id, remote.checkpoint = other_id, None
                else:
                    remote.organization_id = producer_id
        return handle(request)

    peer.handle = reconfigured  # type: ignore[method-assign]
    with pytest.raises(RemoteError):
        _pull(session_factory, remote_id, peer)
    assert _stored(session_factory) == 3  # the first page only
    with session_factory() as db:
        remote = db.get(Remote, remote_id)
        if change == "removed":
            assert remote is None
        elif change == "collection":
            assert remote is not None
            assert remote.checkpoint is None


@pytest.mark.parametrize("change", ["repointed", "removed"])
def test_a_target_changed_while_the_peer_takes_a_push_keeps_its_new_cursor(
    world: SharingWorld, session_factory: sessionmaker[Session], tmp_path: Path, change: str
) -> None:
    """The cursor is written after the POST, in another transaction: a target pointed at
    another peer's collection meanwhile (its cursor reset) must not get the old one's cursor
    back, which would skip those objects for the new collection; a removed one is left so."""
    _push_target(session_factory, world, tmp_path)

    def answer(request: httpx.Request) -> httpx.Response:
        with unit_of_work(session_factory) as other:  # an operator acts meanwhile
            found = push.get_target(other, "peer")
            if change == "removed":
                other.delete(found)
            else:
                push.choose_remote_collection(other, target=found, remote_collection="another",
                                              offered=["another"], actor=SYSTEM)  # fmt: skip
        sent = len(orjson.loads(request.content)["objects"])
        return httpx.Response(202, json={"success_count": sent, "failure_count": 0})

    with unit_of_work(session_factory) as db:
        target = push.get_target(db, "peer")
        with httpx.Client(transport=httpx.MockTransport(answer)) as client:
            push.push_batch(db, target=target, client=client, now=utcnow())
    with session_factory() as db:
        kept = db.scalar(select(PushTarget))
        if change == "removed":
            assert kept is None
        else:
            assert kept is not None
            assert (kept.remote_collection, kept.cursor_row, kept.pushed) == ("another", None, 0)
