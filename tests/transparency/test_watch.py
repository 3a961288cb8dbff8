"""``accord log watch``: every new entry about one subject, each proved, once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from accord.cli.main import app as cli
from accord.config import Settings
from accord.db import unit_of_work
from accord.transparency import services
from tests.flows.conftest import serving
from tests.transparency.conftest import Publish


@pytest.fixture
def live_log(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


def _watch(url: str, key: str, state: Path, subject: str) -> tuple[int, list[str]]:
    args = ["log", "watch", "--hub", url, "--key", key, "--state", str(state)]
    result = CliRunner().invoke(cli, [*args, "--subject", subject])
    return result.exit_code, result.stdout.splitlines()


def test_watch_reports_each_new_entry_about_a_subject_once(
    live_log: str,
    publish: Publish,
    settings: Settings,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    with unit_of_work(session_factory) as db:
        key = services.log_verifier(db, settings=settings).encode()
    state = tmp_path / "state.json"
    publish({"n": 0}, subject_id="acme")
    for number in range(120):  # more than one page of records between two runs
        publish({"n": number}, subject_id="other-org")
    publish({"n": 1}, entry_type="advisory.version", subject_id="ACME-2026-1@1")
    publish({"n": 2}, subject_id="acme-two")  # not acme: a slug is matched whole

    code, lines = _watch(live_log, key, state, "acme")
    assert code == 0, lines
    assert [line.split(":")[0] for line in lines[:-1]] == ["entry 0"]
    assert "registry.signature of acme" in lines[0]
    assert "proved in the signed tree of 123 entries" in lines[0]
    assert lines[-1] == "ok: 1 new entry about acme in the signed tree of 123 entries"
    code, lines = _watch(live_log, key, state, "ACME-2026-1")
    assert code == 0
    assert lines[0].startswith("entry 121: advisory.version of ACME-2026-1@1 at ")

    publish({"n": 3}, subject_id="acme")
    code, lines = _watch(live_log, key, state, "acme")
    assert code == 0
    assert [line.split(":")[0] for line in lines[:-1]] == ["entry 123"]
    code, lines = _watch(live_log, key, state, "acme")
    assert lines == ["ok: 0 new entries about acme in the signed tree of 124 entries"]
