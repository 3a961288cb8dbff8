"""A queued envelope the drainer cannot store: found, set aside after a few tries with its
reason, and the others stored; failures and deaths retried after growing pauses, not every
two seconds (``accord.sharing.queue``, ``accord.sharing.drainer``)."""

from __future__ import annotations

import itertools
import os
import threading
import time
from multiprocessing import Pipe
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.sharing import drainer as drainer_module
from accord.sharing import queue
from accord.sharing.drainer import Drainer, backoff
from accord.sharing.models import QueuedEnvelope, StixObject
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.cli.here import accord_here
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}


def _queue(client: TestClient, world: SharingWorld) -> tuple[str, list[str]]:
    objects = [stixgen.indicator() for _ in range(3)]
    answer = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*objects),
        headers={**TAXII, **world.bearer("producer")},
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "pending"
    return answer.json()["id"], [o["id"] for o in objects]


def _drain(app: FastAPI) -> int | str:
    try:
        return queue.drain(app.state.queue, app.state.sessionmaker, limit=10_000)
    except RuntimeError as exc:
        return str(exc)


def test_an_entry_that_fails_every_try_is_set_aside_and_the_others_are_stored(
    bare: TestClient,
    app: FastAPI,
    world: SharingWorld,
    db: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three envelopes waiting, the middle one failing whenever it is stored: the batch
    fails once, each entry is then tried alone, the two good ones are stored and the bad one
    is set aside after five tries with its reason, listed by ``accord sharing queue`` and put
    back in line by ``--retry``. Before, the batch failed forever and nothing was stored."""
    first, first_ids = _queue(bare, world)
    poisoned, _ = _queue(bare, world)
    last, last_ids = _queue(bare, world)
    store = queue._store

    def fails_on_one(db: Session, entry: QueuedEnvelope, *batch: Any) -> None:
        if entry.status_uuid == poisoned:
            raise RuntimeError("a row this hub cannot store")
        store(db, entry, *batch)

    monkeypatch.setattr(queue, "_store", fails_on_one)
    outcomes = [_drain(app) for _ in range(9)]
    # The batch, the first alone, the poisoned one five times in all, the last alone.
    assert outcomes == [
        "a row this hub cannot store",
        1,
        *["a row this hub cannot store"] * 4,
        1,
        0,
        0,
    ]
    db.rollback()
    stored = set(db.scalars(select(StixObject.stix_id)))
    assert stored == set(first_ids + last_ids)
    waiting = app.state.queue
    assert waiting.backlog() == 0  # what is set aside waits for nobody
    [(entry, attempt)] = waiting.set_aside_entries()
    assert (entry.status_uuid, attempt.attempts) == (poisoned, queue.MAX_ATTEMPTS)
    assert attempt.last_error == "RuntimeError: a row this hub cannot store"
    status = bare.get(
        f"/taxii2/hub/status/{poisoned}/", headers={**TAXII, **world.bearer("producer")}
    )
    assert status.json()["status"] == "pending"  # acknowledged, kept: never dropped

    listed = accord_here(settings, "sharing", "queue")
    assert listed.returncode == 0, listed.stderr
    assert "0 objects waiting" in listed.stdout
    assert poisoned in listed.stdout
    assert "5 tries" in listed.stdout
    assert "RuntimeError: a row this hub cannot store" in listed.stdout
    retried = accord_here(settings, "sharing", "queue", "--retry", poisoned)
    assert retried.returncode == 0, retried.stderr
    assert waiting.backlog() == 3
    monkeypatch.setattr(queue, "_store", store)
    assert _drain(app) == 1
    assert waiting.set_aside_entries() == []
    unknown = accord_here(settings, "sharing", "queue", "--retry", poisoned)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("error: no set-aside entry")
    assert (first, last) != (None, None)


def test_an_entry_a_drainer_died_storing_is_counted_and_set_aside(
    bare: TestClient, app: FastAPI, world: SharingWorld, db: Session
) -> None:
    """A try is counted before it is made: an entry whose tries all ended with the drainer
    killed (no error to keep) is set aside too, with that said, and the next one stored."""
    dying, _ = _queue(bare, world)
    fine, fine_ids = _queue(bare, world)
    waiting = app.state.queue
    entry = waiting.take(10_000)[0]
    for _ in range(queue.MAX_ATTEMPTS):
        waiting.attempting([entry])  # each time, the process was killed before its end
    assert _drain(app) == 1
    [(aside, attempt)] = waiting.set_aside_entries()
    assert aside.status_uuid == dying
    assert attempt.last_error == queue.DIED_WHILE_STORING
    db.rollback()
    assert db.scalar(select(func.count()).select_from(StixObject)) == len(fine_ids)
    assert fine


def test_backoff_doubles_up_to_its_most() -> None:
    assert [backoff(n, first=0.5, most=60) for n in range(9)] == [
        0.0,
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        32.0,
        60.0,
    ]


def _paused(times: list[float], pauses: list[float]) -> bool:
    """Whether each gap between ``times`` lasted at least its pause (a busy machine may
    make them longer, never shorter)."""
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(gaps) == len(pauses), gaps
    return all(gap >= pause * 0.95 for gap, pause in zip(gaps, pauses, strict=True))


class _Dead:
    """A drainer process that died as soon as it started."""

    exitcode = 1
    pid = 4_000_000

    def is_alive(self) -> bool:
        return False


class _Pipe:
    def send_bytes(self, _: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_drainer_dying_at_each_start_is_restarted_after_growing_pauses(
    bare: TestClient,
    app: FastAPI,
    world: SharingWorld,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Entries waiting and a drainer that dies at once, every time (a poisoned entry killing
    it): the watch and the queued POSTs' wakes start it again after 0.1, 0.2, 0.4, 0.8 s
    (the watch's period doubled; 2 s doubled up to 5 minutes in a hub), not at every look."""
    _queue(bare, world)
    monkeypatch.setattr(drainer_module, "WATCH_SECONDS", 0.1)
    drainer = Drainer(settings)
    starts: list[float] = []

    def start() -> None:
        starts.append(time.monotonic())
        drainer._process = _Dead()  # type: ignore[assignment]
        drainer._signals = _Pipe()  # type: ignore[assignment]
        drainer._started_at, drainer._not_before = time.monotonic(), None

    monkeypatch.setattr(drainer, "_start", start)
    deadline = time.monotonic() + 1.65
    while time.monotonic() < deadline:
        drainer.revive(app.state.queue)
        drainer.wake()
        time.sleep(0.01)
    assert len(starts) <= 5, starts  # at every look (a hundred a second) before
    assert _paused(starts, [0.1, 0.2, 0.4, 0.8][: len(starts) - 1])
    assert len(starts) >= 4


def test_a_failing_drain_is_tried_again_after_growing_pauses(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drainer's loop, a drain failing every time: tried after 0.1, 0.2, 0.4, 0.8 s
    pauses (doubling up to a minute), where it was tried at every poll before."""
    monkeypatch.setattr(drainer_module, "QUEUE_POLL_SECONDS", 0.1)
    tries: list[float] = []

    def failing(*_: Any, **__: Any) -> int:
        tries.append(time.monotonic())
        raise RuntimeError("the database is down")

    monkeypatch.setattr(drainer_module, "drain", failing)
    monkeypatch.setattr(drainer_module.gc, "freeze", lambda: None)
    reader, writer = Pipe(duplex=False)
    loop = threading.Thread(
        target=drainer_module._drain_until_stopped, args=(settings, reader, os.getppid())
    )
    loop.start()
    # The loop's start (its engine, the queue's file, a collection) took over 15 s twice in
    # whole runs on a loaded machine: the deadline only bounds a hang; the pauses asserted
    # below are lower bounds, which a slow start cannot fake.
    deadline = time.monotonic() + 90
    while len(tries) < 5 and time.monotonic() < deadline:  # a first try, then four pauses
        time.sleep(0.05)
    writer.close()  # the web process's "stop"
    loop.join(timeout=5)
    assert not loop.is_alive()
    assert _paused(tries, [0.1, 0.2, 0.4, 0.8])
