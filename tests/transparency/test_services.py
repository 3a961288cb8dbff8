"""Appending, signing and proving through the service, on the test database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import InvalidInput, NotFound
from accord.transparency import merkle, note, services, store
from accord.transparency.audit import audit
from accord.transparency.envelope import Envelope, EnvelopeError, canonical
from accord.transparency.models import LogCheckpoint, LogHead, LogRecord, LogTile
from accord.transparency.store import LogIntegrityError
from tests.transparency.conftest import Publish


def test_append_logs_the_canonical_envelope_and_signs(
    publish: Publish, db: Session, settings: Settings
) -> None:
    document = {"organization": "Example", "accord": "2018", "contacts": ["a@b.example"]}
    first = publish(document)
    second = publish({"organization": "Other"}, subject_id="other-org")
    assert (first.index, second.index) == (0, 1)

    entry = services.entry_at(db, 0)
    assert merkle.hash_leaf(entry) == first.leaf_hash
    envelope = Envelope.from_entry(entry)
    assert envelope.document == document
    assert envelope.sha256 == hashlib.sha256(canonical(document)).hexdigest()
    assert json.loads(entry) == {
        "type": "registry.signature",
        "time": envelope.time,
        "subject": "example-org",
        "sha256": envelope.sha256,
        "document": document,
    }
    assert entry == canonical(json.loads(entry))  # RFC 8785: the bytes are canonical

    checkpoints = db.scalars(select(LogCheckpoint).order_by(LogCheckpoint.size)).all()
    assert [c.size for c in checkpoints] == [1, 2]
    verifier = services.log_verifier(db, settings=settings)
    signed = note.open_checkpoint(checkpoints[-1].note, verifier)
    assert signed.origin == "testserver/log"
    assert signed.root_hash == merkle.root_of([first.leaf_hash, second.leaf_hash])


def test_private_publications_are_logged_by_digest_alone(publish: Publish, db: Session) -> None:
    digest = hashlib.sha256(b"a private case event").hexdigest()
    ref = publish(None, entry_type="disclosure.event", subject_id="case-1", document_sha256=digest)
    envelope = Envelope.from_entry(services.entry_at(db, ref.index))
    assert (envelope.document, envelope.sha256) == (None, digest)
    record = db.get(LogRecord, ref.index)
    assert record is not None
    assert not record.public
    assert [r.idx for r in services.records_for_document(db, digest)] == [ref.index]


@pytest.mark.parametrize(
    ("document", "sha256", "entry_type", "reason"),
    [
        ({"a": 1}, "0" * 64, "registry.signature", "not the SHA-256"),
        (None, None, "registry.signature", "needs its lowercase hex"),
        (None, "ABC", "registry.signature", "needs its lowercase hex"),
        ({"a": 1}, None, "Bad Type", "entry type"),
    ],
)
def test_programming_mistakes_are_refused(
    publish: Publish,
    document: dict[str, int] | None,
    sha256: str | None,
    entry_type: str,
    reason: str,
) -> None:
    with pytest.raises(EnvelopeError, match=reason):
        publish(document, document_sha256=sha256, entry_type=entry_type)


def test_a_document_too_large_to_log_is_refused_and_nothing_is_stored(
    publish: Publish, db: Session
) -> None:
    with pytest.raises(InvalidInput) as raised:
        publish({"text": "x" * 70_000})
    assert raised.value.field == "document"
    assert services.latest_checkpoint(db) is None


def test_an_entry_rolls_back_with_its_publication(
    session_factory: sessionmaker[Session], settings: Settings, publish: Publish, db: Session
) -> None:
    def publication_that_fails() -> None:
        with unit_of_work(session_factory) as work:
            services.append(
                work, settings=settings, entry_type="x.y", subject_id="s", document={"n": 1}
            )
            raise RuntimeError("the publication failed after logging")

    with pytest.raises(RuntimeError):
        publication_that_fails()
    assert services.latest_checkpoint(db) is None
    assert publish({"n": 2}).index == 0


def _build(bulk: Callable[[list[bytes]], int], size: int) -> list[bytes]:
    entries = [f"entry {i}".encode() for i in range(size)]
    done = 0
    for chunk in (1, 2, 255, 256, 300, 1000):
        if done < size:
            bulk(entries[done : done + chunk])
            done = min(size, done + chunk)
    if done < size:
        bulk(entries[done:])
    return [merkle.hash_leaf(e) for e in entries]


def test_proofs_at_every_size_verify_and_tampering_fails(
    bulk: Callable[[list[bytes]], int], db: Session
) -> None:
    leaves = _build(bulk, 600)
    roots = {n: merkle.root_of(leaves[:n]) for n in range(1, 601)}
    for size in (1, 2, 3, 255, 256, 257, 511, 512, 513, 600):
        for index in {0, size // 2, size - 1}:
            proof = services.prove_inclusion(db, index=index, tree_size=size)
            assert (proof.leaf_hash, proof.root_hash) == (leaves[index], roots[size])
            merkle.verify_inclusion(index, size, leaves[index], proof.hashes, roots[size])
        for first in {1, size // 3 or 1, size - 1 or 1, size}:
            proof_c = services.prove_consistency(db, first=first, second=size)
            merkle.verify_consistency(first, size, proof_c.hashes, roots[first], roots[size])


def test_bad_proof_requests_are_400(bulk: Callable[[list[bytes]], int], db: Session) -> None:
    with pytest.raises(NotFound, match="empty"):
        services.prove_inclusion(db, index=0, tree_size=None)
    bulk([b"a", b"b", b"c"])
    db.rollback()
    for index, size in [(3, None), (0, 0), (0, 4), (-1, 2)]:
        with pytest.raises(services.BadLogRequest) as raised:
            services.prove_inclusion(db, index=index, tree_size=size)
        assert raised.value.status_code == 400
    for first, second in [(0, 3), (3, 2), (1, 4)]:
        with pytest.raises(services.BadLogRequest):
            services.prove_consistency(db, first=first, second=second)


def _tamper(engine: Engine, statement: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement))


def test_the_signer_refuses_a_tree_that_does_not_extend_the_signed_one(
    publish: Publish, engine: Engine, db: Session
) -> None:
    for n in range(5):
        publish({"n": n})
    # A damaged (or altered) stored hash: the next tree head would not extend the signed one.
    _tamper(
        engine,
        "UPDATE log_tiles SET hashes = zeroblob(length(hashes))"
        if engine.dialect.name == "sqlite"
        else "UPDATE log_tiles SET hashes = decode(repeat('00', length(hashes)), 'hex')",
    )
    with pytest.raises(LogIntegrityError, match=r"does not extend|missing|match"):
        publish({"n": 5})
    assert services.signed_size(db) == 5


def test_the_signer_refuses_a_second_root_for_a_signed_size(
    publish: Publish, engine: Engine, db: Session
) -> None:
    for n in range(3):
        publish({"n": n})
    with engine.connect() as conn:
        tiles_at_3 = [dict(r._mapping) for r in conn.execute(LogTile.__table__.select())]
        head_at_3 = dict(conn.execute(LogHead.__table__.select()).one()._mapping)
    publish({"n": 3})
    # The log goes back to size 3 (a restored backup, a bug) while checkpoint 4 is out there.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM log_segments WHERE start = 3"))
        conn.execute(text("DELETE FROM log_records WHERE idx = 3"))
        conn.execute(text("DELETE FROM log_tiles"))
        conn.execute(text("DELETE FROM log_head"))
        conn.execute(LogTile.__table__.insert(), tiles_at_3)
        conn.execute(LogHead.__table__.insert(), [head_at_3])
    with pytest.raises(LogIntegrityError, match="second root for size 4"):
        publish({"n": "something else"})
    assert sorted(db.scalars(select(LogCheckpoint.size)).all()) == [1, 2, 3, 4]


def test_audit_passes_on_a_sound_log_and_names_each_fault(
    publish: Publish,
    bulk: Callable[[list[bytes]], int],
    engine: Engine,
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    publish({"n": 1})
    bulk([b"raw %d" % i for i in range(300)])
    publish({"n": 2})

    def run() -> None:
        with session_factory() as work:
            audit(work, settings=settings)

    with session_factory() as work:
        report = audit(work, settings=settings)
    assert (report.size, report.checkpoints, report.records) == (302, 3, 2)

    _tamper(engine, "UPDATE log_records SET subject = 'someone else' WHERE idx = 0")
    with pytest.raises(LogIntegrityError, match="record 0"):
        run()
    _tamper(engine, "UPDATE log_records SET subject = 'example-org' WHERE idx = 0")
    run()
    _tamper(engine, "DELETE FROM log_checkpoints WHERE size = 302")
    with pytest.raises(LogIntegrityError, match="not signed"):
        run()


def test_the_head_row_is_made_once(session_factory: sessionmaker[Session], db: Session) -> None:
    with unit_of_work(session_factory) as work:
        first = store.lock_head(work, origin="a/log")
        again = store.lock_head(work, origin="b/log")
        assert first is again
        assert again.origin == "a/log"
    assert store.read_head(db) is not None
