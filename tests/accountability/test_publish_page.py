"""Publishing a progress report from the page: a preview first, periods before the signatory
joined refused beside the field with the words kept, and the operators' page's title plain."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import periods
from accord.accountability.models import ProgressReport
from accord.accountability.views import duration
from accord.clock import utcnow
from accord.db import unit_of_work
from accord.identity.models import MemberRole
from accord.identity.services import get_org
from accord.registry.models import AccordVersion, Signature
from tests.factories import Factories, csrf_of, sign_in

ENDED = "2026-Q1"


def _signed(factory: sessionmaker[Session], slug: str, when: datetime) -> None:
    with unit_of_work(factory) as db:
        version = db.scalar(select(AccordVersion).order_by(AccordVersion.number))
        if version is None:
            version = AccordVersion(number=1, title="The accord", text="...", published_by="t")
            db.add(version)
            db.flush()
        org = get_org(db, slug)
        db.add(
            Signature(
                organization_id=org.id,
                accord_version_id=version.id,
                signed_at=when,
                approved_by="test",
            )
        )


def _reports(factory: sessionmaker[Session]) -> int:
    with unit_of_work(factory) as db:
        return db.scalar(select(func.count(ProgressReport.id))) or 0


def test_preview_first_then_publish(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    slug = make.org("Acme")
    admin = make.user("acmeadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    _signed(session_factory, slug, datetime(2025, 6, 1, tzinfo=UTC))
    sign_in(client, admin)
    page = client.get(f"/orgs/{slug}/accountability")
    assert 'value="publish"' not in page.text  # the first step is the preview
    data = {
        "period": ENDED,
        "narrative": "We **answered** every report.",
        "commitments": "Answer within a week.",
        "csrf_token": csrf_of(page.text),
    }
    preview = client.post(
        f"/orgs/{slug}/accountability/publish", data={**data, "intent": "preview"}
    )
    assert preview.status_code == 200
    shown = preview.text.split('id="report-preview"')[1].split("</section>")[0]
    assert "<strong>answered</strong>" in shown
    assert "Answer within a week." in shown
    assert "/accountability/methods#" in shown  # the figures, each linked to its method
    assert 'value="publish"' in preview.text
    assert _reports(session_factory) == 0
    published = client.post(
        f"/orgs/{slug}/accountability/publish",
        data={**data, "intent": "publish"},
        follow_redirects=False,
    )
    assert published.status_code == 303
    assert _reports(session_factory) == 1


def test_a_period_before_the_signatory_joined_is_refused_beside_the_field(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    slug = make.org("Late Joiner")
    admin = make.user("lateadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    _signed(session_factory, slug, datetime(2026, 5, 10, tzinfo=UTC))
    sign_in(client, admin)
    page = client.get(f"/orgs/{slug}/accountability")
    for intent in ("preview", "publish"):
        refused = client.post(
            f"/orgs/{slug}/accountability/publish",
            data={
                "period": ENDED,
                "narrative": "Kept words",
                "intent": intent,
                "csrf_token": csrf_of(page.text),
            },
        )
        assert refused.status_code == 400
        error = re.search(r'id="period-error">([^<]+)<', refused.text)
        assert error is not None
        assert "before Late Joiner signed the accord" in error.group(1)
        assert "May 10, 2026, 12:00\u202fAM UTC" in error.group(1)  # the one time format
        assert "2026-05-10" not in error.group(1)
        assert "Kept words" in refused.text
    assert _reports(session_factory) == 0
    # The quarter it joined in ends after it signed: that one may be reported.
    allowed = client.post(
        f"/orgs/{slug}/accountability/publish",
        data={"period": "2026-Q2", "intent": "preview", "csrf_token": csrf_of(page.text)},
    )
    assert allowed.status_code in (200, 400)
    assert "signed the accord" not in allowed.text


def test_the_refusal_names_the_moment_in_the_readers_language_and_zone(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    slug = make.org("Tarde")
    admin = make.user("tardeadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    _signed(session_factory, slug, datetime(2026, 5, 10, 3, 30, tzinfo=UTC))
    sign_in(client, admin)
    client.cookies.set("accord_lang", "es")
    client.cookies.set("accord_tz", "Asia/Tokyo")
    page = client.get(f"/orgs/{slug}/accountability")
    refused = client.post(
        f"/orgs/{slug}/accountability/publish",
        data={"period": ENDED, "intent": "preview", "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 400
    error = re.search(r'id="period-error">([^<]+)<', refused.text)
    assert error is not None
    # 03:30 UTC is 12:30 in Tokyo; Spanish writes the month its way.
    assert "10 may 2026, 12:30 Asia/Tokyo" in error.group(1)
    assert "2026-05-10T" not in error.group(1)


def test_the_operators_page_title_is_plain_text(client: TestClient, make: Factories) -> None:
    sign_in(client, make.user("oper", operator=True))
    page = client.get("/admin/accountability").text
    title = page.split("<title>")[1].split("</title>")[0]
    assert "<" not in title
    assert "csrf" not in title
    assert page.count("Publish the hub report") == 1


def test_times_read_in_natural_units() -> None:
    assert duration(0.01, "en") == "36 seconds"
    assert duration(1.5, "en") == "90 minutes"
    assert duration(30, "en") == "30 hours"
    assert duration(1234.5, "en") == "7 weeks"
    assert duration(1234.5, "es") == "7 semanas"


def test_operators_forms_come_back_with_the_error_beside_the_field(
    client: TestClient, make: Factories
) -> None:
    sign_in(client, make.user("oper2", operator=True))
    page = client.get("/admin/accountability")
    token = csrf_of(page.text)
    excluded = client.post(
        "/admin/accountability/exclusions",
        data={"period": "2026-Q9", "reason": "Kept reason", "csrf_token": token},
    )
    assert excluded.status_code == 400
    assert 'id="period-error"' in excluded.text
    assert "Kept reason" in excluded.text
    assert 'value="2026-Q9"' in excluded.text
    future = client.post(
        "/admin/accountability/hub/publish",
        data={"period": "2999", "narrative": "Kept narrative", "csrf_token": token},
    )
    assert future.status_code == 400
    assert 'id="hub_period-error"' in future.text
    assert "Kept narrative" in future.text


@pytest.mark.parametrize(
    ("language", "words"),
    [("es", "terminó antes de que Late Joiner firmara el acuerdo"), ("ja", "協定に署名する前")],
)
def test_the_refusal_is_said_in_the_viewers_language(
    client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    language: str,
    words: str,
) -> None:
    slug = make.org("Late Joiner")
    admin = make.user("lateadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    _signed(session_factory, slug, datetime(2026, 5, 10, tzinfo=UTC))
    sign_in(client, admin)
    client.headers["Accept-Language"] = language
    page = client.get(f"/orgs/{slug}/accountability")
    refused = client.post(
        f"/orgs/{slug}/accountability/publish",
        data={"period": ENDED, "intent": "preview", "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 400
    error = re.search(r'id="period-error">([^<]+)<', refused.text)
    assert error is not None
    said = error.group(1)
    assert words in said
    assert ENDED in said  # the values, as they were
    # The day, written for the viewer (format_when), never as RFC 3339.
    assert "2026" in said
    assert "T00:00" not in said
    # No word of the English sentence is left, once the names and values are taken out.
    rest = said.replace("Late Joiner", "").lower()
    english = {"period", "ended", "before", "signed", "accord", "choose", "that", "ends", "after"}
    assert set(re.findall(r"[a-z]+", rest)) & english == set()


def _offered(page: str, field: str) -> list[str]:
    """The periods offered for the input ``field``: its datalist's options, in order."""
    found = re.search(rf'<input name="{field}"[^>]*\blist="([^"]+)"', page)
    assert found is not None, f"the {field} is only typed: no list offered"
    datalist = re.search(rf'<datalist id="{found.group(1)}">(.*?)</datalist>', page, flags=re.S)
    assert datalist is not None
    return re.findall(r'<option value="([^"]+)">', datalist.group(1))


def test_the_period_forms_offer_the_ended_periods(client: TestClient, make: Factories) -> None:
    now = utcnow()
    ended = [p.key for p in reversed(periods.recent(periods.PeriodKind.QUARTER, now, 8))]
    running = periods.of(periods.PeriodKind.QUARTER, now).key
    slug = make.org("Acme")
    admin = make.user("acmeadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    sign_in(client, admin)
    offered = _offered(client.get(f"/orgs/{slug}/accountability").text, "period")
    assert offered[:8] == ended  # the last ended quarter first
    assert running not in offered  # a running period cannot be reported
    assert periods.previous(periods.of(periods.PeriodKind.YEAR, now)).key in offered
    sign_in(client, make.user("oper", operator=True))
    admin_page = client.get("/admin/accountability").text
    assert _offered(admin_page, "period")[:8] == ended  # an exclusion's period
    assert 'list="periods" aria-describedby="hub_period-error"' in admin_page  # the hub report's
