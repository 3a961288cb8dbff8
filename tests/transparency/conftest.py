"""Fixtures of the transparency tests: the third-party data, and appending through the service."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.transparency import services
from tests import thirdparty

# Third-party data bundled in tests/data (see tests/data/README.md).
PROBES = thirdparty.MERKLE_PROBES
VECTORS = thirdparty.MERKLE_VECTORS

Publish = Callable[..., services.LogEntryRef]


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS.read_text())
    return data


@pytest.fixture
def publish(session_factory: sessionmaker[Session], settings: Settings) -> Publish:
    """Append one publication in its own committed transaction, as a domain would."""

    def append(
        document: dict[str, Any] | None = None,
        *,
        entry_type: str = "registry.signature",
        subject_id: str = "example-org",
        document_sha256: str | None = None,
    ) -> services.LogEntryRef:
        with unit_of_work(session_factory) as db:
            return services.append(
                db,
                settings=settings,
                entry_type=entry_type,
                subject_id=subject_id,
                document=document,
                document_sha256=document_sha256,
            )

    return append


@pytest.fixture
def own_log(settings: Settings, engine: Engine, tmp_path: Path) -> Iterator[Settings]:
    """An empty log on the test database, with a data directory (keys, published checkpoint)
    of its own; emptied again after the test, so that the tests after it start a new log."""
    from tests.transparency.test_properties import _empty

    data = tmp_path / "own-log"
    data.mkdir(mode=0o700)
    _empty(engine, settings.data_dir)
    _empty(engine, data)
    # What this process remembers of the last signature was of the log just emptied.
    services._seen_signed.clear()
    yield settings.model_copy(
        update={"data_dir": data, "database_url": settings.resolved_database_url}
    )
    _empty(engine, settings.data_dir)


@pytest.fixture
def bulk(
    session_factory: sessionmaker[Session], settings: Settings
) -> Callable[[list[bytes]], int]:
    """Append raw entries in one committed batch."""

    def append(entries: list[bytes]) -> int:
        with unit_of_work(session_factory) as db:
            return services.append_entries(db, settings=settings, entries=entries)

    return append
