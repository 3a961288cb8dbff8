"""What readers of the transparency log are given: proofs, entries, records and tiles.

Readers see only what a signed checkpoint covers: every size and index a request names is
checked against the newest signed one (:func:`check_tree_size`), and an entry appended since
is answered "not yet signed", not "no such entry". The writing side, appending and signing,
is in ``services.py``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.errors import N_, AccordError, Message, NotFound
from accord.transparency import merkle, store
from accord.transparency.merkle import HASH_SIZE
from accord.transparency.models import LogCheckpoint, LogRecord
from accord.transparency.store import LogIntegrityError
from accord.transparency.tiles import TILE_HEIGHT, TILE_WIDTH, encode_bundle


class BadLogRequest(AccordError):
    """A malformed log request (a size or index out of range, a bad hash): answered 400."""


_SIGNED_SIZE = select(func.max(LogCheckpoint.size))


def signed_size(db: Session) -> int:
    """The size of the newest signed checkpoint (0 while the log is empty)."""
    # On the connection, past the ORM: every proof asks this first.
    return db.connection().scalar(_SIGNED_SIZE) or 0


def b64(value: bytes) -> str:
    """Standard base64, as the C2SP specifications write hashes."""
    return base64.b64encode(value).decode()


def parse_hash(text: str, *, field: str) -> bytes:
    """A base64 SHA-256 hash from a request (standard or URL-safe alphabet)."""
    try:
        value = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except ValueError:
        raise BadLogRequest(
            Message(N_("%(field)s is not base64"), field=field), field=field
        ) from None
    if len(value) != HASH_SIZE:
        raise BadLogRequest(
            Message(N_("%(field)s must be a 32-byte SHA-256 hash"), field=field), field=field
        )
    return value


def check_tree_size(db: Session, tree_size: int | None, *, field: str = "tree_size") -> int:
    """The tree size a request asks for (default: the signed one), refusing one out of range."""
    signed = signed_size(db)
    if signed == 0:
        raise NotFound(N_("the log is empty: nothing has been published yet"))
    if tree_size is None:
        return signed
    if tree_size < 1 or tree_size > signed:
        raise BadLogRequest(
            Message(
                N_("%(field)s must be from 1 to the log's size %(signed)s"),
                field=field,
                signed=signed,
            ),
            field=field,
        )
    return tree_size


@dataclass(frozen=True)
class InclusionProof:
    """An audit path with the leaf and root it joins."""

    index: int
    tree_size: int
    leaf_hash: bytes
    root_hash: bytes
    hashes: list[bytes]


class NotYetSigned(NotFound):
    """An entry that is logged but not yet in a signed checkpoint: there in about a second.

    Its own code, and Retry-After, so that a client holding an index it was just given tells
    "wait" from "no such entry" without reading the words."""

    code = "not_yet_signed"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="index")
        self.retry_after = 1


def _check_signed(db: Session, index: int) -> None:
    # An entry appended since the last checkpoint: say when it will be readable, not "no such".
    head = store.read_head(db)
    if head is not None and signed_size(db) <= index < head.size:
        raise NotYetSigned(
            Message(
                N_(
                    "entry %(index)s is logged and will be in the next signed checkpoint (the "
                    "log signs one every few seconds at most): ask again then"
                ),
                index=index,
            )
        )


def prove_inclusion(db: Session, *, index: int, tree_size: int | None) -> InclusionProof:
    """The inclusion proof of entry ``index`` in the tree of ``tree_size`` (default: signed)."""
    if tree_size is None:
        _check_signed(db, index)
    size = check_tree_size(db, tree_size)
    if index < 0 or index >= size:
        raise BadLogRequest(
            Message(N_("index must be below the tree size %(size)s"), size=size), field="index"
        )
    ranges = [(index, index + 1), (0, size), *merkle.inclusion_ranges(index, size)]
    leaf, root, *path = merkle.hashes_of(ranges, store.node_reader(db))
    return InclusionProof(index, size, leaf, root, path)


def index_of_leaf(db: Session, *, leaf_hash: bytes, tree_size: int | None) -> int:
    """The first index of a leaf hash among the hub's records within ``tree_size``."""
    size = check_tree_size(db, tree_size)
    index = db.scalar(
        select(LogRecord.idx)
        .where(LogRecord.leaf_hash == leaf_hash, LogRecord.idx < size)
        .order_by(LogRecord.idx)
        .limit(1)
    )
    if index is None:
        raise NotFound(
            Message(N_("no entry with this leaf hash in the tree of size %(size)s"), size=size)
        )
    return index


