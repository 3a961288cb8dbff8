"""Admission's watch over parts being sent (``web.admission.Watch``): one timer a loop, not
one a part, and a part stuck sending is still given up, its slot with it."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from accord.config import Settings
from accord.web import admission as admission_module
from accord.web.admission import Admission


def _scope() -> Scope:
    return {"type": "http", "method": "POST", "path": "/write", "headers": []}


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"x"})


async def _collect(message: Message) -> None:
    pass


def _loop_counting_timers() -> tuple[asyncio.AbstractEventLoop, list[Any]]:
    """A new event loop and the callbacks of every timer made on it."""
    loop = asyncio.new_event_loop()
    timers: list[Any] = []
    original = loop.call_later

    def counting(delay: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
        timers.append(callback)
        return original(delay, callback, *args, **kwargs)

    loop.call_later = counting  # type: ignore[method-assign]
    return loop, timers


def test_answers_sent_take_no_timer_each(settings: Settings) -> None:
    admission = Admission(_answer, settings=settings)  # type: ignore[arg-type]
    loop, timers = _loop_counting_timers()

    async def scenario() -> None:
        for _ in range(50):
            await admission(_scope(), _no_body, _collect)

    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()
    assert len(timers) == 1  # the watch's, armed once while parts were being sent


def test_a_part_stuck_sending_is_given_up_within_a_quarter_more(settings: Settings) -> None:
    one = settings.model_copy(
        update={"max_writes_in_flight": 1, "request_queue_seconds": 5.0,
                "request_body_seconds": 0.4}
    )  # fmt: skip

    async def streamed(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x", "more_body": True})
        await send({"type": "http.response.body", "body": b"y"})

    admission = Admission(streamed, settings=one)  # type: ignore[arg-type]

    async def scenario() -> float:
        async def never_read(message: Message) -> None:
            if message["type"] == "http.response.body":
                await asyncio.Event().wait()

        started = time.monotonic()
        stuck = asyncio.create_task(admission(_scope(), _no_body, never_read))
        await asyncio.sleep(0.01)
        await asyncio.wait_for(admission(_scope(), _no_body, _collect), timeout=3.0)
        waited = time.monotonic() - started
        stuck.cancel()
        return waited

    waited = asyncio.run(scenario())
    assert 0.4 <= waited < 0.4 * 1.25 + 0.3  # the slot given up, not before its time


def _with_body() -> Scope:
    return {**_scope(), "headers": [(b"content-length", b"2")]}


async def _body() -> Message:
    return {"type": "http.request", "body": b"{}", "more_body": False}


async def _never() -> Message:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def test_bodies_received_take_no_timer_each(settings: Settings) -> None:
    admission = Admission(_answer, settings=settings)  # type: ignore[arg-type]
    loop, timers = _loop_counting_timers()
    sent: list[Message] = []

    async def keep(message: Message) -> None:
        sent.append(message)

    async def scenario() -> None:
        for _ in range(20):
            await admission(_with_body(), _body, keep)

    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()
    assert len(timers) <= 1
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [200] * 20


def test_a_body_late_is_answered_408_and_a_cancelled_request_stays_cancelled(
    settings: Settings,
) -> None:
    quick = settings.model_copy(update={"request_body_seconds": 0.2})
    admission = Admission(_answer, settings=quick)  # type: ignore[arg-type]

    async def late() -> tuple[list[Message], float]:
        sent: list[Message] = []

        async def keep(message: Message) -> None:
            sent.append(message)

        started = time.monotonic()
        await admission(_with_body(), _never, keep)
        return sent, time.monotonic() - started

    sent, waited = asyncio.run(late())
    assert sent[0]["status"] == 408
    assert 0.2 <= waited < 0.2 * 1.25 + 0.3

    async def cancelled() -> tuple[bool, list[Message]]:
        sent: list[Message] = []

        async def keep(message: Message) -> None:
            sent.append(message)

        task = asyncio.create_task(admission(_with_body(), _never, keep))
        await asyncio.sleep(0.05)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return True, sent
        return False, sent

    was_cancelled, sent = asyncio.run(cancelled())
    assert was_cancelled
    assert sent == []  # not answered 408: the cancellation was someone else's


def test_a_loop_never_gets_the_watch_of_a_loop_raced_on_another_thread(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two threads' loops serving one app: the first is held while it makes its watch, the
    # second makes its own meanwhile, then the first finishes. The second's next request must
    # still be watched on its own loop: another loop's watch times its parts on that loop's
    # thread, and once that loop is closed every request with a body failed there.
    admission = Admission(_answer, settings=settings)  # type: ignore[arg-type]
    making, go_on = threading.Event(), threading.Event()
    made = admission_module.Watch.__init__

    def held(watch: Any, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        if threading.current_thread().name == "first":
            making.set()
            go_on.wait(5)
        made(watch, loop, seconds)

    monkeypatch.setattr(admission_module.Watch, "__init__", held)

    async def watch_of_request() -> Any:
        return admission._size_threads()

    def first() -> None:
        asyncio.run(watch_of_request())

    thread = threading.Thread(target=first, name="first")
    thread.start()
    assert making.wait(5)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(watch_of_request())
        go_on.set()
        thread.join(5)
        assert loop.run_until_complete(watch_of_request()).loop is loop
        sent: list[Message] = []

        async def keep(message: Message) -> None:
            sent.append(message)

        loop.run_until_complete(admission(_with_body(), _body, keep))
        assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [200]
    finally:
        go_on.set()
        loop.close()
