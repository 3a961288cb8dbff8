"""Fixtures for the advisories tests: the real PyPA advisory database and record builders."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import importer
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity import access, services
from accord.identity.policy import SYSTEM
from accord.web.deps import SESSION_COOKIE
from tests import thirdparty
from tests.factories import Person

# The real PyPA advisory database, bundled in tests/data (see tests/thirdparty.py).
PYPA = thirdparty.PYPA
VULNS = thirdparty.PYPA_VULNS

# The records of that database that fail the current OSV schema (see tests/data/README.md):
# each has one malformed GIT range beside a valid ECOSYSTEM range, which the import drops.
KNOWN_BAD = {
    "PYSEC-2021-371",
    "PYSEC-2021-424",
    "PYSEC-2021-425",
    "PYSEC-2021-436",
    "PYSEC-2019-155",
    "PYSEC-2017-27",
    "PYSEC-2023-80",
}


def import_path(
    factory: sessionmaker[Session],
    path: Path | str,
    settings: Settings | None = None,
    **kwargs: Any,
) -> importer.Report:
    """Import like the CLI does, as the system, with the test hub's settings (and log key)."""
    settings = settings or _SETTINGS[0]
    return importer.run(factory, str(path), actor=SYSTEM, settings=settings, **kwargs)


# The session's settings, for import_path's callers that have no fixture at hand.
_SETTINGS: list[Settings] = []


@pytest.fixture(autouse=True)
def _remember_settings(request: pytest.FixtureRequest) -> None:
    """Only for tests with the hub's database (import_path's callers pass its session
    factory): the format tests then keep no ``settings`` fixture, so the PostgreSQL run
    leaves them to the SQLite run (tests/conftest.py)."""
    if "engine" in request.fixturenames:
        _SETTINGS[:] = [request.getfixturevalue("settings")]
    else:
        _SETTINGS.clear()


@pytest.fixture
def jinja2(session_factory: sessionmaker[Session]) -> importer.Report:
    """The five real jinja2 advisories, imported."""
    return import_path(session_factory, VULNS / "jinja2")


def record(osv_id: str = "x_TEST-1", **fields: Any) -> dict[str, Any]:
    """A small valid OSV record: npm ``left-pad`` fixed in 1.3.0, unless told otherwise."""
    base: dict[str, Any] = {
        "schema_version": "1.7.5",
        "id": osv_id,
        "modified": "2024-01-01T00:00:00Z",
        "published": "2024-01-01T00:00:00Z",
        "summary": "Test advisory",
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "left-pad"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}],
            }
        ],
    }
    base.update(copy.deepcopy(fields))
    return base


def signed_in(
    client: TestClient, factory: sessionmaker[Session], settings: Settings, person: Person
) -> None:
    """Open a browser session for ``person`` directly.

    The shared sign-in form renders its CSRF macro without the page's context (an import
    without ``with context``), so it cannot be posted; this opens the same session row.
    """
    with unit_of_work(factory) as db:
        user = services.get_user(db, person.username)
        secret = access.start_session(db, user=user, settings=settings)
    client.cookies.set(SESSION_COOKIE, secret)
