"""A full audit of the log as stored: rebuild everything from the entries and compare.

The operator's check after a crash, a restore or a suspicion (``accord log audit``), and the
crash and concurrency tests' verdict. It reads every entry, so it is O(n): the hub never runs
it on a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.transparency import merkle, note, rotation, store, tiles
from accord.transparency.envelope import Envelope, EnvelopeError
from accord.transparency.merkle import Node
from accord.transparency.models import LogCheckpoint, LogRecord, LogSegment, LogTile
from accord.transparency.store import LogIntegrityError
from accord.transparency.tiles import TileRows


@dataclass(frozen=True)
class AuditReport:
    """What the audit found to hold."""

    size: int
    root_hash: bytes
    checkpoints: int
    records: int


def audit(db: Session, *, settings: Settings) -> AuditReport:
    """Check every entry, tile, record and checkpoint; raise LogIntegrityError on a fault."""
    built: dict[tuple[int, int], TileRows] = {}
    head = store.read_head(db)
    # The tiles cover the entries up to the last checkpoint; those appended since wait for
    # the next one (the cadence), and are checked against their records only.
    tree_size = head.tree_size if head is not None else 0
    leaf_hashes = _rebuild(db, built, tree_size)
    size = len(leaf_hashes)
    _compare_tiles(db, built)

    def read(nodes: Sequence[Node]) -> dict[Node, bytes]:
        return {node: tiles.read_node(built, node) for node in nodes}

    root_hash = merkle.root(tree_size, read) if tree_size <= size else b""
    if head is None and size:
        raise LogIntegrityError("entries exist but the log has no head")
    if head is not None and head.size != size:
        raise LogIntegrityError(f"the head says size {head.size}, the entries make {size}")
    if head is not None and head.root_hash != root_hash:
        raise LogIntegrityError(f"the head's root is not the tree of {tree_size} entries")
    checkpoints = _check_checkpoints(db, settings, tree_size, read)
    records = _check_records(db, leaf_hashes)
    return AuditReport(size=size, root_hash=root_hash, checkpoints=checkpoints, records=records)


def _rebuild(db: Session, built: dict[tuple[int, int], TileRows], tree_size: int) -> list[bytes]:
    leaf_hashes: list[bytes] = []
    for segment in db.execute(select(LogSegment).order_by(LogSegment.start)).scalars():
        if segment.start != len(leaf_hashes):
            raise LogIntegrityError(f"entries jump from {len(leaf_hashes)} to {segment.start}")
        try:
            entries = tiles.decode_bundle(segment.data)
        except ValueError as exc:
            raise LogIntegrityError(f"segment {segment.start}: {exc}") from None
        if len(entries) != segment.count:
            raise LogIntegrityError(f"segment {segment.start} holds {len(entries)} entries")
        if (
            segment.start // tiles.TILE_WIDTH
            != (segment.start + segment.count - 1) // tiles.TILE_WIDTH
        ):
            raise LogIntegrityError(f"segment {segment.start} crosses an entry bundle")
        hashes = [merkle.hash_leaf(e) for e in entries]
        if len(leaf_hashes) < tree_size:
            tiles.grow(built, len(leaf_hashes), hashes[: tree_size - len(leaf_hashes)])
        leaf_hashes.extend(hashes)
        db.expunge(segment)
    return leaf_hashes


def _compare_tiles(db: Session, built: dict[tuple[int, int], TileRows]) -> None:
    stored = 0
    for row in db.execute(select(LogTile)).scalars():
        stored += 1
        expected = built.get((row.level, row.idx))
        if expected is None or (row.width, row.hashes) != (expected.width, expected.to_bytes()):
            raise LogIntegrityError(f"tile {row.level}/{row.idx} does not match the entries")
    if stored != len(built):
        raise LogIntegrityError(f"{len(built) - stored} tiles are missing")


def _check_checkpoints(db: Session, settings: Settings, size: int, read: merkle.NodeReader) -> int:
    verifiers = rotation.verifiers(db, settings=settings)
    rows = list(db.execute(select(LogCheckpoint).order_by(LogCheckpoint.size)).scalars())
    previous: LogCheckpoint | None = None
    for row in rows:
        try:
            signed = note.Checkpoint.parse(note.open_note(row.note, verifiers))
        except note.NoteError as exc:
            raise LogIntegrityError(f"checkpoint {row.size}: {exc}") from None
        if (signed.size, signed.root_hash) != (row.size, row.root_hash):
            raise LogIntegrityError(f"checkpoint {row.size}: its note says otherwise")
        if row.size > size or merkle.root(row.size, read) != row.root_hash:
            raise LogIntegrityError(f"checkpoint {row.size} is not a tree of these entries")
        if previous is not None and previous.size > 0:
            proof = merkle.consistency_proof(previous.size, row.size, read)
            try:
                merkle.verify_consistency(
                    previous.size, row.size, proof, previous.root_hash, row.root_hash
                )
            except merkle.ProofError as exc:
                raise LogIntegrityError(f"checkpoints {previous.size}, {row.size}: {exc}") from None
        previous = row
    if size and (previous is None or previous.size != size):
        raise LogIntegrityError(f"the tree of {size} entries is not signed")
    return len(rows)


def _check_records(db: Session, leaf_hashes: list[bytes]) -> int:
    count = 0
    for record in db.execute(select(LogRecord)).scalars():
        count += 1
        if record.idx >= len(leaf_hashes) or leaf_hashes[record.idx] != record.leaf_hash:
            raise LogIntegrityError(f"record {record.idx} does not match entry {record.idx}")
        try:
            envelope = Envelope.from_entry(store.read_entry(db, record.idx) or b"")
        except EnvelopeError as exc:
            raise LogIntegrityError(f"entry {record.idx}: {exc}") from None
        said = (envelope.type, envelope.subject, envelope.sha256, envelope.document is not None)
        kept = (record.entry_type, record.subject, record.document_sha256, record.public)
        if said != kept:
            raise LogIntegrityError(f"record {record.idx} says otherwise than its entry")
    return count
