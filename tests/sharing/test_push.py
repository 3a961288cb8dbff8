"""Pushing new objects to a peer: medallion (the OASIS reference server) and another hub.

Both run live on loopback ports. The push runs as a job driven by a real worker: each object
goes once (the cursor), TLP:RED never leaves, a failing peer is retried with back-off and shows
on the jobs page and the federation page, and the token is never shown or logged.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from taxii2client.v21 import Collection as TaxiiCollection

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import AuditEvent
from accord.identity.policy import SYSTEM
from accord.jobs.models import Job, JobState
from accord.jobs.worker import Worker
from accord.sharing import push
from accord.sharing.models import PushTarget, StixObject
from accord.sharing.push_handlers import PUSH_KIND, queue_push
from accord.sharing.tlp import Tlp
from accord.web.app import create_app
from tests.factories import Factories, csrf_of
from tests.flows.conftest import _free_port
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld, make_collection
from tests.sharing.test_federation import (  # noqa: F401 (fixtures)
    MEDALLION_COLLECTION,
    MEDALLION_PASSWORD,
    MEDALLION_USER,
    _medallion_feed,
    medallion,
    peer_engine,
    peer_hub,
)


@pytest.fixture(scope="module")
def local_settings(settings: Settings) -> Settings:
    """The suite's settings, allowed to reach peers on 127.0.0.1."""
    return settings.model_copy(
        update={"outbound_allow_private_addresses": True, "push_settle_seconds": 0}
    )


@pytest.fixture(scope="module")
def local_app(local_settings: Settings, engine: Engine) -> FastAPI:
    return create_app(local_settings, engine=engine)


@pytest.fixture
def local_client(local_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(local_app, base_url="http://testserver") as c:
        yield c


def _post(world: SharingWorld, live_url: str, objects: list[dict[str, object]]) -> None:
    TaxiiCollection(
        f"{live_url}/taxii2/hub/collections/{world.collection}/", user="producer",
        password=world.tokens["producer"],
    ).add_objects(stixgen.envelope(*objects))  # fmt: skip


def _configure(
    factory: sessionmaker[Session], settings: Settings, spec: push.PushSpec, remote: str
) -> int:
    with unit_of_work(factory) as db:
        target = push.configure(db, spec=spec, settings=settings, actor=SYSTEM)
        with push.client_for(target, settings=settings) as client:
            offered = [cid for cid, _ in push.writable_collections(client, target)]
        push.choose_remote_collection(
            db, target=target, remote_collection=remote, offered=offered, actor=SYSTEM
        )
        queue_push(db, target=target, settings=settings, at=utcnow())
        return target.id


def _run_jobs(settings: Settings, factory: sessionmaker[Session]) -> None:
    Worker(settings=settings, sessions=factory).run_until_idle(now=utcnow() + timedelta(seconds=1))


def test_push_to_medallion_each_object_once_and_never_red(
    medallion: str,  # noqa: F811
    live_hub: str,
    world: SharingWorld,
    local_settings: Settings,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    levels = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)
    first = {level: stixgen.indicator(tlp=level) for level in levels}
    _post(world, live_hub, list(first.values()))
    # The named recipient stands for the peer: it may read AMBER and RED here; the ceiling
    # (AMBER) lets AMBER go, and RED and AMBER+STRICT never go.
    spec = push.PushSpec(
        name="medallion", api_root=medallion, local_collection=world.collection,
        organization=world.slugs["recipient"], max_tlp="amber", username=MEDALLION_USER,
        token=MEDALLION_PASSWORD,
    )  # fmt: skip
    target_id = _configure(session_factory, local_settings, spec, MEDALLION_COLLECTION)
    _run_jobs(local_settings, session_factory)

    feed = _medallion_feed(medallion)
    got = {o["id"] for o in feed.get_objects().get("objects", [])}
    assert got == {first[level]["id"] for level in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER)}

    # New objects: only they travel on the next push; nothing goes twice.
    later = [stixgen.indicator(tlp=Tlp.GREEN), stixgen.indicator(tlp=Tlp.RED)]
    _post(world, live_hub, later)
    with unit_of_work(session_factory) as s:
        queue_push(s, target=s.get(PushTarget, target_id), settings=local_settings, at=utcnow())
    _run_jobs(local_settings, session_factory)
    objects = feed.get_objects().get("objects", [])
    ids = [o["id"] for o in objects]
    assert sorted(ids) == sorted([*got, later[0]["id"]])
    assert first[Tlp.RED]["id"] not in ids
    assert later[1]["id"] not in ids
    db.rollback()
    target = db.get(PushTarget, target_id)
    assert target is not None
    assert target.pushed == 4
    assert target.last_error is None
    done = db.scalars(select(Job).where(Job.kind == PUSH_KIND)).all()
    assert {j.state for j in done} == {JobState.DONE}
    # The token is sealed: neither the row nor the audit log holds it.
    assert MEDALLION_PASSWORD not in (target.token_sealed or "")
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action.like("sharing.push%")).order_by(AuditEvent.id)
    ).all()
    assert events
    assert all(MEDALLION_PASSWORD not in json.dumps(e.details) for e in events)


