"""Admission's watch over parts being sent (``web.admission.Watch``): one timer a loop, not
one a part, and a part stuck sending is still given up, its slot with it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from accord.config import Settings
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


def test_answers_sent_take_no_timer_each(settings: Settings) -> None:
    admission = Admission(_answer, settings=settings)  # type: ignore[arg-type]
    loop = asyncio.new_event_loop()
    timers: list[Any] = []
    original = loop.call_later

    def counting(delay: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
        timers.append(callback)
        return original(delay, callback, *args, **kwargs)

    loop.call_later = counting  # type: ignore[method-assign]

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
