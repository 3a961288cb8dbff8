"""The log's origin comes from the configured public address and never changes under a log."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.transparency import note, origin, services
from tests.transparency.conftest import Publish


def _moved(settings: Settings) -> Settings:
    return settings.model_copy(update={"base_url": "https://hub.example"})


def test_a_hub_whose_address_changed_refuses_to_sign_and_says_so(
    session_factory: sessionmaker[Session], settings: Settings, publish: Publish
) -> None:
    publish({"n": 0})
    moved = _moved(settings)
    with unit_of_work(session_factory) as db, pytest.raises(origin.OriginChanged) as refused:
        origin.check(db, settings=moved)
    message = refused.value.message
    assert "'testserver/log'" in message
    assert "'hub.example/log'" in message
    assert "ACCORD_BASE_URL" in message
    assert "http(s)://testserver" in message
    with pytest.raises(origin.OriginChanged), unit_of_work(session_factory) as db:
        services.append(
            db, settings=moved, entry_type="registry.signature", subject_id="x", document={}
        )
    with unit_of_work(session_factory) as db:
        checkpoint = services.current_checkpoint(db, settings=settings)
        verifier = services.log_verifier(db, settings=settings)
        assert note.open_checkpoint(checkpoint.note, verifier).size == 1  # nothing appended
        origin.check(db, settings=settings)  # the address it was started under is fine


def test_an_empty_log_takes_the_configured_origin(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with unit_of_work(session_factory) as db:
        services.sign_latest(db, settings=settings)  # an import of nothing: size 0, signed
    moved = _moved(settings)
    with unit_of_work(session_factory) as db:
        origin.check(db, settings=moved)
    with unit_of_work(session_factory) as db:
        checkpoint = services.current_checkpoint(db, settings=moved)
        verifier = services.log_verifier(db, settings=moved)
        assert verifier.name == "hub.example/log"
        assert note.open_checkpoint(checkpoint.note, verifier).size == 0


def _accord(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"ACCORD_DATA_DIR": str(data), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    src = str(Path(__file__).resolve().parents[2] / "src")
    code = f"import sys; sys.path.insert(0, {src!r}); from accord.cli.main import run; run()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=environment | env,
        timeout=120,
        check=False,
    )


def _stored_origin(data: Path) -> str:
    with sqlite3.connect(data / "accord.db") as connection:
        (found,) = connection.execute("SELECT origin FROM log_head").fetchone()
    return str(found)


@pytest.mark.slow
def test_an_import_before_the_first_serve_no_longer_fixes_a_stale_origin(
    tmp_path: Path,
) -> None:
    record = tmp_path / "x_TEST-1.json"
    record.write_text(
        '{"schema_version": "1.7.5", "id": "x_TEST-1", "modified": "2024-01-01T00:00:00Z"}'
    )
    # The issue: imported with the default address, then served on port 9101.
    data = tmp_path / "data"
    assert _accord(data, "advisories", "import", str(record), "--create").returncode == 0
    assert _stored_origin(data) == "127.0.0.1:8000/log"
    served = _accord(data, "serve", "--port", "9101")
    assert served.returncode == 1
    (line,) = served.stderr.strip().splitlines()
    assert line.startswith("error: the transparency log's origin is '127.0.0.1:8000/log'")
    assert "'127.0.0.1:9101/log'" in line
    assert "ACCORD_BASE_URL" in line
    # With the public address configured for both, the import logs under it.
    other = tmp_path / "other"
    hub = {"ACCORD_BASE_URL": "https://hub.example"}
    assert _accord(other, "advisories", "import", str(record), "--create", **hub).returncode == 0
    assert _stored_origin(other) == "hub.example/log"
    refused = _accord(other, "advisories", "import", str(record))
    assert refused.returncode == 1
    assert "'hub.example/log'" in refused.stderr
