"""Fixtures for commands run as a user runs them: the test hub's data directory and database."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from accord.config import Settings


@pytest.fixture
def cli_settings(settings: Settings, engine: Engine) -> Settings:
    """The test hub's settings, its database migrated (for commands run in a subprocess)."""
    return settings


@pytest.fixture
def cli_env(cli_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The same, for commands run in this process: the environment names the test hub."""
    monkeypatch.setenv("ACCORD_DATA_DIR", str(cli_settings.data_dir))
    monkeypatch.setenv("ACCORD_DATABASE_URL", cli_settings.resolved_database_url)
    return cli_settings
