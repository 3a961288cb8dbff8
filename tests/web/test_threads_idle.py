"""``loop_reads.threads_idle`` says whether the loop's worker threads are idle, as anyio's own
limiter says, looking the limiter up once per event loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import anyio
import pytest
from anyio import to_thread

from accord.web import loop_reads


def test_idle_until_a_thread_works_on_every_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[Any] = []
    original = to_thread.current_default_thread_limiter

    def counting() -> Any:
        looked_up.append(1)
        return original()

    monkeypatch.setattr(to_thread, "current_default_thread_limiter", counting)

    async def scenario() -> list[bool]:
        seen = [loop_reads.threads_idle()]
        started, release = threading.Event(), threading.Event()

        def work() -> None:
            started.set()
            release.wait(10)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(to_thread.run_sync, work)
            await to_thread.run_sync(started.wait, 10)
            seen.append(loop_reads.threads_idle())  # the waiting thread is back; work is not
            release.set()
        seen.append(loop_reads.threads_idle())
        return seen

    for _ in range(2):  # a second event loop has a pool (and a limiter) of its own
        looked_up.clear()
        assert asyncio.run(scenario()) == [True, False, True]
        assert len(looked_up) == 1
