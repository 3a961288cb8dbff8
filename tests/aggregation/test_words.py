"""The aggregator's pages say a provider's status, its last pass and each refusal in the
viewer's language, the stored English record beside each as its technical detail; the
command line says what it queued in the terminal's language."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from accord.aggregation import checks
from accord.aggregation.models import CsafFailure, CsafProvider, CsafRun
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import say
from accord.i18n import translations
from accord.web import i18n
from tests.cli.test_cli import accord
from tests.factories import Factories

RECORD = "https://psirt.example/2024/x.json: 1073741824 bytes; the limit is 200000"


def _provider(sessions: sessionmaker[Session]) -> tuple[int, int]:
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with unit_of_work(sessions) as db:
        broken = CsafProvider(metadata_url="https://down.example/provider-metadata.json",
                              slug="down-example", last_status="failed", last_run_at=at,
                              last_message="no provider metadata found: down.example")  # fmt: skip
        read = CsafProvider(metadata_url="https://psirt.example/provider-metadata.json",
                            slug="psirt-example", name="PSIRT", last_status="failures",
                            last_run_at=at, last_message="9 listed, 3 stored")  # fmt: skip
        db.add_all([broken, read])
        db.flush()
        run = CsafRun(provider_id=read.id, started_at=at, finished_at=at, listed=9, failed=1,
                      message="4 more to read in the next pass")  # fmt: skip
        db.add(run)
        db.flush()
        db.add(CsafFailure(provider_id=read.id, run_id=run.id, url=RECORD.split(":")[0] + ":x",
                           code="too_large", reason=RECORD, at=at))  # fmt: skip
        return broken.id, read.id


def test_the_providers_pages_speak_the_viewers_language(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    _, read = _provider(session_factory)
    make.session(client, make.user(operator=True))
    client.cookies.set(i18n.LANGUAGE_COOKIE, "ja")
    listing = client.get("/admin/csaf-providers").text
    assert "フィードを読み取れませんでした" in listing  # "failed", said
    assert "一部の文書を拒否しました" in listing  # "failures", said
    assert "9 listed, 3 stored" not in listing  # the English summary: said as a status
    assert '<span class="muted wrap" lang="en">no provider metadata found' in listing
    # No column claims UTC above times shown in the viewer's zone (the footer names the zone).
    assert "(UTC)" not in listing.split("<footer")[0]
    detail = client.get(f"/admin/csaf-providers/{read}").text
    assert "ファイルが上限より大きいです。" in detail
    assert f'<span class="wrap" lang="en">{RECORD}</span>' in detail  # the record, beside
    assert "4 more to read" not in detail
    assert "次のパスであと 4 件" in detail
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    english = client.get(f"/admin/csaf-providers/{read}").text
    assert "The file is larger than the limit." in english
    assert "4 more to read in the next pass" in english


def test_the_command_line_says_what_it_queued_in_the_terminals_language(
    settings: Settings,
) -> None:
    done = accord(settings, "aggregation", "schedule", "--every", "90", env={"LANGUAGE": "ja"})
    assert done.returncode == 0, done.stderr
    assert "をキューに入れました (aggregation.schedule)" in done.stdout
    assert "90 分ごと" in done.stdout
    english = accord(settings, "aggregation", "schedule", env={"LANGUAGE": "en"})
    assert english.stdout.startswith("queued job ")


def test_a_failed_csaf_test_is_said_in_the_readers_language() -> None:
    title, detail = "Missing Definition of Product ID", "CSAFPID-9 is not defined"
    failure = checks.Failure(test="6.1.1", title=title, path="/vulnerabilities/0", message=detail)
    english = failure.describe()
    assert english == (
        "CSAF mandatory test 6.1.1 (Missing Definition of Product ID) failed at "
        "/vulnerabilities/0: CSAFPID-9 is not defined"
    )
    japanese = say(english, translations("ja").gettext)
    assert japanese.startswith("CSAF 必須テスト 6.1.1 (Missing Definition of Product ID) が")
    assert "/vulnerabilities/0" in japanese
    assert "CSAFPID-9 is not defined" in japanese  # the checker's own words, as written
    schema = checks.Failure(test="schema", title="", path="/", message="'x' is required")
    assert say(schema.describe(), translations("es").gettext).startswith("el esquema JSON")
