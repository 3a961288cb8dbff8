"""A refused client is told to wait longer the more were refused of late, spread so that they
do not come back in the same second: at 1,000 connections a fixed Retry-After of one second
brought every refused client back each second, and the event loop spent itself refusing them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from types import SimpleNamespace

import pytest
from starlette.types import Message, Scope

from accord.config import Settings
from accord.web import backoff as backoff_module
from accord.web.admission import Admission
from accord.web.backoff import Backoff


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    found = _Clock()
    monkeypatch.setattr(backoff_module, "time", SimpleNamespace(monotonic=found.monotonic))
    return found


def test_a_few_refusals_are_told_one_second(clock: _Clock) -> None:
    backoff = Backoff(per_second=100)
    for _ in range(5):
        assert {backoff.retry_after() for _ in range(80)} == {1}
        clock.now += 1.0


def test_many_refusals_spread_the_waits_evenly_and_a_quiet_spell_ends_it(clock: _Clock) -> None:
    """1,000 refused in a second at 100 a second: the next are told 1 to 10 s, as many each;
    while they keep coming the spread holds; a quiet spell brings the wait back to 1 s."""
    backoff = Backoff(per_second=100, longest=30)
    assert {backoff.retry_after() for _ in range(1000)} == {1}  # the first second: not known yet
    clock.now += 1.0
    told = Counter(backoff.retry_after() for _ in range(1000))
    assert sorted(told) == list(range(1, 11))
    assert set(told.values()) == {100}
    clock.now += 1.0
    # Told 1 to 10 s, the 1,000 come back at 100 a second (the returns of the second before
    # included): the spread stays about the same rather than falling back to one second.
    for _ in range(10):
        told = Counter(backoff.retry_after() for _ in range(100))
        clock.now += 1.0
    assert 5 <= max(told) <= 30
    clock.now += 31.0
    assert backoff.retry_after() == 1


def test_the_wait_told_is_never_past_the_longest(clock: _Clock) -> None:
    backoff = Backoff(per_second=10, longest=30)
    for _ in range(3):
        for _ in range(10_000):
            assert 1 <= backoff.retry_after() <= 30
        clock.now += 1.0


def test_admission_tells_a_refused_client_to_wait_longer_under_many_refusals(
    settings: Settings, clock: _Clock
) -> None:
    """No line and its one write slot taken: every other write is refused 503 at once, and
    after a second of thousands of refusals they are told 1 to 3 seconds in turn."""
    one = settings.model_copy(update={"max_writes_in_flight": 1, "max_requests_queued": 0})

    async def held(scope: Scope, receive: object, send: object) -> None:
        await asyncio.Event().wait()

    admission = Admission(held, settings=one)  # type: ignore[arg-type]
    scope: Scope = {"type": "http", "method": "POST", "path": "/write", "headers": []}

    async def no_body() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def scenario() -> list[tuple[str, bytes | None]]:
        stuck = asyncio.create_task(admission(dict(scope), no_body, _ignore))
        await asyncio.sleep(0)
        waits: list[tuple[str, bytes | None]] = []

        async def collect(message: Message) -> None:
            if message["type"] == "http.response.start":
                assert message["status"] == 503
                headers = dict(message["headers"])
                waits.append((headers[b"retry-after"].decode(), headers.get(b"connection")))

        for second in range(2):
            for _ in range(2000):
                await admission(dict(scope), no_body, collect)
            clock.now += 1.0 if second == 0 else 0.0
        stuck.cancel()
        return waits

    waits = asyncio.run(scenario())
    assert len(waits) == 4000  # every refusal carries a Retry-After
    assert set(waits[:2000]) == {("1", None)}
    # Told 1 to 3 s in turn: under uvicorn's keep-alive timeout, the client keeps its
    # connection (none is closed) for its next request.
    assert Counter(w for w, _ in waits[2000:]) == {"1": 667, "2": 667, "3": 666}
    assert {closed for _, closed in waits} == {None}


async def _ignore(message: Message) -> None:
    return None
