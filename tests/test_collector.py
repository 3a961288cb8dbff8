"""The look-up's pause of the garbage collector: counted across threads, and bounded."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from accord import collector


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def _cycle() -> weakref.ref[_Node]:
    return weakref.ref(_Node())


def test_nested_pauses_leave_the_collector_as_they_found_it() -> None:
    paused = collector.Paused(_Clock())
    with paused:
        assert not gc.isenabled()
        with paused:
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_that_found_the_collector_off_leaves_it_off() -> None:
    gc.disable()
    with collector.Paused(_Clock()):
        pass
    assert not gc.isenabled()


def test_overlapping_pauses_still_collect_cycles_once_the_interval_passes() -> None:
    clock = _Clock()
    paused = collector.Paused(clock)
    paused.__enter__()  # a look-up that holds the pause while others come and go
    garbage = _cycle()
    with paused:
        pass
    assert garbage() is not None, "within the interval nothing is collected"
    clock.now += collector.COLLECT_EVERY_SECONDS
    with paused:
        pass
    assert garbage() is None, "a pause held past the interval collected the young cycles"
    assert not gc.isenabled()
    paused.__exit__(None, None, None)
    assert gc.isenabled()
