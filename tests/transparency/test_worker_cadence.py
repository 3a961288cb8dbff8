"""``accord worker`` signs what publications left waiting: a single run (``--once``) signs it
at its end, since no cadence follows it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work
from accord.transparency import services


def test_a_single_worker_run_signs_the_publications_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ACCORD_BASE_URL", "https://hub.test")
    monkeypatch.setenv("ACCORD_LOG_CHECKPOINT_SECONDS", "3600")
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    runner = CliRunner()
    made = runner.invoke(app, ["db", "upgrade"])
    assert made.exit_code == 0, made.output
    settings = Settings(data_dir=tmp_path, base_url="https://hub.test", log_checkpoint_seconds=3600)
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    try:
        for n in range(3):
            with unit_of_work(sessions) as db:
                services.append(
                    db, settings=settings, entry_type="t", subject_id="s", document={"n": n}
                )
        with unit_of_work(sessions) as db:
            assert services.pending(db) == 3  # the publications only appended
        ran = runner.invoke(app, ["worker", "--once"])
        assert ran.exit_code == 0, ran.output
        with unit_of_work(sessions) as db:
            assert services.pending(db) == 0
            assert services.current_checkpoint(db, settings=settings).size == 3
    finally:
        engine.dispose()
