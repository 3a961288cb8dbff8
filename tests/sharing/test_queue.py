"""Large envelopes: acknowledged "pending" once checked, stored by the drainer in batches,
never lost and never stored twice (``accord.sharing.queue``)."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from accord import collector
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.credentials import digest
from accord.identity.models import ApiToken, TokenScope, User
from accord.sharing import queue, stix_validation
from accord.sharing.models import Collection, QueuedEnvelope, StixObject, TaxiiStatus
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.factories import Factories
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

ROOT = Path(__file__).resolve().parents[2]
TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}


def _headers(world: SharingWorld, reader: str = "producer") -> dict[str, str]:
    return {**TAXII, **world.bearer(reader)}


def _post(client: TestClient, world: SharingWorld, objects: list[Any]) -> dict[str, Any]:
    answer = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*objects),
        headers=_headers(world),
    )
    assert answer.status_code == 202, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _status(client: TestClient, world: SharingWorld, status_id: str) -> dict[str, Any]:
    answer = client.get(f"/taxii2/hub/status/{status_id}/", headers=_headers(world))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _stored_ids(client: TestClient, world: SharingWorld) -> list[str]:
    answer = client.get(
        f"/taxii2/hub/collections/{world.collection}/objects/", headers=_headers(world)
    )
    assert answer.status_code == 200
    return [o["id"] for o in answer.json().get("objects", [])]


def _drain(app: FastAPI) -> int:
    return queue.drain(app.state.queue, app.state.sessionmaker, limit=10_000)


def test_a_large_envelope_is_pending_until_the_drainer_stores_it(
    bare: TestClient, queued: FastAPI, world: SharingWorld
) -> None:
    good = [stixgen.indicator() for _ in range(4)]
    bad = {"type": "indicator", "id": "indicator--not-a-uuid", "spec_version": "2.1"}
    pending = _post(bare, world, [*good, bad])

    assert pending["status"] == "pending"
    assert (pending["total_count"], pending["pending_count"]) == (5, 4)
    assert (pending["success_count"], pending["failure_count"]) == (0, 1)
    assert pending["failures"][0]["id"] == "indicator--not-a-uuid"
    assert {p["id"] for p in pending["pendings"]} == {o["id"] for o in good}
    assert _status(bare, world, pending["id"])["status"] == "pending"
    assert _stored_ids(bare, world) == []

    assert _drain(queued) == 1
    done = _status(bare, world, pending["id"])
    assert done["status"] == "complete"
    assert (done["total_count"], done["success_count"], done["failure_count"]) == (5, 4, 1)
    assert (done["pending_count"], done["pendings"]) == (0, [])
    assert done["failures"] == pending["failures"]
    assert done["request_timestamp"] == pending["request_timestamp"]
    assert sorted(_stored_ids(bare, world)) == sorted(o["id"] for o in good)
    assert _drain(queued) == 0


def test_an_entry_queued_by_an_earlier_release_is_stored_with_stix_versions(
    bare: TestClient, queued: FastAPI, world: SharingWorld
) -> None:
    # Entries once kept their versions in isoformat's form (2024-01-01T00:00:00.120000+00:00):
    # those waiting through an upgrade are stored, and their statuses say the STIX form.
    when = datetime(2024, 1, 1, 0, 0, 0, 120_000, tzinfo=UTC)
    sent = [stixgen.indicator(modified=when) for _ in range(3)]
    pending = _post(bare, world, sent)
    assert {p["version"] for p in pending["pendings"]} == {"2024-01-01T00:00:00.120Z"}
    waiting: queue.Queue = queued.state.queue
    with unit_of_work(waiting.sessions) as db:
        entry = db.scalars(select(QueuedEnvelope)).one()
        items = orjson.loads(entry.payload)
        for item in items:
            item[3] = when.isoformat()
        entry.payload = orjson.dumps(items)

    assert _drain(queued) == 1
    done = _status(bare, world, pending["id"])
    assert {s["version"] for s in done["successes"]} == {"2024-01-01T00:00:00.120Z"}
    answer = bare.get(
        f"/taxii2/hub/collections/{world.collection}/objects/{sent[0]['id']}/versions/",
        headers=_headers(world),
    )
    assert answer.json()["versions"] == ["2024-01-01T00:00:00.120Z"]


def test_a_small_envelope_is_stored_before_the_answer(
    bare: TestClient, world: SharingWorld
) -> None:
    done = _post(bare, world, [stixgen.indicator(), stixgen.indicator()])
    assert (done["status"], done["success_count"]) == ("complete", 2)
    assert len(_stored_ids(bare, world)) == 2


def test_a_queued_envelope_lets_its_checked_objects_go_before_the_collector_is_back(
    bare: TestClient, queued: FastAPI, world: SharingWorld, monkeypatch: Any
) -> None:
    # Held past the pause, they were each looked at by the next young collection.
    good = [stixgen.indicator() for _ in range(4)]
    ids = {o["id"] for o in good}
    alive_at_resume: list[int] = []
    resume = collector.Paused.__exit__

    def counting_exit(self: collector.Paused, *exc: object) -> None:
        if self._count == 1:  # the collector is back after this
            alive_at_resume.append(
                sum(
                    1
                    for o in gc.get_objects()
                    if isinstance(o, stix_validation.CheckedObject) and o.stix_id in ids
                )
            )
        resume(self, *exc)

    monkeypatch.setattr(collector.Paused, "__exit__", counting_exit)
    enabled = gc.isenabled()
    pending = _post(bare, world, good)
    assert pending["status"] == "pending"
    assert alive_at_resume
    assert not any(alive_at_resume)
    assert gc.isenabled() == enabled
    assert collector.PAUSED._count == 0
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    answer = bare.post(url, content=b"{", headers=_headers(world))
    assert answer.status_code == 400
    assert (gc.isenabled(), collector.PAUSED._count) == (enabled, 0)
    assert _drain(queued) == 1
    assert sorted(_stored_ids(bare, world)) == sorted(ids)


def test_envelopes_waiting_together_are_stored_in_one_batch(
    bare: TestClient, queued: FastAPI, world: SharingWorld, db: Session
) -> None:
    shared = stixgen.indicator()
    first = _post(bare, world, [shared, stixgen.indicator(), stixgen.indicator()])
    second = _post(bare, world, [shared, stixgen.indicator(), stixgen.indicator()])

    assert _drain(queued) == 2  # both entries, one transaction
    one, two = _status(bare, world, first["id"]), _status(bare, world, second["id"])
    assert (one["success_count"], two["success_count"]) == (3, 3)
    again = [s for s in two["successes"] if s["id"] == shared["id"]]
    assert again[0]["message"] == "already stored"
    db.rollback()
    assert db.scalar(select(func.count()).select_from(StixObject)) == 5


def test_a_drain_killed_before_forgetting_its_entries_does_not_store_them_twice(
    bare: TestClient, queued: FastAPI, world: SharingWorld, db: Session, monkeypatch: Any
) -> None:
    pending = _post(bare, world, [stixgen.indicator() for _ in range(3)])

    def dies(self: queue.Queue, ids: list[int]) -> None:
        raise RuntimeError("killed between the commit and the forgetting")

    with monkeypatch.context() as patch:
        patch.setattr(queue.Queue, "forget", dies)
        with pytest.raises(RuntimeError):
            _drain(queued)
    assert queued.state.queue.backlog() == 3  # still waiting, already stored

    assert _drain(queued) == 1  # found stored: forgotten, not stored again
    assert queued.state.queue.backlog() == 0
    db.rollback()
    assert db.scalar(select(func.count()).select_from(StixObject)) == 3
    assert db.scalar(select(func.count()).select_from(TaxiiStatus)) == 1
    assert _status(bare, world, pending["id"])["success_count"] == 3


def test_an_entry_of_a_deleted_collection_is_dropped_with_it(
    bare: TestClient,
    queued: FastAPI,
    world: SharingWorld,
    session_factory: sessionmaker[Session],
) -> None:
    pending = _post(bare, world, [stixgen.indicator() for _ in range(3)])
    with unit_of_work(session_factory) as db:
        db.execute(delete(Collection).where(Collection.uuid == world.collection))

    assert _drain(queued) == 1
    assert queued.state.queue.backlog() == 0
    answer = bare.get(f"/taxii2/hub/status/{pending['id']}/", headers=_headers(world))
    assert answer.status_code == 404


def test_an_account_deleted_meanwhile_does_not_block_the_queue(
    bare: TestClient,
    queued: FastAPI,
    world: SharingWorld,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    _post(bare, world, [stixgen.indicator() for _ in range(3)])
    with unit_of_work(session_factory) as writer:
        writer.execute(delete(User).where(User.username == world.people["producer"].username))

    assert _drain(queued) == 1
    db.rollback()
    assert db.scalar(select(func.count()).select_from(StixObject)) == 3
    assert db.scalar(select(TaxiiStatus.user_id)) is None


def test_a_queued_status_is_the_posters_alone(
    bare: TestClient, world: SharingWorld, make: Factories
) -> None:
    pending = _post(bare, world, [stixgen.indicator() for _ in range(3)])
    other = make.token(world.people["community"], TokenScope.WRITE)
    answer = bare.get(
        f"/taxii2/hub/status/{pending['id']}/",
        headers={**TAXII, "Authorization": f"Bearer {other}"},
    )
    unknown = "00000000-0000-4000-8000-000000000000"
    nothing = bare.get(
        f"/taxii2/hub/status/{unknown}/", headers={**TAXII, "Authorization": f"Bearer {other}"}
    )
    # The same answer as for a status that never existed: nothing tells it is there.
    assert answer.status_code == nothing.status_code == 404
    assert answer.json() == {
        k: v.replace(unknown, pending["id"]) if isinstance(v, str) else v
        for k, v in nothing.json().items()
    }


def test_a_full_queue_answers_503_with_retry_after(
    bare: TestClient, queued: FastAPI, world: SharingWorld
) -> None:
    settings: Settings = queued.state.settings
    queued.state.settings = settings.model_copy(
        update={"taxii_queue_max_objects": 3, "taxii_queue_wait_seconds": 0.2}
    )
    _post(bare, world, [stixgen.indicator() for _ in range(3)])
    answer = bare.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*[stixgen.indicator() for _ in range(3)]),
        headers=_headers(world),
    )
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "1"
    assert answer.headers["Content-Type"].startswith(TAXII_MEDIA_TYPE)
    assert answer.json()["http_status"] == "503"
    assert queued.state.queue.backlog() == 3  # the first envelope still waits, untouched

    _drain(queued)
    assert _post(bare, world, [stixgen.indicator() for _ in range(3)])["status"] == "pending"


def _remote(live_hub: str, world: SharingWorld) -> Any:
    """The world's collection on the running hub, through taxii2-client, as its producer."""
    from taxii2client.v21 import Collection as Remote

    return Remote(
        f"{live_hub}/taxii2/hub/collections/{world.collection}/",
        user=world.people["producer"].username,
        password=world.tokens["producer"],
    )


