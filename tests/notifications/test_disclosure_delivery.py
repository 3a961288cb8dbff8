"""Honest notifications: a case says "notified", "notification queued" or "notification
failed" from its deliveries' real state; without SMTP every mail fails once, for good, the
operators see a banner on every page and ``accord serve`` warns at start."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from accord.cli.admin import warn_without_mail
from accord.clock import utcnow
from accord.config import Settings
from accord.jobs.models import Job, JobState
from accord.notifications.services import EMAIL_KIND
from tests.disclosure.test_pages import Page
from tests.disclosure.world import World
from tests.factories import Factories, sign_in
from tests.notifications.conftest import SmtpServer, make_worker
from tests.notifications.test_mail import _smtp


def _delivery(client: TestClient, world: World) -> dict[str, str]:
    page = Page(client.get(f"/disclosure/cases/{world.case_id}").text)
    return {
        slug: page.text[f"vendor-{slug}"].rsplit(" ", 2)[-1] for slug in ("vendor-a", "vendor-b")
    }


def test_without_smtp_the_case_says_failed_not_notified(
    client: TestClient, make: Factories, settings: Settings, engine: Engine, db: Session
) -> None:
    assert not settings.smtp_host
    world = World.build(make)
    world.open_case(client)
    sign_in(client, world.people["coordinator"])
    html = client.get(f"/disclosure/cases/{world.case_id}").text
    assert "Vendor A notified" not in html
    assert "Vendor B notified" not in html
    assert "Vendor B invited" in html
    assert _delivery(client, world) == {"vendor-a": "queued", "vendor-b": "queued"}
    # Every mail is tried once and fails for good: no eight attempts per job. The worker runs
    # at one moment, after every job was queued: which jobs are due cannot change while it
    # runs (on the wall clock, a job due a little later became due, or not, by how long the
    # run took on a loaded machine).
    moment = utcnow()
    ran = make_worker(settings, engine).run_until_idle(now=moment)
    db.rollback()
    emails = list(db.scalars(select(Job).where(Job.kind == EMAIL_KIND)))
    assert emails
    assert all(job.run_at <= moment for job in db.scalars(select(Job)))
    assert ran == len(db.scalars(select(Job)).all())
    assert {(j.state, j.attempts) for j in emails} == {(JobState.DEAD, 1)}
    assert _delivery(client, world) == {"vendor-a": "failed", "vendor-b": "failed"}
    # The history's line says what became of the invitation, beside the signed summary.
    html = client.get(f"/disclosure/cases/{world.case_id}").text
    assert 'Vendor B invited <span class="muted delivery">(notification failed)</span>' in html


def test_a_delivered_invitation_says_notified(
    client: TestClient,
    make: Factories,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
) -> None:
    world = World.build(make)
    world.open_case(client)
    assert make_worker(_smtp(settings, smtp_server.port), engine).run_until_idle() > 0
    sign_in(client, world.people["coordinator"])
    assert _delivery(client, world) == {"vendor-a": "notified", "vendor-b": "notified"}


def test_operators_see_a_banner_while_no_mail_can_be_sent(
    client: TestClient, make: Factories, app: object, settings: Settings
) -> None:
    world = World.build(make)
    sign_in(client, world.people["coordinator"])
    assert "mail-banner" in client.get("/disclosure").text
    assert "ACCORD_SMTP_HOST" in Page(client.get("/").text).text["mail-banner"]
    client.cookies.clear()
    sign_in(client, world.people["vendor_a"])
    assert "mail-banner" not in client.get("/disclosure").text
    # With a server configured, no banner.
    configured = _smtp(settings, 2525)
    state = client.app.state  # type: ignore[attr-defined]
    state.settings, saved = configured, state.settings
    try:
        client.cookies.clear()
        sign_in(client, world.people["coordinator"])
        assert "mail-banner" not in client.get("/disclosure").text
    finally:
        state.settings = saved


def test_serve_warns_at_start_while_no_mail_can_be_sent(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    warn_without_mail(settings)
    assert "no SMTP server is configured" in capsys.readouterr().err
    warn_without_mail(_smtp(settings, 2525))
    assert capsys.readouterr().err == ""
