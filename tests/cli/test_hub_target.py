"""Commands write to the hub they were pointed at, say which, and never make a new one unasked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.advisories.models import Advisory
from accord.cli.context import shown_url
from accord.config import Settings
from tests.advisories.conftest import record
from tests.cli.test_cli import accord


def _bare(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``accord ARGS`` in ``cwd`` with no ACCORD_* setting: what a new user's shell runs."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_import_without_a_hub_refuses_and_creates_nothing(tmp_path: Path) -> None:
    source = tmp_path / "one.json"
    source.write_text(json.dumps(record("x_TEST-1")))
    result = _bare("advisories", "import", str(source), cwd=tmp_path)
    assert result.returncode == 2
    database = (tmp_path / "accord-data" / "accord.db").resolve()
    assert result.stderr == (
        f"error: no Accord hub at sqlite:///{database}: point ACCORD_DATA_DIR or "
        "ACCORD_DATABASE_URL (or --config) at your hub, or make a new one with --create or "
        "`accord db upgrade`\n"
    )
    assert not (tmp_path / "accord-data").exists()
    for command in (("org", "list"), ("user", "set-operator", "x"), ("jobs", "list")):
        refused = _bare(*command, cwd=tmp_path)
        assert refused.returncode == 2, command
        assert refused.stderr.startswith("error: no Accord hub at "), command
        assert "`accord db upgrade`\n" in refused.stderr
    assert not (tmp_path / "accord-data").exists()

    created = _bare("advisories", "import", str(source), "--create", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert created.stderr == f"wrote to sqlite:///{database}\n"
    again = _bare("org", "list", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""  # a listing writes nothing, so names no database written


@pytest.mark.slow
def test_writes_name_the_database(cli_settings: Settings, tmp_path: Path, db: Session) -> None:
    source = tmp_path / "one.json"
    source.write_text(json.dumps(record("x_TEST-2")))
    imported = accord(cli_settings, "advisories", "import", str(source))
    assert imported.returncode == 0, imported.stderr
    assert imported.stderr == f"wrote to {shown_url(cli_settings)}\n"
    db.rollback()
    assert db.scalar(select(Advisory.osv_id)) == "x_TEST-2"
    upgraded = accord(cli_settings, "db", "upgrade")
    assert upgraded.stdout == f"database {shown_url(cli_settings)} is up to date\n"


def test_the_url_shown_hides_the_password() -> None:
    settings = Settings(database_url="postgresql+psycopg://hub:s3cret@db.example:5432/accord")
    assert shown_url(settings) == "postgresql+psycopg://hub:***@db.example:5432/accord"
