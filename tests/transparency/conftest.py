"""Fixtures of the transparency tests: the third-party data, and appending through the service."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
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
def bulk(
    session_factory: sessionmaker[Session], settings: Settings
) -> Callable[[list[bytes]], int]:
    """Append raw entries in one committed batch."""

    def append(entries: list[bytes]) -> int:
        with unit_of_work(session_factory) as db:
            return services.append_entries(db, settings=settings, entries=entries)

    return append