def test_the_drainer_of_a_running_hub_stores_what_is_queued(
    live_hub: str, queued: FastAPI, world: SharingWorld
) -> None:
    remote = _remote(live_hub, world)
    objects = [stixgen.indicator() for _ in range(5)]
    status = remote.add_objects(stixgen.envelope(*objects), poll_interval=0.05, timeout=30)
    assert (status.status, status.success_count, status.pending_count) == ("complete", 5, 0)
    assert len(remote.get_objects()["objects"]) == 5


@pytest.mark.slow
def test_a_drainer_killed_alone_is_started_again_and_pending_envelopes_complete(
    live_hub: str, queued: FastAPI, world: SharingWorld
) -> None:
    remote = _remote(live_hub, world)
    # Stored at once (too small to queue); the token's use is now marked for a minute, so the
    # next POST writes nothing to the hub database.
    first = [stixgen.indicator() for _ in range(2)]
    assert remote.add_objects(stixgen.envelope(*first)).status == "complete"
    objects = [stixgen.indicator() for _ in range(4)]
    engine = queued.state.engine
    with engine.connect() as holder:
        # The hub's write lock held, the drainer cannot store the envelope; killed meanwhile,
        # it leaves it acknowledged and waiting while the web process lives on.
        if engine.dialect.name == "postgresql":
            holder.exec_driver_sql("SELECT pg_advisory_lock(7161)")  # the drain's lock
        else:
            holder.exec_driver_sql("SELECT 1")  # a writer's connection begins IMMEDIATE
        pending = remote.add_objects(stixgen.envelope(*objects), wait_for_completion=False)
        assert pending.status == "pending"
        drainer = queued.state.drainer
        killed = drainer.pid
        assert killed is not None
        time.sleep(1)  # started, and at the lock (or still starting: killed either way)
        os.kill(killed, signal.SIGKILL)
        while drainer.running() and drainer.pid == killed:
            time.sleep(0.05)
        if engine.dialect.name == "postgresql":
            holder.exec_driver_sql("SELECT pg_advisory_unlock(7161)")
        else:
            holder.exec_driver_sql("ROLLBACK")
    deadline = time.monotonic() + 60
    while True:
        pending.refresh()
        if pending.status == "complete":
            break
        assert time.monotonic() < deadline, "the pending envelope was never stored"
        time.sleep(0.1)
    assert (pending.success_count, pending.failure_count) == (4, 0)
    assert drainer.pid != killed
    stored = {o["id"] for o in remote.get_objects()["objects"]}
    assert stored == {o["id"] for o in first + objects}


