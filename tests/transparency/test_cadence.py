"""The log's cadence: publications do not wait for their checkpoint; one checkpoint covers them.

A publication commits with its entry and record and learns its index at once; the entries
appended since the last checkpoint are signed together, by the cadence (every interval) or at
once when asked, and only then readable. What is stored stays a well-formed log throughout
(the audit rebuilds it from its entries), and the published checkpoint follows.
"""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.transparency import audit, bundles, merkle, published, services, store
from accord.transparency.models import LogCheckpoint, LogTile
from accord.transparency.note import Checkpoint, Verifier, split_note
from accord.web.app import create_app


@pytest.fixture
def cadence(own_log: Settings) -> Settings:
    """The hub's settings with a long interval (the cadence never fires by itself here)."""
    return own_log.model_copy(update={"log_checkpoint_seconds": 3600.0})


def _publish(sessions: sessionmaker[Session], settings: Settings, n: int) -> services.LogEntryRef:
    with unit_of_work(sessions) as db:
        return services.append(
            db,
            settings=settings,
            entry_type="registry.signature",
            subject_id=f"org-{n}",
            document={"n": n},
        )


def _signed_sizes(sessions: sessionmaker[Session]) -> list[int]:
    with unit_of_work(sessions) as db:
        return list(db.scalars(select(LogCheckpoint.size).order_by(LogCheckpoint.size)))


def test_publications_between_checkpoints_are_signed_together(
    cadence: Settings, session_factory: sessionmaker[Session]
) -> None:
    refs = [_publish(session_factory, cadence, n) for n in range(5)]
    assert [r.index for r in refs] == [0, 1, 2, 3, 4]
    # No publication signs a checkpoint, not even the log's first: they wait for the cadence.
    assert _signed_sizes(session_factory) == []
    with unit_of_work(session_factory) as db:
        assert services.pending(db) == 5
        assert services.current_checkpoint(db, settings=cadence).size == 0
        with pytest.raises(services.NotYetSigned, match="entry 3 is logged"):
            services.prove_inclusion(db, index=3, tree_size=None)
        with pytest.raises(services.NotYetSigned):
            bundles.build_bundle(db, settings=cadence, index=4)
        # The tiles were not touched by the appends: no tree yet.
        assert list(db.scalars(select(LogTile))) == []
        assert audit.audit(db, settings=cadence).size == 5
    # The cadence's first round signs at once (no checkpoint was ever signed): one for all five.
    checkpoint = services.sign_if_due(session_factory, settings=cadence)
    assert checkpoint is not None
    assert checkpoint.size == 5
    assert _signed_sizes(session_factory) == [5]
    with unit_of_work(session_factory) as db:
        assert services.pending(db) == 0
        leaves = [r.leaf_hash for r in refs]
        assert checkpoint.root_hash == merkle.root_of(leaves)
        for ref in refs:
            proof = services.prove_inclusion(db, index=ref.index, tree_size=None)
            merkle.verify_inclusion(ref.index, 5, ref.leaf_hash, proof.hashes, proof.root_hash)
        bundle = bundles.build_bundle(db, settings=cadence, index=4)
        verifier = Verifier.parse(bundle.verifier_key)
        assert bundles.verify_bundle(bundle, verifier=verifier).index == 4
        report = audit.audit(db, settings=cadence)
        assert (report.size, report.checkpoints) == (5, 1)
    kept = Checkpoint.parse(split_note(published.path(cadence).read_text())[0])
    assert (kept.size, kept.root_hash) == (5, checkpoint.root_hash)
    # Nothing waits: nothing is signed again.
    due = cadence.model_copy(update={"log_checkpoint_seconds": 0.0})
    assert services.sign_if_due(session_factory, settings=due) is None
    # One more: not due before the interval passed, signed at once when asked.
    _publish(session_factory, cadence, 5)
    assert services.sign_if_due(session_factory, settings=cadence) is None
    assert services.sign_pending(session_factory, settings=cadence) is not None
    assert _signed_sizes(session_factory) == [5, 6]


def test_a_publication_never_signs_even_once_a_checkpoint_is_due(
    cadence: Settings, session_factory: sessionmaker[Session]
) -> None:
    # The interval has passed since the last checkpoint: the next publication still only
    # appends (holding no lock while the tiles grow); the cadence signs what waits.
    for n in range(3):
        _publish(session_factory, cadence, n)
    due = cadence.model_copy(update={"log_checkpoint_seconds": 0.001})
    assert services.sign_if_due(session_factory, settings=due) is not None
    for n in range(3, 6):
        time.sleep(0.002)
        _publish(session_factory, due, n)
    assert _signed_sizes(session_factory) == [3]
    checkpoint = services.sign_if_due(session_factory, settings=due)
    assert checkpoint is not None
    assert checkpoint.size == 6
    assert _signed_sizes(session_factory) == [3, 6]


def test_sign_true_signs_in_the_publication(
    cadence: Settings, session_factory: sessionmaker[Session]
) -> None:
    for n in range(3):
        _publish(session_factory, cadence, n)
    with unit_of_work(session_factory) as db:
        ref = services.append(
            db, settings=cadence, entry_type="t", subject_id="s", document={}, sign=True
        )
    assert ref.index == 3
    assert _signed_sizes(session_factory) == [4]


def test_the_web_process_signs_on_its_cadence(
    cadence: Settings, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    short = cadence.model_copy(update={"log_checkpoint_seconds": 0.1})
    for n in range(4):
        _publish(session_factory, short, n)
    app = create_app(short, engine=engine)
    with TestClient(app) as client:
        first = client.get("/api/v1/log/proof/inclusion", params={"index": 3})
        deadline = time.monotonic() + 30
        while client.get("/api/v1/log/checkpoint").json()["tree_size"] < 4:
            assert time.monotonic() < deadline, "the cadence never signed"
            time.sleep(0.05)
        proof = client.get("/api/v1/log/proof/inclusion", params={"index": 3})
    # Asked before its checkpoint, the entry was "not yet", with what to do; after, proved.
    assert first.status_code in (200, 404)
    if first.status_code == 404:
        assert "next signed checkpoint" in first.json()["message"]
    assert proof.status_code == 200
    assert proof.json()["tree_size"] == 4


def test_tiles_grown_at_signing_equal_tiles_grown_per_append(
    cadence: Settings, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    # 600 publications in 6 uneven checkpoints cross two tile boundaries: the stored tiles
    # must be those of the same log built in one go.
    due = cadence.model_copy(update={"log_checkpoint_seconds": 0.0})
    for n in range(600):
        _publish(session_factory, cadence, n)
        if n in (3, 255, 256, 300, 511, 599):
            services.sign_if_due(session_factory, settings=due)
    with unit_of_work(session_factory) as db:
        report = audit.audit(db, settings=cadence)
        head = store.read_head(db)
        assert head is not None
        assert (report.size, head.tree_size, report.checkpoints) == (600, 600, 6)