def test_push_to_another_hub(
    live_hub: str,
    peer_hub: tuple[str, Factories],  # noqa: F811
    world: SharingWorld,
    local_settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    peer_url, peer = peer_hub
    b_org = peer.org("B Sharing")
    a_writer = peer.user("hub-a")
    peer.member(a_writer, b_org)
    b_collection = make_collection(peer.factory, b_org, title="From A", default_tlp=Tlp.GREEN)
    sent = [stixgen.indicator(tlp=Tlp.GREEN) for _ in range(3)]
    red = stixgen.indicator(tlp=Tlp.RED)
    _post(world, live_hub, [*sent, red])
    spec = push.PushSpec(
        name="hub-b", api_root=f"{peer_url}/taxii2/hub/", local_collection=world.collection,
        organization=world.slugs["recipient"], max_tlp="green", token=peer.token(a_writer),
    )  # fmt: skip
    _configure(session_factory, local_settings, spec, b_collection)
    _run_jobs(local_settings, session_factory)
    b_feed = TaxiiCollection(
        f"{peer_url}/taxii2/hub/collections/{b_collection}/", user="hub-a",
        password=peer.token(a_writer),
    )  # fmt: skip
    got = {o["id"] for o in b_feed.get_objects().get("objects", [])}
    assert got == {o["id"] for o in sent}


def _dead_port() -> int:
    port = _free_port()
    with socket.socket() as probe:  # nothing listens there
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    return port


def test_a_failing_peer_is_retried_and_shows_on_the_pages(
    live_hub: str,
    world: SharingWorld,
    make: Factories,
    local_settings: Settings,
    local_client: TestClient,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    make.session(local_client, make.user("oper", operator=True))
    _post(world, live_hub, [stixgen.indicator(tlp=Tlp.GREEN)])
    page = local_client.get("/admin/sharing/federation")
    assert page.status_code == 200
    root = f"http://127.0.0.1:{_dead_port()}/taxii2/hub/"
    form = {
        "csrf_token": csrf_of(page.text), "name": "gone", "api_root": root, "username": "",
        "token": "peer-secret-token", "collection": world.collection,
        "organization": world.slugs["recipient"], "max_tlp": "green", "every_minutes": "",
    }  # fmt: skip
    saved = local_client.post("/admin/sharing/federation", data=form, follow_redirects=False)
    assert saved.status_code == 303
    # The peer does not answer: its collections cannot be listed, which the page says.
    chooser = local_client.get(saved.headers["location"])
    assert "could not be listed" in chooser.text
    # As if it had been chosen while the peer was up; then the push job meets a dead peer.
    with unit_of_work(session_factory) as s:
        target = push.get_target(s, "gone")
        target.remote_collection = "c1"
        target_id = target.id
    now_page = local_client.get("/admin/sharing/federation")
    assert "Push now" in now_page.text
    pushed = local_client.post(
        "/admin/sharing/federation/push/gone/now",
        data={"csrf_token": csrf_of(now_page.text)},
        follow_redirects=False,
    )
    assert pushed.status_code == 303
    worker = Worker(settings=local_settings, sessions=session_factory)
    assert worker.run_once(now=utcnow() + timedelta(seconds=1))
    db.rollback()
    job = db.scalars(select(Job).where(Job.kind == PUSH_KIND)).one()
    assert job.state is JobState.FAILED
    assert job.attempts == 1
    assert job.last_error
    assert "cannot reach" in job.last_error
    # A second attempt, after the back-off, fails the same way and is counted.
    assert worker.run_once(now=utcnow() + timedelta(seconds=5))
    db.rollback()
    assert db.get(Job, job.id).attempts == 2
    target_row = db.get(PushTarget, target_id)
    assert target_row is not None
    assert target_row.cursor_row is None
    assert target_row.pushed == 0

    jobs_page = local_client.get(f"/admin/jobs?kind={PUSH_KIND}")
    assert re.search(rf"<code>{re.escape(PUSH_KIND)}</code>", jobs_page.text)
    assert "cannot reach" in jobs_page.text
    federation_page = local_client.get("/admin/sharing/federation")
    assert "cannot reach" in federation_page.text
    for text in (page.text, chooser.text, federation_page.text, jobs_page.text):
        assert "peer-secret-token" not in text


def test_the_form_keeps_input_and_says_what_is_wrong(
    make: Factories,
    local_client: TestClient,
    world: SharingWorld,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    make.session(local_client, make.user("oper2", operator=True))
    page = local_client.get("/admin/sharing/federation")
    form = {
        "csrf_token": csrf_of(page.text), "name": "Bad Name", "api_root": "ftp://x",
        "collection": world.collection, "organization": world.slugs["recipient"],
        "max_tlp": "red", "every_minutes": "",
    }  # fmt: skip
    refused = local_client.post("/admin/sharing/federation", data=form)
    assert refused.status_code == 422
    assert 'id="api_root-error"' in refused.text
    assert 'value="Bad Name"' in refused.text
    form |= {"api_root": "http://127.0.0.1:9/taxii2/", "name": "ok"}
    assert 'id="name-error"' not in local_client.post("/admin/sharing/federation", data=form).text
    red = local_client.post("/admin/sharing/federation", data=form)
    assert red.status_code == 422
    assert 'id="max_tlp-error"' in red.text
    # An organization that may not read the collection cannot stand for the peer.
    private = make_collection(session_factory, world.slugs["producer"], title="Own", public=False)
    form |= {"max_tlp": "green", "organization": world.slugs["community"], "collection": private}
    outsider = local_client.post("/admin/sharing/federation", data=form)
    assert outsider.status_code == 422
    assert 'id="organization-error"' in outsider.text
    db.rollback()
    assert db.scalars(select(PushTarget)).all() == []


def test_nothing_red_is_pending_whatever_the_ceiling(
    world: SharingWorld, live_hub: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    _post(world, live_hub, [stixgen.indicator(tlp=t) for t in Tlp])
    settings = Settings(data_dir=tmp_path)
    with unit_of_work(session_factory) as db:
        for ceiling in push.CEILINGS:
            spec = push.PushSpec(
                name=f"t-{ceiling.value}", api_root="https://peer.example/api/",
                local_collection=world.collection, organization=world.slugs["producer"],
                max_tlp=ceiling.value,
            )  # fmt: skip
            target = push.configure(db, spec=spec, settings=settings, actor=SYSTEM)
            levels = {row.tlp for row in push.pending(db, target=target)}
            assert Tlp.RED.value not in levels
            assert Tlp.AMBER_STRICT.value not in levels
            assert ceiling.value in levels


def test_an_operator_sets_up_a_scheduled_push_from_the_pages(
    medallion: str,  # noqa: F811
    live_hub: str,
    world: SharingWorld,
    make: Factories,
    local_settings: Settings,
    local_client: TestClient,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    make.session(local_client, make.user("oper3", operator=True))
    sent = stixgen.indicator(tlp=Tlp.GREEN)
    _post(world, live_hub, [sent])
    page = local_client.get("/admin/sharing/federation")
    # The hub lists what it can: the collections and organizations are choices, not text.
    assert f'<option value="{world.collection}"' in page.text
    assert f'<option value="{world.slugs["recipient"]}"' in page.text
    form = {
        "csrf_token": csrf_of(page.text), "name": "feed", "api_root": medallion,
        "username": MEDALLION_USER, "token": MEDALLION_PASSWORD, "collection": world.collection,
        "organization": world.slugs["recipient"], "max_tlp": "green", "every_minutes": "5",
    }  # fmt: skip
    saved = local_client.post("/admin/sharing/federation", data=form, follow_redirects=False)
    assert saved.status_code == 303
    chooser = local_client.get(saved.headers["location"])
    # The peer's own list of the collections it lets this hub write to.
    assert f'<option value="{MEDALLION_COLLECTION}"' in chooser.text
    assert ">feed</option>" in chooser.text
    wrong = local_client.post(
        "/admin/sharing/federation/push/feed/collection",
        data={"csrf_token": csrf_of(chooser.text), "remote_collection": "not-offered"},
    )
    assert wrong.status_code == 422
    assert 'id="remote_collection-error"' in wrong.text
    chosen = local_client.post(
        "/admin/sharing/federation/push/feed/collection",
        data={"csrf_token": csrf_of(chooser.text), "remote_collection": MEDALLION_COLLECTION},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    started = utcnow()
    worker = Worker(settings=local_settings, sessions=session_factory)
    assert worker.run_once(now=started + timedelta(seconds=1))
    got = [o["id"] for o in _medallion_feed(medallion).get_objects().get("objects", [])]
    assert got == [sent["id"]]
    db.rollback()
    queued = db.scalars(
        select(Job).where(Job.kind == PUSH_KIND, Job.state == JobState.QUEUED)
    ).one()
    assert timedelta(minutes=4) < queued.run_at - started <= timedelta(minutes=6)
    # The page shows the push done and the next one queued.
    shown = local_client.get("/admin/sharing/federation").text
    assert "every 5 minutes" in shown
    assert MEDALLION_PASSWORD not in shown + chooser.text


def test_an_object_committing_late_with_an_earlier_date_still_goes_once(
    world: SharingWorld, live_hub: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """A long write takes its date_added before a short one that commits first (PostgreSQL):
    the settle window keeps the cursor from passing it; without one, it is skipped."""
    received: dict[str, list[str]] = {"settled": [], "eager": []}

    def peer(name: str) -> httpx.Client:
        def answer(request: httpx.Request) -> httpx.Response:
            sent = json.loads(request.content)["objects"]
            received[name].extend(o["id"] for o in sent)
            return httpx.Response(202, json={"success_count": len(sent), "failure_count": 0})

        return httpx.Client(transport=httpx.MockTransport(answer))

    def add(obj: dict[str, object], added: datetime) -> None:
        _post(world, live_hub, [obj])
        with unit_of_work(session_factory) as db:
            row = db.scalars(select(StixObject).where(StixObject.stix_id == obj["id"])).one()
            row.date_added = added

    settings = Settings(data_dir=tmp_path)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    settle = timedelta(seconds=60)
    later, earlier = stixgen.indicator(tlp=Tlp.GREEN), stixgen.indicator(tlp=Tlp.GREEN)
    ours = {later["id"], earlier["id"]}
    add(later, start)
    with unit_of_work(session_factory) as db:
        for name in received:
            spec = push.PushSpec(
                name=name, api_root="https://peer.example/api/",
                local_collection=world.collection, organization=world.slugs["producer"],
            )  # fmt: skip
            target = push.configure(db, spec=spec, settings=settings, actor=SYSTEM)
            target.remote_collection = "peer-collection"

    def run(name: str, now: datetime, wait: timedelta) -> list[str]:
        before = len(received[name])
        with unit_of_work(session_factory) as db:
            target = push.get_target(db, name)
            with peer(name) as client:
                while push.push_batch(db, target=target, client=client, now=now, settle=wait).sent:
                    pass
        return [i for i in received[name][before:] if i in ours]

    # The later object committed; the earlier one's write is still open.
    assert run("settled", start + timedelta(seconds=5), settle) == []
    assert run("eager", start + timedelta(seconds=5), timedelta(0)) == [later["id"]]
    add(earlier, start - timedelta(seconds=1))  # now it commits, dated before the other
    assert run("settled", start + timedelta(seconds=61), settle) == [earlier["id"], later["id"]]
    assert run("settled", start + timedelta(seconds=200), settle) == []
    # What a cursor without a settle window loses: the earlier object never goes.
    assert run("eager", start + timedelta(seconds=200), timedelta(0)) == []