@pytest.mark.parametrize("point", ["before-commit", "before-forget"])
def test_a_drainer_killed_at_any_point_loses_nothing_and_stores_nothing_twice(
    bare: TestClient,
    queued: FastAPI,
    world: SharingWorld,
    settings: Settings,
    db: Session,
    tmp_path: Path,
    point: str,
) -> None:
    pending = _post(bare, world, [stixgen.indicator() for _ in range(4)])
    marker = tmp_path / "reached"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.sharing.crash_drainer", settings.resolved_database_url,
         str(settings.data_dir), point, str(marker)],
        cwd=ROOT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():  # the child is at the point, and waits there
            assert child.poll() is None, "the drainer exited before the point"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)

    db.rollback()
    stored = db.scalar(select(func.count()).select_from(StixObject))
    assert stored == (0 if point == "before-commit" else 4)  # nothing half-stored
    assert queued.state.queue.backlog() == 4  # the entry is still there either way

    assert _drain(queued) == 1
    db.rollback()
    assert db.scalar(select(func.count()).select_from(StixObject)) == 4
    assert _status(bare, world, pending["id"])["success_count"] == 4


@pytest.mark.parametrize("count", [2, 3])  # stored at once, queued
def test_a_post_marks_its_token_used_and_a_refused_one_does_not(
    bare: TestClient, world: SharingWorld, db: Session, count: int
) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    refused = bare.post(url, content=b"not json", headers=_headers(world))
    assert refused.status_code == 400
    db.rollback()
    assert db.scalars(select(ApiToken.last_used_at)).all() == [None] * len(world.tokens)

    _post(bare, world, [stixgen.indicator() for _ in range(count)])
    db.rollback()
    producer = world.tokens["producer"]
    used = db.scalar(select(ApiToken.last_used_at).where(ApiToken.secret_hash == digest(producer)))
    assert used is not None
