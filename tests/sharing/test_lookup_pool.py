"""A look-up split across helper processes (``lookup_pool``) answers the same bytes as one
process for every kind of reader, through every way a value finds an indicator, expired ones
only when asked for, with warninglists; a reader sees through no slice what it may not see;
a helper killed or stopped leaves the look-up answered whole by the web process."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import jsonio
from accord.clock import utcnow
from accord.config import Settings
from accord.identity.models import User
from accord.identity.policy import ANONYMOUS, Actor
from accord.identity.services import actor_for
from accord.sharing import indicators
from accord.sharing.lookup_pool import LookupPool
from accord.sharing.readers import reader_for
from accord.sharing.tlp import Tlp
from tests.sharing.conftest import READERS, SharingWorld
from tests.sharing.test_lookup_readers import _asked, _shared
from tests.sharing.test_tlp_matrix import SEES

HELPERS = 2


@pytest.fixture(scope="module")
def pool(settings: Settings) -> Iterator[LookupPool]:
    """Two warm helpers, splitting look-ups of 2 values or more (a stopped helper is given
    up after 3 s: the slices here take milliseconds)."""
    split = settings.model_copy(update={"lookup_helpers": HELPERS, "lookup_split_values": 2})
    found = LookupPool(split, answer_seconds=3.0)
    found.start()
    assert found.wait_ready(120), "the helpers did not start"
    yield found
    found.stop()


@pytest.fixture(autouse=True)
def _forgotten(pool: LookupPool) -> None:
    # The previous test's tables were emptied: its ranges, kept by the helpers, go too; a
    # helper the previous test ended is warm again.
    assert pool.wait_ready(120), "the helpers did not start again"
    pool.forget()


def _actor(db: Session, reader: str) -> Actor:
    if reader == "anonymous":
        return ANONYMOUS
    user = db.scalars(select(User).where(User.username == reader.replace("_", ""))).one()
    return actor_for(db, user)


def _world_values(client: TestClient, world: SharingWorld) -> list[str]:
    """Indicators at every level (ranges, domains, expired domains) and the values finding
    each of them, with a warninglisted and an unknown value: three times over, so that each
    of the three slices (the web process's and two helpers') asks for all of them."""
    _shared(client, world)
    block = [*_asked(len(Tlp)), "8.8.8.8", "nothing.example"]
    return block * 3


def _both(
    pool: LookupPool, db: Session, reader: str, values: list[str], include_expired: bool
) -> tuple[bytes, bytes]:
    """The answer of one process and the pooled one (which every helper took part in)."""
    actor, now = _actor(db, reader), utcnow() + timedelta(hours=1)
    seen = reader_for(db, actor)
    alone = indicators.answer(
        db, reader=seen, values=values, include_expired=include_expired, now=now
    )
    spent: list[float] = []
    pooled = pool.answer_json(
        db, reader=seen, values=values, include_expired=include_expired, now=now,
        helper_cpu=spent,
    )  # fmt: skip
    assert len(spent) == HELPERS, "every helper answers a slice"
    return jsonio.dumps(alone), pooled


@pytest.mark.parametrize("include_expired", [False, True])
@pytest.mark.parametrize("reader", READERS)
def test_the_pooled_answer_is_the_same_bytes_and_sees_only_what_the_reader_may(
    client: TestClient,
    world: SharingWorld,
    db: Session,
    pool: LookupPool,
    reader: str,
    include_expired: bool,
) -> None:
    values = _world_values(client, world)
    alone, pooled = _both(pool, db, reader, values, include_expired)
    assert pooled == alone
    results = orjson.loads(pooled)
    assert [r["value"] for r in results] == values
    levels = {hit["tlp"] for r in results for hit in r["indicators"]}
    assert levels == {level.value for level in SEES[reader]}
    expired = any(hit["expired"] for r in results for hit in r["indicators"])
    assert expired == include_expired
    # Each helper's slice (the second and last thirds) finds hits of every level the reader
    # may see, and of none other: the slices are answered for the same reader.
    third = len(values) // 3
    for part in (results[third : 2 * third], results[2 * third :]):
        assert {hit["tlp"] for r in part for hit in r["indicators"]} == levels
        assert any(r["warninglists"] for r in part)  # 8.8.8.8, on the shipped lists


def test_a_killed_helper_leaves_the_look_up_right_and_is_started_again(
    client: TestClient, world: SharingWorld, db: Session, pool: LookupPool
) -> None:
    values = _world_values(client, world)
    before = pool.helper_pids()
    os.kill(before[0], signal.SIGKILL)
    time.sleep(0.2)
    actor, now = _actor(db, "recipient"), utcnow()
    seen = reader_for(db, actor)
    expected = jsonio.dumps(indicators.answer(db, reader=seen, values=values, now=now))
    assert pool.answer_json(db, reader=seen, values=values, now=now) == expected
    # Started again (at most RESTART_SECONDS after its last start): every helper answers.
    deadline = time.monotonic() + 120
    while True:
        spent: list[float] = []
        found = pool.answer_json(db, reader=seen, values=values, now=now, helper_cpu=spent)
        assert found == expected
        if len(spent) == HELPERS:
            break
        assert time.monotonic() < deadline, "the killed helper was not started again"
        time.sleep(0.2)
    assert before[0] not in pool.helper_pids()


def test_a_stopped_helper_is_given_up_and_the_look_up_answered_whole(
    client: TestClient, world: SharingWorld, db: Session, pool: LookupPool
) -> None:
    values = _world_values(client, world)
    stopped = pool.helper_pids()[1]
    os.kill(stopped, signal.SIGSTOP)
    try:
        seen = reader_for(db, _actor(db, "producer"))
        now = utcnow()
        expected = jsonio.dumps(indicators.answer(db, reader=seen, values=values, now=now))
        spent: list[float] = []
        found = pool.answer_json(db, reader=seen, values=values, now=now, helper_cpu=spent)
        assert found == expected
        assert len(spent) < HELPERS
    finally:
        if stopped in pool.helper_pids():  # not given up: let it go on for the next tests
            os.kill(stopped, signal.SIGCONT)
    assert stopped not in pool.helper_pids()


def test_the_route_answers_through_the_pool(
    app: FastAPI,
    client: TestClient,
    world: SharingWorld,
    db: Session,
    pool: LookupPool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = _world_values(client, world)
    helped: list[int] = []
    answer_json = pool.answer_json

    def spied(*args: Any, **kwargs: Any) -> bytes:
        spent: list[float] = []
        found = answer_json(*args, **kwargs, helper_cpu=spent)
        helped.append(len(spent))
        return found

    # Put back before the client's lifespan ends (it stops the app's own pool). By hand:
    # monkeypatch deletes what it finds in no instance dictionary (State keeps its own).
    own = app.state.lookup_pool
    app.state.lookup_pool = pool
    try:
        monkeypatch.setattr(pool, "answer_json", spied)
        response = client.post(
            "/api/v1/sharing/lookup",
            json={"values": values, "include_expired": True},
            headers=world.bearer("recipient"),
        )
    finally:
        app.state.lookup_pool = own
    assert response.status_code == 200
    assert helped == [HELPERS]
    seen = reader_for(db, _actor(db, "recipient"))
    alone = indicators.answer(db, reader=seen, values=values, include_expired=True)

    def unscored(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Scores decay with the time of the look-up: the two ran a moment apart.
        return [
            {**r, "indicators": [{**h, "score": None} for h in r["indicators"]]} for r in results
        ]

    assert unscored(response.json()) == unscored(orjson.loads(jsonio.dumps(alone)))
    assert any(hit["tlp"] == "amber" for r in response.json() for hit in r["indicators"])


def test_a_small_look_up_is_answered_alone(db: Session, pool: LookupPool) -> None:
    seen = reader_for(db, ANONYMOUS)
    spent: list[float] = []
    found = pool.answer_json(db, reader=seen, values=["8.8.8.8"], helper_cpu=spent)
    assert spent == []
    assert orjson.loads(found)[0]["value"] == "8.8.8.8"


def test_the_first_large_look_up_starts_the_helpers_without_waiting_for_them(
    settings: Settings, db: Session
) -> None:
    lazy = LookupPool(settings.model_copy(update={"lookup_helpers": 1, "lookup_split_values": 2}))
    try:
        seen = reader_for(db, ANONYMOUS)
        values = ["8.8.8.8", "nothing.example"]
        spent: list[float] = []
        first = lazy.answer_json(db, reader=seen, values=values, helper_cpu=spent)
        assert spent == []  # answered here: no helper was running
        deadline = time.monotonic() + 30
        while not lazy.helper_pids():  # started by the look-up, in a thread of its own
            assert time.monotonic() < deadline, "the look-up started no helper"
            time.sleep(0.05)
        assert lazy.wait_ready(120)
        assert lazy.answer_json(db, reader=seen, values=values, helper_cpu=spent) == first
        assert len(spent) == 1
    finally:
        lazy.stop()
    assert lazy.helper_pids() == []


def test_an_error_in_this_process_slice_leaves_no_answer_waiting_for_the_next_reader(
    client: TestClient,
    world: SharingWorld,
    db: Session,
    pool: LookupPool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = _world_values(client, world)
    producer, now = reader_for(db, _actor(db, "producer")), utcnow()

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("this process's slice failed")

    monkeypatch.setattr(indicators, "answer", failing)  # this process only: not the helpers
    with pytest.raises(RuntimeError):
        pool.answer_json(db, reader=producer, values=values, now=now)
    monkeypatch.undo()
    # The helpers answered the producer's slices; the next reader gets none of them.
    anonymous = reader_for(db, ANONYMOUS)
    expected = jsonio.dumps(indicators.answer(db, reader=anonymous, values=values, now=now))
    spent: list[float] = []
    assert pool.answer_json(db, reader=anonymous, values=values, now=now, helper_cpu=spent) == (
        expected
    )
    assert len(spent) == HELPERS  # read to their answers, so still taking part
