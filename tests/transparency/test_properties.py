"""Property tests of the stored log: for random logs of up to a few thousand entries, every
proof the hub produces verifies, and any flipped bit, wrong index or wrong size fails."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from accord.db import make_sessionmaker
from accord.transparency import merkle, published, services
from accord.transparency.merkle import ProofError

LOG_TABLES = ("log_keys", "log_records", "log_checkpoints", "log_segments", "log_tiles", "log_head")


def _empty(engine: Engine, data_dir: Path) -> None:
    with engine.begin() as conn:
        for table in LOG_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (our own table names)
    # A new log: what the old one published goes too, or its first signature is a fork.
    (data_dir / published.FILE).unlink(missing_ok=True)


def _flip(hashes: list[bytes], which: int, bit: int) -> list[bytes]:
    changed = bytearray(hashes[which])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*hashes[:which], bytes(changed), *hashes[which + 1 :]]


def _fails(check: Callable[[], None]) -> bool:
    try:
        check()
    except ProofError:
        return True
    return False


def test_stored_proofs_verify_and_every_alteration_fails(
    bulk: Callable[[list[bytes]], int], engine: Engine, data_dir: Path
) -> None:
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(chunks=st.lists(st.integers(1, 900), min_size=1, max_size=6), data=st.data())
    def check(chunks: list[int], data: st.DataObject) -> None:
        _empty(engine, data_dir)
        entries: list[bytes] = []
        for chunk in chunks:
            batch = [b"entry %d" % (len(entries) + i) for i in range(chunk)]
            bulk(batch)
            entries.extend(batch)
        leaves = [merkle.hash_leaf(e) for e in entries]

        @cache
        def root(size: int) -> bytes:
            return merkle.root_of(leaves[:size])

        size = len(entries)
        with make_sessionmaker(engine, read_only=True)() as db:
            for _ in range(4):
                n = data.draw(st.integers(1, size), label="tree_size")
                i = data.draw(st.integers(0, n - 1), label="index")
                _check_inclusion(db, data, leaves, root, i, n, size)
                m = data.draw(st.integers(1, n), label="first")
                _check_consistency(db, data, root, m, n, size)

    check()


def _check_inclusion(
    db: Session,
    data: st.DataObject,
    leaves: list[bytes],
    root: Callable[[int], bytes],
    i: int,
    n: int,
    size: int,
) -> None:
    proof = services.prove_inclusion(db, index=i, tree_size=n).hashes
    merkle.verify_inclusion(i, n, leaves[i], proof, root(n))
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1), label="flipped hash")
        bit = data.draw(st.integers(0, 255), label="flipped bit")
        flipped = _flip(proof, which, bit)
        assert _fails(lambda: merkle.verify_inclusion(i, n, leaves[i], flipped, root(n)))
    if n > 1:
        other = data.draw(st.integers(0, n - 1).filter(lambda x: x != i), label="wrong index")
        assert _fails(lambda: merkle.verify_inclusion(other, n, leaves[i], proof, root(n)))
    if size > i + 1:
        wrong = data.draw(st.integers(i + 1, size).filter(lambda x: x != n), label="wrong size")
        assert _fails(lambda: merkle.verify_inclusion(i, wrong, leaves[i], proof, root(wrong)))


def _check_consistency(
    db: Session, data: st.DataObject, root: Callable[[int], bytes], m: int, n: int, size: int
) -> None:
    proof = services.prove_consistency(db, first=m, second=n).hashes
    merkle.verify_consistency(m, n, proof, root(m), root(n))
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1), label="flipped hash")
        bit = data.draw(st.integers(0, 255), label="flipped bit")
        flipped = _flip(proof, which, bit)
        assert _fails(lambda: merkle.verify_consistency(m, n, flipped, root(m), root(n)))
    if n > 1:
        first = data.draw(st.integers(1, n).filter(lambda x: x != m), label="wrong first")
        assert _fails(lambda: merkle.verify_consistency(first, n, proof, root(first), root(n)))
    if size > m:
        second = data.draw(st.integers(m, size).filter(lambda x: x != n), label="wrong second")
        assert _fails(lambda: merkle.verify_consistency(m, second, proof, root(m), root(second)))