@dataclass(frozen=True)
class ConsistencyProof:
    """A consistency proof with the two roots it joins."""

    first: int
    second: int
    first_root: bytes
    second_root: bytes
    hashes: list[bytes]


def prove_consistency(db: Session, *, first: int, second: int | None) -> ConsistencyProof:
    """The proof that the tree of ``first`` leaves is a prefix of the one of ``second``."""
    second = check_tree_size(db, second, field="second")
    if first < 1:
        raise BadLogRequest(N_("first must be at least 1"), field="first")
    if first > second:
        raise BadLogRequest(
            Message(N_("first must not exceed second (%(second)s)"), second=second), field="first"
        )
    ranges = [(0, first), (0, second), *merkle.consistency_ranges(first, second)]
    first_root, second_root, *path = merkle.hashes_of(ranges, store.node_reader(db))
    return ConsistencyProof(first, second, first_root, second_root, path)


def entry_at(db: Session, index: int) -> bytes:
    """Entry ``index`` of the signed log; NotFound past its end (NotYetSigned if logged)."""
    _check_signed(db, index)
    if index < 0 or index >= signed_size(db):
        raise NotFound(Message(N_("the log has no entry %(index)s"), index=index))
    entry = store.read_entry(db, index)
    if entry is None:
        raise LogIntegrityError(f"entry {index} is missing")
    return entry


def records_for_document(db: Session, sha256: str) -> list[LogRecord]:
    """The entries that record a document with this hex SHA-256, oldest first."""
    return list(
        db.scalars(
            select(LogRecord)
            .where(LogRecord.document_sha256 == sha256.lower())
            .order_by(LogRecord.idx)
            .limit(100)
        )
    )


def recent_records(db: Session, *, limit: int = 20, before: int | None = None) -> list[LogRecord]:
    """The newest records, newest first; page with ``before`` (an index)."""
    query = select(LogRecord).order_by(LogRecord.idx.desc()).limit(limit)
    if before is not None:
        query = query.where(LogRecord.idx < before)
    return list(db.scalars(query))


def record_at(db: Session, index: int) -> LogRecord | None:
    """The record of entry ``index``, if the hub appended it through :func:`append`."""
    return db.get(LogRecord, index)


def tile(db: Session, *, level: int, index: int, width: int) -> bytes:
    """A C2SP tile of the signed tree; NotFound unless it exists with that many hashes."""
    limit = signed_size(db) >> (TILE_HEIGHT * level)
    if (index * TILE_WIDTH + width) > limit:
        raise NotFound(N_("no such tile in the signed tree"))
    data = store.read_tile(db, level, index, width)
    if data is None:
        raise LogIntegrityError(f"tile {level}/{index} of the signed tree is missing")
    return data


def entry_bundle(db: Session, *, index: int, width: int) -> bytes:
    """A C2SP entry bundle of the signed log; NotFound unless it has ``width`` entries."""
    start = index * TILE_WIDTH
    if start + width > signed_size(db):
        raise NotFound(N_("no such entry bundle in the signed log"))
    entries = store.read_entries(db, start, start + width)
    if len(entries) != width:
        raise LogIntegrityError(f"entry bundle {index} of the signed log is incomplete")
    return encode_bundle(entries)
