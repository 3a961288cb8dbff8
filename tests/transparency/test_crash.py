"""SIGKILL a process that appends in a loop, many times: nothing acknowledged is lost.

After each kill the log must still hold together (the audit rebuilds it from its entries and
checks every tile, record and checkpoint, each checkpoint consistent with the next), and
every append that was acknowledged (printed after its commit) must be there.
"""

from __future__ import annotations

import random
import signal
import time

import pytest
from sqlalchemy import Engine

from accord.config import Settings
from accord.db import make_sessionmaker
from accord.transparency.audit import audit
from tests.transparency import children

ROUNDS = 8


@pytest.mark.slow
def test_sigkill_while_appending_loses_nothing_acknowledged(
    settings: Settings, engine: Engine
) -> None:
    rng = random.Random(20261122)
    acked: list[tuple[int, bytes]] = []
    reader = make_sessionmaker(engine, read_only=True)
    sizes = []
    for round_number in range(ROUNDS):
        child = children.start(settings, "--seed", str(round_number))
        assert child.first_ack.wait(60), child.stderr()
        # Kill at a random moment (mostly inside a transaction, as appends fill the time).
        time.sleep(rng.uniform(0.0, 0.4))
        child.process.send_signal(signal.SIGKILL)
        assert child.wait() == -signal.SIGKILL, child.errors
        acked.extend(child.acks)
        with reader() as db:
            report = audit(db, settings=settings)
            children.assert_all_present(db, acked)
        assert report.size >= max(index for index, _ in acked) + 1
        sizes.append(report.size)
    assert sizes == sorted(sizes)
    assert len(acked) > ROUNDS


@pytest.mark.slow
def test_sigkill_during_batched_publication_loses_nothing_acknowledged(
    settings: Settings, engine: Engine
) -> None:
    """The cadence: publications commit without their checkpoint, signed every 0.2 s by a
    thread of the same process. A kill leaves entries waiting: they are all there, and the
    next checkpoint (signed after the restart) is consistent with every one signed before."""
    from accord.db import unit_of_work
    from accord.transparency import published, services
    from accord.transparency.note import Checkpoint, split_note

    rng = random.Random(20261206)
    acked: list[tuple[int, bytes]] = []
    sessions = make_sessionmaker(engine)
    waiting = []
    for round_number in range(ROUNDS):
        child = children.start(settings, "--seed", str(100 + round_number), "--interval", "0.2")
        assert child.first_ack.wait(60), child.stderr()
        time.sleep(rng.uniform(0.1, 0.6))
        child.process.send_signal(signal.SIGKILL)
        assert child.wait() == -signal.SIGKILL, child.errors
        acked.extend(child.acks)
        with unit_of_work(sessions) as db:
            report = audit(db, settings=settings)  # the entries waiting included
            children.assert_all_present(db, acked)
            waiting.append(services.pending(db))
        assert report.size >= max(index for index, _ in acked) + 1
        # The restarted hub signs what waits: one checkpoint, extending every earlier one.
        with unit_of_work(sessions) as db:
            checkpoint = services.sign_latest(db, settings=settings)
        assert checkpoint.size == report.size
        with unit_of_work(sessions) as db:
            after = audit(db, settings=settings)
            assert (after.size, after.root_hash) == (report.size, checkpoint.root_hash)
            assert services.pending(db) == 0
        kept = Checkpoint.parse(split_note(published.path(settings).read_text())[0])
        assert (kept.size, kept.root_hash) == (checkpoint.size, checkpoint.root_hash)
    # The kills did land between a publication and its checkpoint (or the test proves little).
    assert any(waiting), waiting


@pytest.mark.slow
def test_sigkill_during_grouped_publication_loses_nothing_acknowledged(
    settings: Settings, engine: Engine
) -> None:
    """Eight threads publish through one group commit (the entries after each transaction's
    first written in one statement before its commit), under the cadence: a kill loses
    nothing acknowledged, leaves no hole, and the next checkpoint extends the ones before."""
    from accord.db import unit_of_work
    from accord.transparency import services

    rng = random.Random(20261207)
    acked: list[tuple[int, bytes]] = []
    sessions = make_sessionmaker(engine)
    for round_number in range(ROUNDS // 2):
        child = children.start(
            settings,
            *("--seed", str(200 + round_number), "--interval", "0.2"),
            *("--grouped", "--threads", "8"),
        )
        assert child.first_ack.wait(60), child.stderr()
        time.sleep(rng.uniform(0.1, 0.6))
        child.process.send_signal(signal.SIGKILL)
        assert child.wait() == -signal.SIGKILL, child.errors
        acked.extend(child.acks)
        with unit_of_work(sessions) as db:
            report = audit(db, settings=settings)  # rebuilt from the entries: no hole
            children.assert_all_present(db, acked)
        assert report.size >= max(index for index, _ in acked) + 1
        with unit_of_work(sessions) as db:
            checkpoint = services.sign_latest(db, settings=settings)
        assert checkpoint.size == report.size
    # Acknowledged indexes are distinct: no two publications were handed one index.
    assert len({index for index, _ in acked}) == len(acked)
