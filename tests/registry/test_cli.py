"""``accord registry check-securitytxt`` against the test database (in this process; the
terminal-language case as a real process, as a person runs it)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.jobs.models import Job
from accord.registry.models import SecurityTxtCheck
from tests.cli.here import Ran, accord_here
from tests.cli.test_cli import accord
from tests.factories import Factories
from tests.registry.helpers import reread, set_security_txt_url
from tests.registry.samples import security_txt
from tests.registry.servers import Route, StaticServer

# The checks reach the suite's local server: plain HTTP on 127.0.0.1.
LOCAL = {
    "ACCORD_SECURITYTXT_ALLOW_HTTP": "true",
    "ACCORD_OUTBOUND_ALLOW_PRIVATE_ADDRESSES": "true",
    "ACCORD_OUTBOUND_TIMEOUT_SECONDS": "2",
}


def accord_cli(settings: Settings, *args: str) -> Ran:
    return accord_here(settings, *args, env=LOCAL)


@pytest.fixture
def two_orgs(
    make: Factories, session_factory: sessionmaker[Session], http_server: StaticServer
) -> tuple[str, str]:
    good = http_server.route("/good.txt", Route(security_txt().encode()))
    first, second = make.org("Acme"), make.org("Bolt")
    set_security_txt_url(session_factory, first, good)
    set_security_txt_url(session_factory, second, http_server.url("/missing.txt"))
    return first, second


def test_check_one_organization(settings: Settings, two_orgs: tuple[str, str], db: Session) -> None:
    done = accord_cli(settings, "registry", "check-securitytxt", two_orgs[0])
    # Served over plain HTTP: a finding, so the exit status says "problems".
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("acme: problems (1 error, 1 warning)")
    assert "error: not served over HTTPS" in done.stdout
    assert "warning: the file carries no OpenPGP cleartext signature" in done.stdout
    reread(db)
    row = db.scalars(select(SecurityTxtCheck)).one()
    assert row.requested_by == "system"
    assert row.fields["Contact"] == ["mailto:security@example.com"]


def test_check_all_organizations(
    settings: Settings, two_orgs: tuple[str, str], db: Session
) -> None:
    done = accord_cli(settings, "registry", "check-securitytxt", "--all")
    assert done.returncode == 1
    lines = [line for line in done.stdout.splitlines() if not line.startswith(" ")]
    assert [line.split(":")[0] for line in lines] == ["acme", "bolt"]
    assert "the server answered HTTP 404" in done.stdout
    reread(db)
    assert len(db.scalars(select(SecurityTxtCheck)).all()) == 2


@pytest.mark.parametrize("args", [(), ("acme", "--all")], ids=["neither", "both"])
def test_slug_or_all_but_not_both(settings: Settings, args: tuple[str, ...]) -> None:
    done = accord_cli(settings, "registry", "check-securitytxt", *args)
    assert done.returncode == 2
    assert "SLUG or --all" in done.stderr


def test_unknown_organization_is_one_line(settings: Settings, engine: object) -> None:
    done = accord_cli(settings, "registry", "check-securitytxt", "nobody")
    assert done.returncode == 1
    assert done.stderr.strip() == "error: no organization 'nobody'"
    assert "Traceback" not in done.stderr


def test_schedule_checks_queues_the_repeating_job(settings: Settings, db: Session) -> None:
    done = accord_cli(settings, "registry", "schedule-checks", "--every", "1440")
    assert done.returncode == 0, done.stderr
    assert "(registry.checks)" in done.stdout
    assert "then every 1,440 minutes" in done.stdout
    reread(db)
    job = db.scalars(select(Job).where(Job.kind == "registry.checks")).one()
    assert job.payload == {"every_minutes": 1440}
    again = accord_cli(settings, "registry", "schedule-checks", "--every", "60")
    # Already queued: the same job, with its own interval.
    assert f"queued job {job.id} " in again.stdout
    assert "then every 1,440 minutes" in again.stdout


def test_the_findings_are_said_in_the_terminals_language(
    settings: Settings, two_orgs: tuple[str, str]
) -> None:
    done = accord(
        settings, "registry", "check-securitytxt", two_orgs[0],
        env={**LOCAL, "LANG": "ja_JP.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    findings = [line.strip() for line in done.stdout.splitlines() if line.startswith(" ")]
    # The severity in words, the sentence by its code, the English record after it.
    assert any(
        line.startswith("警告: ファイルに OpenPGP のクリアテキスト署名がありません")
        and "(the file carries no OpenPGP cleartext signature" in line
        for line in findings
    ), findings
    assert all(line.split(": ")[0] in ("エラー", "警告") for line in findings), findings
