"""Many writers at once (threads, processes, two hub processes) make one linear log."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import make_sessionmaker, unit_of_work
from accord.transparency import services
from accord.transparency.audit import audit
from tests.transparency import children


def _check_linear(engine: Engine, settings: Settings, acks: list[tuple[int, bytes]]) -> None:
    with make_sessionmaker(engine, read_only=True)() as db:
        report = audit(db, settings=settings)
        children.assert_all_present(db, acks)
    # Every writer finished: each entry was acknowledged exactly once, with no gap.
    assert sorted(index for index, _ in acks) == list(range(report.size))


@pytest.mark.slow
def test_threads_append_one_linear_log(
    session_factory: sessionmaker[Session], settings: Settings, engine: Engine
) -> None:
    acks: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        for n in range(15):
            with unit_of_work(session_factory) as db:
                ref = services.append(
                    db,
                    settings=settings,
                    entry_type="test.thread",
                    subject_id=f"thread-{number}",
                    document={"thread": number, "n": n},
                )
            with lock:
                acks.append((ref.index, ref.leaf_hash))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(acks) == 90
    _check_linear(engine, settings, acks)


@pytest.mark.slow
def test_processes_append_one_linear_log(settings: Settings, engine: Engine) -> None:
    started = [children.start(settings, "--count", "10", "--seed", str(n)) for n in range(3)]
    acks = []
    for child in started:
        assert child.wait() == 0, child.stderr()
        acks.extend(child.acks)
    _check_linear(engine, settings, acks)


@pytest.mark.slow
def test_two_hub_processes_with_threads_on_one_database(settings: Settings, engine: Engine) -> None:
    # Two hub processes, each appending from several threads and reading its own
    # checkpoints back through the app: signatures and consistency checked as they go.
    started = [
        children.start(settings, "--hub", "--threads", "3", "--count", "5", "--seed", str(n))
        for n in range(2)
    ]
    acks = []
    for child in started:
        assert child.wait() == 0, child.stderr()
        acks.extend(child.acks)
    _check_linear(engine, settings, acks)
