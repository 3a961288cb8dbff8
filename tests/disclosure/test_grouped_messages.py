"""Messages posted at once through the API share commits (the group commit of publications):
every one answered 201 is in the case's history with its own entry in the log, the entries
in one run, and a post refused in the middle of a shared commit costs the others nothing."""

from __future__ import annotations

import threading

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.db import unit_of_work
from accord.disclosure.models import CaseEvent
from accord.transparency import store
from accord.transparency.envelope import Envelope
from tests.disclosure.world import World
from tests.factories import Factories
from tests.flows.conftest import serving


def test_messages_posted_together_are_each_logged_once(
    app: FastAPI, client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    case = world.open_case(client)
    answers: list[httpx.Response] = []
    lock = threading.Lock()
    with serving(app) as url:

        def poster(number: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as http:
                for n in range(3):
                    # Every third post names a message that does not exist: refused alone.
                    parent = {"parent_id": 999_999} if (number + n) % 3 == 0 else {}
                    answer = http.post(
                        f"/api/v1/disclosure/cases/{case}/messages",
                        json={"body": f"post {number}.{n}", "audience": "all", **parent},
                        headers=world.headers("coordinator" if number % 2 else "vendor_a"),
                    )
                    with lock:
                        answers.append(answer)

        threads = [threading.Thread(target=poster, args=(k,)) for k in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * 12 + [404] * 6, [a.text for a in answers if a.status_code >= 500]
    posted = {a.json()["id"] for a in answers if a.status_code == 201}
    with unit_of_work(make.factory) as db:
        events = db.scalars(select(CaseEvent).where(CaseEvent.kind == "message")).all()
        logged = {e.log_index: e for e in events}
        assert len(logged) == len(events) == 12
        assert {e.summary.split("#")[1].split(" ")[0] for e in events} == {str(i) for i in posted}
        for index, event in logged.items():
            entry = store.read_entry(db, index)
            assert entry is not None
            assert Envelope.from_entry(entry).sha256 == event.document_sha256


def test_the_reporters_messages_posted_together_are_each_logged_once(
    app: FastAPI, client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    answers: list[httpx.Response] = []
    lock = threading.Lock()
    with serving(app) as url:

        def poster(number: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as http:
                for n in range(2):
                    answer = http.post(
                        "/api/v1/disclosure/report/messages",
                        json={"body": f"reporter {number}.{n}"},
                        headers=world.headers("reporter"),
                    )
                    with lock:
                        answers.append(answer)

        threads = [threading.Thread(target=poster, args=(k,)) for k in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [a.status_code for a in answers] == [201] * 12, [a.text for a in answers]
    with unit_of_work(make.factory) as db:
        query = select(CaseEvent).where(
            CaseEvent.kind == "message", CaseEvent.actor_label == "reporter"
        )
        events = db.scalars(query).all()
        assert len({e.log_index for e in events}) == len(events) == 12
        for event in events:
            entry = store.read_entry(db, event.log_index)
            assert entry is not None
            assert Envelope.from_entry(entry).sha256 == event.document_sha256
