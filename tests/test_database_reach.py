"""The PostgreSQL run leaves to the SQLite run every test without the ``settings`` fixture
(tests/conftest.py). That is sound only while ``settings`` is the one way the database under
test reaches a test: nothing else may read the variable that names it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import DATABASE_ENV

ROOT = Path(__file__).resolve().parents[1]


def test_only_the_settings_fixture_reads_the_database_under_test() -> None:
    readers = [
        path.relative_to(ROOT).as_posix()
        for folder in ("src", "tests")
        for path in (ROOT / folder).rglob("*.py")
        if path != Path(__file__).resolve() and DATABASE_ENV in path.read_text()
    ]
    assert readers == ["tests/conftest.py"]
