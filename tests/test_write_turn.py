"""SQLite's write turn (``accord.db.WriteTurn``): a writer marked FIRST goes before the others
waiting, so the log's cadence is not kept out by a steady stream of writers."""

from __future__ import annotations

import threading
import time
from typing import Any

from accord.db import FIRST, WriteTurn


class _Connection:
    """What WriteTurn.begin reads of a connection, and what checkin reads of its record."""

    def __init__(self, **options: bool) -> None:
        self.options, self.info = options, {}

    def get_execution_options(self) -> dict[str, bool]:
        return self.options

    def exec_driver_sql(self, _sql: str) -> None:
        pass


def _wait_until(condition: Any) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_a_first_writer_goes_before_the_writers_that_came_earlier() -> None:
    turn = WriteTurn(30)
    holder = _Connection()
    turn.begin(holder)
    order: list[str] = []

    def write(name: str, connection: _Connection) -> None:
        turn.begin(connection)
        order.append(name)
        turn.checkin(None, connection)

    plain = threading.Thread(target=write, args=("plain", _Connection()))
    plain.start()
    time.sleep(0.05)  # the plain writer waits for the lock
    first = threading.Thread(target=write, args=("first", _Connection(**{FIRST: True})))
    first.start()
    _wait_until(lambda: turn._first == 1)
    late = threading.Thread(target=write, args=("late", _Connection()))
    late.start()
    time.sleep(0.05)
    turn.checkin(None, holder)
    for thread in (plain, first, late):
        thread.join(30)
    # The plain writer already waiting on the lock may win it first; the one that came after
    # the FIRST writer waits for it.
    assert order.index("first") < order.index("late")
    assert sorted(order) == ["first", "late", "plain"]
