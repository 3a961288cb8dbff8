"""Group commit (``accord.group_commit``): writes of many threads share SQLite commits, each
write's failure stays its own, and nothing is answered before its commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from accord.group_commit import GroupCommit
from accord.sharing.models import SharingSecret


def _writes(group: GroupCommit, works: list[Callable[[Session], str]]) -> list[str | BaseException]:
    """Each work run by a thread of its own, all started together; results in order."""
    results: list[str | BaseException] = [""] * len(works)
    start = threading.Barrier(len(works))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = group.run(works[i])
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _secret(name: str) -> Callable[[Session], str]:
    def work(db: Session) -> str:
        db.add(SharingSecret(name=name, value="v"))
        db.flush()
        return name

    return work


@pytest.fixture
def commits(engine: Engine) -> list[int]:
    counted: list[int] = []

    def count(_conn: object) -> None:
        counted.append(1)

    event.listen(engine, "commit", count)
    yield counted
    event.remove(engine, "commit", count)


def _slow_secret(name: str) -> Callable[[Session], str]:
    """A write that holds its transaction 20 ms: the threads released with it are waiting
    for their turn by then, even on a machine whose two cores run two suites (24 writes
    each committed alone there once)."""

    def work(db: Session) -> str:
        time.sleep(0.02)
        return _secret(name)(db)

    return work


def test_writes_of_many_threads_share_commits_on_sqlite(
    engine: Engine, session_factory: sessionmaker[Session], commits: list[int]
) -> None:
    group = GroupCommit(session_factory)
    names = [f"g{i}" for i in range(24)]
    results = _writes(group, [_slow_secret(n) for n in names])
    assert results == names
    with session_factory() as db:
        assert set(db.scalars(select(SharingSecret.name))) == set(names)
    if engine.dialect.name == "sqlite":
        assert group.grouped
        assert len(commits) < len(names)  # one commit for each group that waited together
    else:
        assert not group.grouped  # PostgreSQL's writers do not take turns
        assert len(commits) == len(names)


@pytest.mark.parametrize("savepoints", [True, False])
def test_a_failing_write_fails_alone(
    session_factory: sessionmaker[Session], savepoints: bool
) -> None:
    """A write that fails (a duplicate key) is rolled back (to its savepoint, or with its
    batch, whose other writes then run again alone) and its caller gets its error; the
    writes beside it are committed, once each."""
    group = GroupCommit(session_factory, grouped=True, savepoints=savepoints)
    group.run(_secret("taken"))

    def boom(_db: Session) -> str:
        raise ValueError("refused")

    works = [_secret("a"), _secret("taken"), _secret("b"), boom, _secret("c")]
    results = _writes(group, works)
    assert results[0] == "a"
    assert isinstance(results[1], IntegrityError)
    assert results[2] == "b"
    assert isinstance(results[3], ValueError)
    assert results[4] == "c"
    with session_factory() as db:
        assert set(db.scalars(select(SharingSecret.name))) == {"taken", "a", "b", "c"}


def test_a_failed_commit_fails_every_write_it_held(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    """Nothing is acknowledged before its commit: a commit that fails fails each write."""
    group = GroupCommit(session_factory)

    def refuse(_conn: object) -> None:
        raise RuntimeError("the disk is full")

    event.listen(engine, "commit", refuse)
    try:
        results = _writes(group, [_secret(f"f{i}") for i in range(6)])
    finally:
        event.remove(engine, "commit", refuse)
    assert all(isinstance(r, RuntimeError) for r in results), results
    with session_factory() as db:
        assert list(db.scalars(select(SharingSecret.name))) == []
    assert group.run(_secret("after")) == "after"  # the lead was handed on


WAITING_ON_A_LOCK = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def test_a_write_ended_by_a_deadlock_runs_again(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    """PostgreSQL ends one of two transactions waiting on each other; the write it ended runs
    again in a new transaction and succeeds, instead of failing its request."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers take turns: two transactions never wait on each other")
    group = GroupCommit(session_factory)
    for name in ("first", "second"):
        group.run(_secret(name))
    other_holds_second = threading.Event()
    work_holds_first = threading.Event()
    tries: list[int] = []

    def lock(db: Session, name: str) -> None:
        db.execute(select(SharingSecret).where(SharingSecret.name == name).with_for_update()).one()

    def work(db: Session) -> str:
        tries.append(1)
        lock(db, "first")
        if len(tries) == 1:
            work_holds_first.set()
            other_holds_second.wait(10)
        lock(db, "second")  # the first try waits here first, so PostgreSQL ends it
        return "written"

    def other() -> None:
        with session_factory() as db, db.begin():
            # Only the work's backend may look for the deadlock in time: on a loaded machine
            # this one's check (a second after it waits) could come first and end it instead.
            db.execute(text("SET LOCAL deadlock_timeout = '30s'"))
            lock(db, "second")
            other_holds_second.set()
            work_holds_first.wait(10)
            # PostgreSQL ends the transaction that finds the deadlock: the first to wait (its
            # deadlock_timeout runs out first). That must be the work's: wait until it waits.
            with session_factory() as watching:
                for _ in range(1000):
                    if watching.scalar(text(WAITING_ON_A_LOCK)):
                        break
                    time.sleep(0.01)
            lock(db, "first")

    thread = threading.Thread(target=other)
    thread.start()
    try:
        assert group.run(work) == "written"
    finally:
        thread.join(timeout=30)
    assert len(tries) == 2


def test_a_write_that_fails_otherwise_is_not_run_again(
    session_factory: sessionmaker[Session],
) -> None:
    """Only a transient end is tried again: a duplicate key fails at its first try."""
    group = GroupCommit(session_factory, grouped=False)
    group.run(_secret("once"))
    tries: list[int] = []

    def again(db: Session) -> str:
        tries.append(1)
        return _secret("once")(db)

    with pytest.raises(IntegrityError):
        group.run(again)
    assert len(tries) == 1
