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
