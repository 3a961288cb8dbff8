"""What every command needs: settings, a migrated database, and a unit of work."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from accord.config import Settings, load_settings
from accord.db import make_engine, make_sessionmaker, unit_of_work, upgrade

CONFIG_ENV = "ACCORD_CONFIG_FILE"


def settings_from_env(config: Path | None = None) -> Settings:
    """Settings from the environment and the config file named by ``--config`` or its variable."""
    path = config or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    return load_settings(path)


def prepare_data_dir(settings: Settings) -> None:
    """Create the data directory, readable by the hub's user alone (it holds keys)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)


def check_keys(settings: Settings) -> None:
    """Load (or make) the hub's signing keys now, so a bad key file stops the start-up.

    Otherwise the first request that signs would find it, and that request is a caller's,
    who can do nothing about a key file's permissions.
    """
    from accord.advisories import openpgp
    from accord.transparency import keys

    keys.load_signer(settings, keys.origin_for(settings))
    openpgp.public_key(settings)


@contextmanager
def database(settings: Settings, *, migrate: bool = True) -> Iterator[Session]:
    """A committed-on-success session on a database brought up to date first."""
    prepare_data_dir(settings)
    engine = make_engine(settings)
    try:
        if migrate:
            upgrade(engine)
        with unit_of_work(make_sessionmaker(engine)) as db:
            yield db
    finally:
        engine.dispose()
