"""Case ids under concurrency: reports opened at once, each in its own transaction (its own
connection: real concurrent transactions on PostgreSQL, queued writers on SQLite), get
distinct, consecutive ACCORD-YYYY-NNNN ids; a transaction that fails gives its number back."""

from __future__ import annotations

import threading

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.disclosure import cases, reports
from accord.disclosure.models import DisclosureCase
from accord.disclosure.schemas import ReportCreate
from accord.identity.policy import SYSTEM
from accord.identity.ratelimit import RateLimiter
from tests.disclosure.world import REPORT
from tests.factories import Factories

THREADS = 8


class Boom(Exception):
    """A failure after the number was taken."""


def _reports(make: Factories, settings: Settings, limiter: RateLimiter, count: int) -> list[str]:
    make.org("Vendor A")
    data = ReportCreate.model_validate(REPORT)
    with unit_of_work(make.factory) as db:
        return [
            reports.submit(
                db, data=data, uploads=[], settings=settings, limiter=limiter
            ).case.public_id
            for _ in range(count)
        ]


def _open_at_once(
    factory: sessionmaker[Session], settings: Settings, public_ids: list[str], fail: set[str]
) -> tuple[list[str], list[BaseException]]:
    barrier = threading.Barrier(len(public_ids))
    refs: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def opener(public_id: str) -> None:
        try:
            barrier.wait()
            with unit_of_work(factory) as db:
                access = cases.load(db, public_id, actor=SYSTEM, settings=settings, for_update=True)
                case = cases.open_case(db, access=access, actor=SYSTEM, settings=settings)
                ref = case.ref
                assert ref is not None
                if public_id in fail:
                    raise Boom(ref)
            with lock:
                refs.append(ref)
        except BaseException as exc:  # reported to the test thread
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=opener, args=(p,)) for p in public_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return refs, errors


@pytest.mark.slow
def test_cases_opened_at_once_get_distinct_consecutive_ids(
    app: FastAPI,
    make: Factories,
    settings: Settings,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    limiter: RateLimiter = app.state.limiter
    public_ids = _reports(make, settings, limiter, THREADS)
    # Two of them fail after taking a number: theirs go back with the rollback.
    failing = set(public_ids[:2])
    refs, errors = _open_at_once(session_factory, settings, public_ids, failing)
    assert [type(e) for e in errors] == [Boom, Boom], errors
    year = utcnow().year
    expected = [f"ACCORD-{year}-{n:04d}" for n in range(1, THREADS - 1)]
    assert sorted(refs) == expected
    db.rollback()
    stored = db.scalars(
        select(DisclosureCase.ref).where(DisclosureCase.ref.is_not(None)).order_by("ref")
    ).all()
    assert stored == expected
    # The two that failed are still reports, and open with the next numbers.
    refs, errors = _open_at_once(session_factory, settings, sorted(failing), set())
    assert errors == []
    assert sorted(refs) == [f"ACCORD-{year}-{n:04d}" for n in (THREADS - 1, THREADS)]
