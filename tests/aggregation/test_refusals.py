"""A document the aggregator refused is remembered with what its feed said of it, and not
downloaded again while the feed says the same; once the feed says it changed, it is. The
requests the provider's server received are counted."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.aggregation import passes, services
from accord.aggregation.models import CsafRefusal
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from tests.aggregation.conftest import EXAMPLES
from tests.aggregation.provider import BASE, Provider
from tests.registry.servers import Route, StaticServer

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
GOOD = (EXAMPLES / "rhsa-2021_5217.json").read_bytes()
OTHER = (EXAMPLES / "bsi-2022-0001.json").read_bytes()


def _register(sessions: sessionmaker[Session], settings: Settings, provider: Provider) -> int:
    with unit_of_work(sessions) as db:
        found = services.register(db, actor=SYSTEM, settings=settings, given=provider.metadata_url)
        return found.id


def _asked(server: StaticServer, name: str) -> int:
    return sum(path.endswith(f"/{name}") for path in server.requests)


def test_a_refused_document_is_downloaded_again_only_once_its_feed_says_it_changed(
    session_factory: sessionmaker[Session],
    db: Session,
    local_settings: Settings,
    https_server: StaticServer,
) -> None:
    provider = Provider(https_server)
    provider.publish("2024/good.json", GOOD, when=T0)
    # Tampered: the published hash is another document's.
    provider.publish("2024/bad.json", OTHER, sha256=hashlib.sha256(GOOD).hexdigest(), when=T0)
    # A server error may pass on a later try: never remembered.
    provider.publish("2024/flaky.json", b"{}", when=T0, route=Route(b"", status=503))
    provider_id = _register(session_factory, local_settings, provider)

    first = passes.run(session_factory, provider_id=provider_id, settings=local_settings)
    assert (first.stored, first.failed) == (1, 2)
    assert (_asked(https_server, "bad.json"), _asked(https_server, "flaky.json")) == (1, 1)
    remembered = db.scalars(select(CsafRefusal)).all()
    assert [(r.url.rsplit("/", 1)[1], r.code, r.changed_at) for r in remembered] == [
        ("bad.json", "hash_mismatch", T0)
    ]
    db.rollback()

    https_server.requests.clear()
    second = passes.run(session_factory, provider_id=provider_id, settings=local_settings)
    assert (second.refused_unchanged, second.unchanged, second.failed) == (1, 1, 1)
    assert _asked(https_server, "bad.json") == 0  # unchanged and refused: not downloaded
    assert _asked(https_server, "bad.json.asc") == 0
    assert _asked(https_server, "flaky.json") == 1  # tried again

    # The provider fixes it: changes.csv gives it a later time, and it is downloaded.
    provider.publish("2024/bad.json", OTHER, when=T0 + timedelta(hours=1))
    https_server.requests.clear()
    third = passes.run(session_factory, provider_id=provider_id, settings=local_settings)
    assert (third.downloaded, third.stored, third.refused_unchanged) == (1, 1, 0)
    assert _asked(https_server, "bad.json") == 1
    assert db.scalars(select(CsafRefusal)).all() == []  # stored now: forgotten


def test_for_a_feed_without_times_the_published_hash_says_whether_it_changed(
    session_factory: sessionmaker[Session],
    db: Session,
    local_settings: Settings,
    https_server: StaticServer,
) -> None:
    provider = Provider(https_server)
    provider.publish("2024/bad.json", OTHER, sha256=hashlib.sha256(GOOD).hexdigest())
    # index.txt alone: the feed says no time.
    https_server.route(f"{BASE}/white/changes.csv", Route(b"", status=404))
    provider_id = _register(session_factory, local_settings, provider)

    first = passes.run(session_factory, provider_id=provider_id, settings=local_settings)
    assert (first.downloaded, first.failed) == (1, 1)
    (remembered,) = db.scalars(select(CsafRefusal)).all()
    assert remembered.changed_at is None
    assert remembered.published_sha256 == hashlib.sha256(GOOD).hexdigest()
    db.rollback()

    https_server.requests.clear()
    second = passes.run(session_factory, provider_id=provider_id, settings=local_settings)
    assert (second.downloaded, second.refused_unchanged) == (0, 1)
    assert _asked(https_server, "bad.json") == 0
    assert _asked(https_server, "bad.json.sha256") == 1  # what says whether it changed

    provider.publish("2024/bad.json", OTHER)  # now with its own hash
    https_server.route(f"{BASE}/white/changes.csv", Route(b"", status=404))
    https_server.requests.clear()
    third = passes.run(session_factory, provider_id=provider_id, settings=local_settings)
    assert (third.downloaded, third.stored) == (1, 1)
    assert _asked(https_server, "bad.json") == 1
