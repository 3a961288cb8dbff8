"""A status poll answers the same bytes whether the status's lists were kept as the JSON its
answer writes (``TaxiiStatus.successes`` and ``failures``, migration sharing_0017) or in
``details``, as statuses kept before that revision are (and as every status was answered:
decoded, then encoded again)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from accord import jsonio
from accord.db import unit_of_work
from accord.identity.models import TokenScope
from accord.sharing import queue
from accord.sharing.models import TaxiiStatus
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.factories import Factories
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}
# Refused, its id not ASCII: the kept JSON is UTF-8 as the answer writes it, never escaped.
BAD = {"type": "indicator", "id": "indicator--nicht-gültig-監視", "spec_version": "2.1"}


def _post(client: TestClient, world: SharingWorld, objects: list[Any]) -> bytes:
    answer = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*objects),
        headers={**TAXII, **world.bearer("producer")},
    )
    assert answer.status_code == 202, answer.text
    return answer.content


def _poll(client: TestClient, world: SharingWorld, status_id: str, who: str = "producer") -> Any:
    return client.get(f"/taxii2/hub/status/{status_id}/", headers={**TAXII, **world.bearer(who)})


def _as_kept_before(factory: sessionmaker[Session], status_id: str) -> None:
    """Make a status as the code before sharing_0017 kept it: its lists in ``details``."""
    with unit_of_work(factory) as db:
        successes, failures = db.execute(
            select(TaxiiStatus.successes, TaxiiStatus.failures).where(TaxiiStatus.uuid == status_id)
        ).one()
        assert successes is not None
        assert failures is not None
        db.execute(
            update(TaxiiStatus)
            .where(TaxiiStatus.uuid == status_id)
            .values(
                details={"successes": json.loads(successes), "failures": json.loads(failures)},
                successes=None,
                failures=None,
            )
        )


def _kept(db: Session, status_id: str) -> tuple[Any, ...]:
    db.rollback()
    row = db.execute(
        select(TaxiiStatus.successes, TaxiiStatus.failures, TaxiiStatus.details).where(
            TaxiiStatus.uuid == status_id
        )
    ).one()
    return tuple(row)


def test_a_partly_failed_status_answers_the_bytes_it_answered_before(
    client: TestClient,
    world: SharingWorld,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    first = stixgen.indicator()
    _post(client, world, [first])
    # Stored, already stored, refused and repeated: every kind of entry of both lists.
    objects = [stixgen.indicator(), first, BAD, stixgen.indicator(), first]
    posted = _post(client, world, objects)
    status = json.loads(posted)
    assert (status["status"], status["success_count"], status["failure_count"]) == (
        "complete",
        4,
        1,
    )
    polled = _poll(client, world, status["id"])
    assert polled.status_code == 200
    # The lists are kept as the answer writes them, not in ``details``.
    successes, failures, details = _kept(db, status["id"])
    assert (json.loads(successes), json.loads(failures), details) == (
        status["successes"],
        status["failures"],
        {},
    )
    # The answer is the compact encoding of what it says, as the decoded lists wrote it.
    assert polled.content == posted == jsonio.dumps(json.loads(posted))

    _as_kept_before(session_factory, status["id"])
    assert _poll(client, world, status["id"]).content == polled.content


def test_a_pending_then_complete_status_answers_the_bytes_it_answered_before(
    bare: TestClient,
    queued: FastAPI,
    world: SharingWorld,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    objects = [stixgen.indicator(), BAD, *(stixgen.indicator() for _ in range(3))]
    posted = _post(bare, world, objects)
    pending = json.loads(posted)
    assert (pending["status"], pending["pending_count"], pending["failure_count"]) == (
        "pending",
        4,
        1,
    )
    polled = _poll(bare, world, pending["id"])
    assert polled.content == posted == jsonio.dumps(json.loads(posted))

    assert queue.drain(queued.state.queue, queued.state.sessionmaker, limit=10_000) == 1
    complete = _poll(bare, world, pending["id"])
    found = json.loads(complete.content)
    assert (found["status"], found["success_count"], found["failure_count"]) == (
        "complete",
        4,
        1,
    )
    assert found["failures"] == pending["failures"]
    assert [s["id"] for s in found["successes"]] == [p["id"] for p in pending["pendings"]]
    assert _kept(db, pending["id"])[2] == {}
    assert complete.content == jsonio.dumps(found)

    _as_kept_before(session_factory, pending["id"])
    assert _poll(bare, world, pending["id"]).content == complete.content


def test_a_status_is_still_its_posters_alone(
    client: TestClient,
    world: SharingWorld,
    make: Factories,
    session_factory: sessionmaker[Session],
) -> None:
    status_id = json.loads(_post(client, world, [stixgen.indicator()]))["id"]
    other = make.token(world.people["producer"], TokenScope.READ)
    someone = make.token(world.people["community"], TokenScope.WRITE)
    for kept_before in (False, True):
        if kept_before:
            _as_kept_before(session_factory, status_id)
        assert _poll(client, world, status_id).status_code == 200
        read_only = client.get(
            f"/taxii2/hub/status/{status_id}/",
            headers={**TAXII, "Authorization": f"Bearer {other}"},
        )
        assert read_only.status_code == 403
        stranger = client.get(
            f"/taxii2/hub/status/{status_id}/",
            headers={**TAXII, "Authorization": f"Bearer {someone}"},
        )
        assert stranger.status_code == 404
        assert stranger.json()["description"].startswith("no status")
        assert _poll(client, world, status_id, who="anonymous").status_code == 401
