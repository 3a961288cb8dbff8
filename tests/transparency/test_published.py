"""No fork after a restore: the last published checkpoint is kept beside the database, and a
database behind it stops ``accord serve`` and every signature."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from accord.cli.main import _one_line
from accord.cli.main import app as cli
from accord.config import Settings
from accord.db import make_engine, unit_of_work, upgrade
from accord.transparency import published, services
from accord.transparency.note import Checkpoint, split_note

# Every table of the hub's log, in an order that restores cleanly.
LOG_TABLES = (
    "log_head",
    "log_tiles",
    "log_segments",
    "log_records",
    "log_checkpoints",
    "log_cosignatures",
)


def _append(sessions: sessionmaker[Session], settings: Settings, count: int) -> None:
    for number in range(count):
        with unit_of_work(sessions) as db:
            services.append(
                db,
                settings=settings,
                entry_type="registry.signature",
                subject_id="example-org",
                document={"n": number},
            )


def _dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        return {
            table: [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {table}"))]  # noqa: S608
            for table in LOG_TABLES
        }


def _restore(engine: Engine, dump: dict[str, list[dict[str, Any]]]) -> None:
    with engine.begin() as conn:
        for table in reversed(LOG_TABLES):
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608
        for table in LOG_TABLES:
            rows = dump[table]
            if rows:
                columns = list(rows[0])
                names = ", ".join(columns)
                values = ", ".join(f":{c}" for c in columns)
                conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({values})"), rows)  # noqa: S608


def _serve(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, bool]:
    started: list[bool] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(True))
    env = {
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_DATABASE_URL": settings.resolved_database_url,
        "ACCORD_BASE_URL": settings.public_url,
        "ACCORD_WORKER_IN_PROCESS": "false",
    }
    result = CliRunner().invoke(cli, ["serve"], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # What the entry point (accord.cli.main.run) prints for it, and its exit status.
        line = _one_line(result.exception)
        assert line is not None, result.exception
        assert "\n" not in line
        return 1, line, bool(started)
    return result.exit_code, result.output, bool(started)


@pytest.fixture
def hub(settings: Settings, tmp_path: Path) -> Settings:
    """The test database with a data directory of its own (keys, the published checkpoint)."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    return settings.model_copy(
        update={"data_dir": data, "database_url": settings.resolved_database_url}
    )


def test_a_database_restored_behind_what_was_published_stops_the_hub(
    hub: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _append(session_factory, hub, 3)
    backup = _dump(engine)
    _append(session_factory, hub, 2)
    note = published.path(hub).read_text()
    assert Checkpoint.parse(split_note(note)[0]).size == 5
    code, output, started = _serve(hub, monkeypatch)
    assert (code, started) == (0, True), output

    _restore(engine, backup)  # the database as the older backup had it
    code, output, started = _serve(hub, monkeypatch)
    assert code == 1
    assert not started
    line = " ".join(output.split())
    assert "the database holds a log of 3 entries, but this hub already published a signed " in (
        line
    )
    assert "checkpoint of 5" in line
    assert "Restore the newest backup" in line
    # A request that would sign is refused too: no second root for size 4 or 5.
    with pytest.raises(published.BehindPublished):
        _append(session_factory, hub, 1)
    with unit_of_work(session_factory) as db:
        assert services.signed_size(db) == 3


def test_a_database_with_another_history_of_the_same_size_stops_the_hub(
    hub: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _append(session_factory, hub, 2)
    backup = _dump(engine)
    _append(session_factory, hub, 2)
    _restore(engine, backup)
    kept = published.path(hub).read_text()
    published.path(hub).unlink()
    _append(session_factory, hub, 2)  # a fork of size 4, signed while the file was away
    published.path(hub).write_text(kept)
    code, output, _ = _serve(hub, monkeypatch)
    assert code == 1
    assert "another tree of 4 entries than the one published" in " ".join(output.split())


def test_a_damaged_or_foreign_published_file_stops_the_hub(
    hub: Settings, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _append(session_factory, hub, 1)
    note = published.path(hub).read_text()
    published.path(hub).write_text(note.replace("\n1\n", "\n2\n"))
    code, output, _ = _serve(hub, monkeypatch)
    assert code == 1
    assert "is not signed by this log's key" in " ".join(output.split())
    published.path(hub).write_text("garbage")
    code, output, _ = _serve(hub, monkeypatch)
    assert code == 1
    assert "is damaged" in " ".join(output.split())


def test_a_rolled_back_signature_is_not_published(
    hub: Settings, session_factory: sessionmaker[Session]
) -> None:
    _append(session_factory, hub, 2)

    def fail_after_logging() -> None:
        with unit_of_work(session_factory) as db:
            services.append(
                db, settings=hub, entry_type="registry.signature", subject_id="x", document={}
            )
            raise RuntimeError("the publishing request failed after logging")

    with pytest.raises(RuntimeError):
        fail_after_logging()
    note = published.path(hub).read_text()
    assert Checkpoint.parse(split_note(note)[0]).size == 2
    _append(session_factory, hub, 1)
    assert Checkpoint.parse(split_note(published.path(hub).read_text())[0]).size == 3


def test_an_older_copy_of_the_sqlite_file_stops_the_hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The restore an operator would do on SQLite: copy an older accord.db back in place."""
    data = tmp_path / "sqlite-hub"
    data.mkdir(mode=0o700)
    settings = Settings(
        data_dir=data, base_url="http://hub.test", worker_in_process=False, log_checkpoint_seconds=0
    )
    engine = make_engine(settings)
    upgrade(engine)
    from accord.db import make_sessionmaker

    sessions = make_sessionmaker(engine)
    _append(sessions, settings, 4)
    with sqlite3.connect(data / "accord.db") as source, sqlite3.connect(data / "old.db") as copy:
        source.backup(copy)
    _append(sessions, settings, 3)
    engine.dispose()
    for suffix in ("-wal", "-shm"):
        (data / f"accord.db{suffix}").unlink(missing_ok=True)
    shutil.move(data / "old.db", data / "accord.db")
    code, output, started = _serve(settings, monkeypatch)
    assert code == 1
    assert not started
    assert "holds a log of 4 entries, but this hub already published a signed checkpoint of 7" in (
        " ".join(output.split())
    )
