"""Publications sharing a transaction: the entries after the first are written at its commit.

Each still learns its index at once, the indexes follow one another with no hole, a rolled-back
transaction leaves nothing (and its indexes are handed out again), a checkpoint signed inside
the transaction covers every publication before it, and a reservation that no longer holds
refuses the commit rather than writing entries where others are.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.transparency import audit, batching, merkle, services, store
from accord.transparency.batching import Publications
from accord.transparency.store import LogIntegrityError


@pytest.fixture
def cadence(own_log: Settings) -> Settings:
    """An empty log whose cadence never fires by itself here."""
    return own_log.model_copy(update={"log_checkpoint_seconds": 3600.0})


def _append(db: Session, settings: Settings, n: int, **extra: Any) -> services.LogEntryRef:
    return services.append(
        db,
        settings=settings,
        entry_type="registry.signature",
        subject_id=f"org-{n}",
        document={"n": n},
        **extra,
    )


def _entries(sessions: sessionmaker[Session], size: int) -> list[bytes]:
    with unit_of_work(sessions) as db:
        head = store.read_head(db)
        assert head is not None
        assert head.size == size
        return store.read_entries(db, 0, size)


def test_a_batch_writes_its_publications_at_the_commit(
    cadence: Settings, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as db:  # the log's first publication, signed at once
        _append(db, cadence, 0)
    with unit_of_work(session_factory) as db:
        batching.batch_appends(db)
        refs = [_append(db, cadence, n) for n in range(1, 6)]
        batch = batching.batch_of(db)
        assert batch is not None
        assert len(batch.entries) == 4  # the first is written; four wait for the commit
    assert [r.index for r in refs] == [1, 2, 3, 4, 5]
    entries = _entries(session_factory, 6)
    assert [merkle.hash_leaf(e) for e in entries[1:]] == [r.leaf_hash for r in refs]
    with unit_of_work(session_factory) as db:
        checkpoint = services.sign_latest(db, settings=cadence)
        assert checkpoint.size == 6
        assert audit.audit(db, settings=cadence).size == 6
        for ref in refs:
            assert services.record_at(db, ref.index) is not None


def test_a_rolled_back_batch_leaves_nothing(
    cadence: Settings, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as db:
        _append(db, cadence, 0)

    def refused() -> None:
        with unit_of_work(session_factory) as db:
            batching.batch_appends(db)
            for n in range(1, 4):
                _append(db, cadence, n)
            raise RuntimeError("refused")

    with pytest.raises(RuntimeError, match="refused"):
        refused()
    assert len(_entries(session_factory, 1)) == 1
    # The indexes are handed out again, to what commits.
    with unit_of_work(session_factory) as db:
        batching.batch_appends(db)
        refs = [_append(db, cadence, n) for n in range(10, 13)]
    assert [r.index for r in refs] == [1, 2, 3]
    assert len(_entries(session_factory, 4)) == 4


def test_a_checkpoint_signed_in_a_batch_covers_every_publication_before_it(
    cadence: Settings, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as db:
        _append(db, cadence, 0)
    with unit_of_work(session_factory) as db:
        batching.batch_appends(db)
        refs = [_append(db, cadence, n) for n in range(1, 4)]
        refs.append(_append(db, cadence, 4, sign=True))
        refs.append(_append(db, cadence, 5))  # after the signature: in the next one
    assert [r.index for r in refs] == [1, 2, 3, 4, 5]
    with unit_of_work(session_factory) as db:
        checkpoint = services.latest_checkpoint(db)
        assert checkpoint is not None
        assert checkpoint.size == 5
        assert services.pending(db) == 1
        leaves = [merkle.hash_leaf(e) for e in store.read_entries(db, 0, 5)]
        assert checkpoint.root_hash == merkle.root_of(leaves)
        assert audit.audit(db, settings=cadence).size == 6


def test_a_lost_reservation_refuses_the_commit(
    cadence: Settings, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as db:
        _append(db, cadence, 0)
    with session_factory() as db:
        batching.batch_appends(db)
        _append(db, cadence, 1)
        batch = batching.batch_of(db)
        assert batch is not None
        assert batch.start is not None
        batch.start += 3  # as if another writer had appended meanwhile
        _append(db, cadence, 2)
        with pytest.raises(LogIntegrityError, match="moved"):
            db.commit()
        db.rollback()
    assert len(_entries(session_factory, 1)) == 1


def test_publishers_share_commits_and_get_every_index_once(
    cadence: Settings, session_factory: sessionmaker[Session]
) -> None:
    group = Publications(session_factory, most=8)
    acks: list[services.LogEntryRef] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def publisher(number: int) -> None:
        for n in range(10):
            # One in ten refuses after appending: it alone gets its error.
            def work(db: Session, n: int = n) -> services.LogEntryRef:
                ref = _append(db, cadence, number * 100 + n)
                if n == 9 and number % 2:
                    raise ValueError(f"refused {number}")
                return ref

            try:
                ref = group.run(work)
            except ValueError as exc:
                with lock:
                    failures.append(exc)
                continue
            with lock:
                acks.append(ref)

    threads = [threading.Thread(target=publisher, args=(k,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(failures) == 3
    assert sorted(r.index for r in acks) == list(range(len(acks)))
    entries = _entries(session_factory, len(acks))
    by_index = {r.index: r.leaf_hash for r in acks}
    assert [merkle.hash_leaf(e) for e in entries] == [by_index[i] for i in range(len(acks))]
    with unit_of_work(session_factory) as db:
        services.sign_latest(db, settings=cadence)
        assert audit.audit(db, settings=cadence).size == len(acks)


def test_lone_publications_and_batches_follow_one_another(
    cadence: Settings, session_factory: sessionmaker[Session]
) -> None:
    """Publications alone (on SQLite they leave the head's size behind the last entry, which
    is read as the size) then a batch, then alone again: one run of indexes, every reader and
    the signer see all of them."""
    indexes = []
    for n in range(3):
        with unit_of_work(session_factory) as db:
            indexes.append(_append(db, cadence, n).index)
    with unit_of_work(session_factory) as db:
        assert services.pending(db) == 3
        batching.batch_appends(db)
        indexes += [_append(db, cadence, n).index for n in range(3, 6)]
    with unit_of_work(session_factory) as db:
        indexes.append(_append(db, cadence, 6).index)
    assert indexes == list(range(7))
    assert len(_entries(session_factory, 7)) == 7
    with unit_of_work(session_factory) as db:
        assert services.pending(db) == 7
        assert audit.audit(db, settings=cadence).size == 7
        assert services.sign_latest(db, settings=cadence).size == 7
    with unit_of_work(session_factory) as db:
        assert services.pending(db) == 0
        head = store.read_head(db)
        assert head is not None
        assert (head.size, head.tree_size) == (7, 7)
