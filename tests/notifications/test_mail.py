"""Email notices against a real SMTP server (aiosmtpd), through the job worker."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.disclosure import timezones
from accord.identity.models import Organization, User
from accord.identity.policy import SYSTEM
from accord.jobs import services as jobs
from accord.jobs.models import Job, JobState
from accord.notifications import mail
from accord.notifications.services import EMAIL_KIND, Notice, notify
from accord.web.i18n import Viewer, format_when
from tests.factories import Factories, Person
from tests.jobs.test_worker import LATER
from tests.notifications.conftest import (
    SMTP_PASSWORD,
    SMTP_USER,
    SmtpServer,
    free_port,
    make_worker,
)


def _smtp(
    settings: Settings, port: int, *, password: str = SMTP_PASSWORD, **extra: object
) -> Settings:
    values = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "smtp_username": SMTP_USER,
        "smtp_from": "Accord hub <hub@accord.example>",
        "smtp_password": password,  # validated into a SecretStr, as the variable would be
        **extra,
    }
    return Settings.model_validate({**settings.model_dump(), **values})


def _ids(factory: sessionmaker[Session], *usernames: str) -> tuple[int, ...]:
    with factory() as db:
        users = db.scalars(select(User).where(User.username.in_(usernames)))
        found = {u.username: u.id for u in users}
    return tuple(found[name] for name in usernames)


def _org_id(factory: sessionmaker[Session], slug: str) -> int:
    with factory() as db:
        org_id: int = db.scalars(select(Organization.id).where(Organization.slug == slug)).one()
    return org_id


NOTICE = {
    "kind": "case.vendor_invited",
    "subject": "You are invited to case ACCORD-2026-0001",
    "text": "A coordinator invited your organization to a case.",
    "link": "/cases/ACCORD-2026-0001",
}


def test_a_notice_reaches_every_address_once(
    settings: Settings,
    engine: Engine,
    make: Factories,
    session_factory: sessionmaker[Session],
    smtp_server: SmtpServer,
    db: Session,
) -> None:
    for name in ("ann", "ben", "cat", "dan"):
        make.user(name)
    vendor = make.org("Vendor")
    for name in ("ben", "cat", "dan"):
        make.member(Person(name), vendor)
    with unit_of_work(session_factory) as s:
        s.execute(update(User).where(User.username == "dan").values(is_active=False))
    ann, ben = _ids(session_factory, "ann", "ben")
    config = _smtp(settings, smtp_server.port)
    with unit_of_work(session_factory) as s:
        notify(
            s,
            settings=config,
            notice=Notice(
                **NOTICE,
                user_ids=(ann, ben),
                org_ids=(_org_id(session_factory, vendor),),
                emails=("reporter@example.net", "ANN@example.org"),
            ),
        )
    assert make_worker(config, engine).run_until_idle() == 4
    received = smtp_server.mailbox.received
    assert sorted(r for rcpts, _ in received for r in rcpts) == [
        "ann@example.org",
        "ben@example.org",
        "cat@example.org",
        "reporter@example.net",
    ]
    assert smtp_server.mailbox.logins == [SMTP_USER] * 4
    jobs_by_to = {j.payload["to"]: j for j in db.scalars(select(Job))}
    for rcpts, message in received:
        assert message["Subject"] == NOTICE["subject"]
        assert message["From"] == "Accord hub <hub@accord.example>"
        assert message["To"] == rcpts[0]
        assert message["Auto-Submitted"] == "auto-generated"
        delivery = jobs_by_to[rcpts[0]].payload["delivery_id"]
        assert message["Message-ID"] == f"<{delivery}@accord.example>"
        body = message.get_content()
        assert NOTICE["text"] in body
        assert "http://testserver/cases/ACCORD-2026-0001" in body
    assert {j.state for j in jobs_by_to.values()} == {JobState.DONE}


def test_nothing_is_sent_when_the_callers_change_rolls_back(
    settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    smtp_server: SmtpServer,
) -> None:
    config = _smtp(settings, smtp_server.port)

    def failing_change() -> None:
        with unit_of_work(session_factory) as s:
            notify(s, settings=config, notice=Notice(**NOTICE, emails=("a@example.net",)))
            raise RuntimeError("the case could not be saved")

    with pytest.raises(RuntimeError):
        failing_change()
    assert make_worker(config, engine).run_until_idle() == 0
    assert smtp_server.mailbox.received == []


def test_an_unreachable_server_keeps_the_mail_queued_then_dead_then_an_operator_retries(
    settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    smtp_server: SmtpServer,
    db: Session,
) -> None:
    broken = _smtp(settings, free_port(), job_max_attempts=2)  # nothing listens there
    with unit_of_work(session_factory) as s:
        notify(s, settings=broken, notice=Notice(**NOTICE, emails=("a@example.net",)))
    worker = make_worker(broken, engine)
    assert worker.run_once()
    db.rollback()
    job = db.scalars(select(Job).where(Job.kind == EMAIL_KIND)).one()
    assert job.state is JobState.FAILED
    assert "ConnectionRefusedError" in (job.last_error or "")
    assert job.run_at > utcnow() - LATER
    assert worker.run_once(now=utcnow() + LATER)
    db.rollback()
    db.refresh(job)
    assert (job.state, job.attempts) == (JobState.DEAD, 2)
    assert [j.id for j in jobs.list_jobs(db, state=JobState.DEAD)] == [job.id]
    assert smtp_server.mailbox.received == []

    # The operator fixes the configuration and retries: the same mail goes out.
    with unit_of_work(session_factory) as s:
        jobs.retry(s, job_id=job.id, actor=SYSTEM)
    assert make_worker(_smtp(settings, smtp_server.port), engine).run_until_idle() == 1
    assert [rcpts for rcpts, _ in smtp_server.mailbox.received] == [["a@example.net"]]


def test_a_wrong_password_fails_for_good_at_once_without_revealing_the_password(
    settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    smtp_server: SmtpServer,
    db: Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = "wrong-password-kept-secret"
    config = _smtp(settings, smtp_server.port, password=wrong)
    assert wrong not in repr(config)
    assert wrong not in str(config.model_dump())
    with unit_of_work(session_factory) as s:
        notify(s, settings=config, notice=Notice(**NOTICE, emails=("a@example.net",)))
    with caplog.at_level(logging.DEBUG):
        assert make_worker(config, engine).run_once()
    db.rollback()
    job = db.scalars(select(Job)).one()
    # Retrying a refused login cannot help: dead after one attempt, not eight.
    assert (job.state, job.attempts) == (JobState.DEAD, 1)
    assert "SMTPAuthenticationError" in (job.last_error or "")
    assert wrong not in (job.last_error or "")
    assert wrong not in caplog.text
    assert "SMTPAuthenticationError" in caplog.text
    assert smtp_server.mailbox.received == []


def test_without_an_smtp_server_configured_the_mail_fails_for_good_at_once(
    settings: Settings, engine: Engine, session_factory: sessionmaker[Session], db: Session
) -> None:
    assert not settings.smtp_host
    with unit_of_work(session_factory) as s:
        notify(s, settings=settings, notice=Notice(**NOTICE, emails=("a@example.net",)))
    assert make_worker(settings, engine).run_once()
    db.rollback()
    job = db.scalars(select(Job)).one()
    assert (job.state, job.attempts) == (JobState.DEAD, 1)
    assert job.last_error == (
        "PermanentFailure: MailNotConfigured: no SMTP server is configured (ACCORD_SMTP_HOST)"
    )


def test_an_address_that_is_not_one_fails_for_good_without_reaching_the_server(
    settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    smtp_server: SmtpServer,
    db: Session,
) -> None:
    config = _smtp(settings, smtp_server.port)
    with unit_of_work(session_factory) as s:
        notify(s, settings=config, notice=Notice(**NOTICE, emails=("call me on 555",)))
    assert make_worker(config, engine).run_once()
    db.rollback()
    job = db.scalars(select(Job)).one()
    assert (job.state, job.attempts) == (JobState.DEAD, 1)
    assert "not an email address" in (job.last_error or "")
    assert smtp_server.mailbox.received == []


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("a@example.net", True),
        ("root@localhost", True),
        ("call me on 555", False),
        ("a@example.net, b@example.net", False),
        ("Ann <a@example.net>", False),
        ("@example.net", False),
        ("a@", False),
    ],
)
def test_is_address(value: str, ok: bool) -> None:
    assert mail.is_address(value) is ok


def test_a_notice_must_link_to_a_path_on_the_hub(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        for link in ("https://evil.example/x", "//evil.example/x", ""):
            with pytest.raises(ValueError, match="path on the hub"):
                notify(s, settings=settings, notice=Notice(**{**NOTICE, "link": link}))


def test_a_moment_in_an_email_is_written_in_each_readers_saved_zone(
    settings: Settings,
    engine: Engine,
    make: Factories,
    session_factory: sessionmaker[Session],
    smtp_server: SmtpServer,
) -> None:
    for name in ("eva", "fay"):
        make.user(name)
    eva, fay = _ids(session_factory, "eva", "fay")
    with unit_of_work(session_factory) as s:
        timezones.set_preference(s, user_id=eva, name="America/Mexico_City")
    moment = datetime(2027, 1, 14, 16, 0, tzinfo=UTC)
    config = _smtp(settings, smtp_server.port)
    with unit_of_work(session_factory) as s:
        notify(
            s,
            settings=config,
            notice=Notice(
                **{**NOTICE, "text": "Publication is due at 2027-01-14T16:00:00Z."},
                user_ids=(eva, fay),
                emails=("reporter@example.net",),
            ),
        )
    assert make_worker(config, engine).run_until_idle() == 3
    bodies = {rcpts[0]: message.get_content() for rcpts, message in smtp_server.mailbox.received}
    mexico = format_when(moment, Viewer(zone="America/Mexico_City"))
    assert mexico.endswith("10:00\u202fAM America/Mexico_City")
    assert f"Publication is due at {mexico}." in bodies["eva@example.org"]
    utc = format_when(moment, Viewer())
    assert f"Publication is due at {utc}." in bodies["fay@example.org"]
    assert f"Publication is due at {utc}." in bodies["reporter@example.net"]
    assert all("2027-01-14T16" not in body for body in bodies.values())
