"""Drafts created at once, each in its own thread and session: every one gets its own id."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import services
from accord.advisories.schemas import AdvisoryCreate
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import Conflict
from accord.identity import services as identity
from accord.identity.policy import SYSTEM
from tests.advisories.test_routes import DRAFT
from tests.factories import Factories

WRITERS = 24


def _at_once(count: int, work: object) -> tuple[list[str], list[str]]:
    """Run ``work(n)`` in ``count`` threads released together; its results and errors."""
    barrier = threading.Barrier(count)
    found: list[str] = []
    errors: list[str] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            found.append(work(n))  # type: ignore[operator]
        except Exception as exc:  # any failure is the test's finding
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return found, errors


def test_concurrent_drafts_get_distinct_consecutive_ids(
    session_factory: sessionmaker[Session], make: Factories
) -> None:
    slug = make.org("Acme")

    def draft(n: int) -> str:
        with unit_of_work(session_factory) as db:
            org = identity.get_org(db, slug)
            data = AdvisoryCreate.model_validate({**DRAFT, "summary": f"Issue {n}"})
            return services.create_draft(db, org=org, data=data, actor=SYSTEM).osv_id

    found, errors = _at_once(WRITERS, draft)
    assert errors == []
    prefix = f"{services.ID_PREFIX}-{utcnow().year}-"
    assert sorted(found) == [f"{prefix}{n:04d}" for n in range(1, WRITERS + 1)]


def test_concurrent_drafts_of_one_given_id_make_one_and_conflicts(
    session_factory: sessionmaker[Session], make: Factories
) -> None:
    slug = make.org("Acme")

    def draft(n: int) -> str:
        with unit_of_work(session_factory) as db:
            org = identity.get_org(db, slug)
            data = AdvisoryCreate.model_validate({**DRAFT, "id": "x_ACME-1"})
            return services.create_draft(db, org=org, data=data, actor=SYSTEM).osv_id

    found, errors = _at_once(8, draft)
    assert found == ["x_ACME-1"]
    assert len(errors) == 7
    assert all(e.startswith(f"{Conflict.__name__}: an advisory x_ACME-1 exists") for e in errors)


def test_drafts_are_numbered_under_the_hubs_prefix(
    session_factory: sessionmaker[Session], make: Factories, settings: Settings
) -> None:
    slug = make.org("Acme")
    hub = settings.model_copy(update={"advisory_id_prefix": "EXAMPLE"})
    with unit_of_work(session_factory) as db:
        org = identity.get_org(db, slug)
        data = AdvisoryCreate.model_validate(DRAFT)
        made = services.create_draft(
            db, org=org, data=data, actor=SYSTEM, prefix=services.id_prefix(hub)
        )
    assert made.osv_id == f"x_EXAMPLE-{utcnow().year}-0001"
    assert services.id_prefix(settings) == services.ID_PREFIX  # the default: x_ACCORD


def test_a_draft_under_way_does_not_hold_the_next_one_back(
    session_factory: sessionmaker[Session], make: Factories
) -> None:
    # Both read the same highest number; the second used to wait for the first's commit on
    # the unique index, then try again (drafts written together took turns).
    slug = make.org("Acme")
    prefix = f"{services.ID_PREFIX}-{utcnow().year}-"
    with session_factory() as first, session_factory() as second:
        if first.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite writers take turns on its one write lock before numbering")
        data = AdvisoryCreate.model_validate(DRAFT)
        made = services.create_draft(
            first, org=identity.get_org(first, slug), data=data, actor=SYSTEM
        )
        assert made.osv_id == f"{prefix}0001"
        second.execute(text("SET LOCAL lock_timeout = '1s'"))
        later = services.create_draft(
            second, org=identity.get_org(second, slug), data=data, actor=SYSTEM
        )
        assert later.osv_id == f"{prefix}0002"
        second.commit()
        first.commit()


def test_the_next_number_follows_the_highest_one_whatever_its_width(
    session_factory: sessionmaker[Session], make: Factories
) -> None:
    slug = make.org("Acme")
    prefix = f"{services.ID_PREFIX}-{utcnow().year}-"
    given = [f"{prefix}9999", f"{prefix}10000", f"{prefix}release-notes", f"{prefix}0042"]
    with unit_of_work(session_factory) as db:
        org = identity.get_org(db, slug)
        for osv_id in given:
            data = AdvisoryCreate.model_validate({**DRAFT, "id": osv_id})
            services.create_draft(db, org=org, data=data, actor=SYSTEM)
        made = services.create_draft(
            db, org=org, data=AdvisoryCreate.model_validate(DRAFT), actor=SYSTEM
        )
    assert made.osv_id == f"{prefix}10001"


def test_a_number_given_by_hand_with_more_zeros_does_not_stop_the_numbering(
    session_factory: sessionmaker[Session], make: Factories
) -> None:
    # An author may give any id, this prefix's included: "-00001" is longer than "-0042"
    # but a smaller number. Read as the highest, it had every later draft take "-0002", find
    # it taken, read again and give up ("too many drafts at once"), for the rest of the year.
    slug = make.org("Acme")
    prefix = f"{services.ID_PREFIX}-{utcnow().year}-"
    with unit_of_work(session_factory) as db:
        org = identity.get_org(db, slug)
        for osv_id in (f"{prefix}0001", f"{prefix}0002", f"{prefix}0042", f"{prefix}00001"):
            data = AdvisoryCreate.model_validate({**DRAFT, "id": osv_id})
            services.create_draft(db, org=org, data=data, actor=SYSTEM)
        made = services.create_draft(
            db, org=org, data=AdvisoryCreate.model_validate(DRAFT), actor=SYSTEM
        )
    assert made.osv_id == f"{prefix}0043"
