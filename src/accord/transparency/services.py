"""The transparency log's rules: appending publications, signing tree heads, proving.

Other domains call :func:`append` inside the transaction that publishes, so a publication and
its entry commit or roll back together. The publication learns its index at once; one
checkpoint, signed at most every ``log_checkpoint_seconds`` (and at once when asked), covers
every entry appended since the last. Readers see only what a signed checkpoint covers, and
the signer refuses a tree that does not extend the last one it signed.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import N_, AccordError, InvalidInput, Message, NotFound
from accord.transparency import (
    batching,
    keys,
    merkle,
    origin,
    published,
    rotation,
    store,
    witnessing,
)
from accord.transparency.envelope import make_envelope
from accord.transparency.merkle import HASH_SIZE, ProofError
from accord.transparency.models import LogCheckpoint, LogHead, LogRecord
from accord.transparency.note import Checkpoint, Verifier, sign_checkpoint
from accord.transparency.store import LogIntegrityError
from accord.transparency.tiles import MAX_ENTRY_BYTES, TILE_HEIGHT, TILE_WIDTH, encode_bundle


class BadLogRequest(AccordError):
    """A malformed log request (a size or index out of range, a bad hash): answered 400."""


@dataclass(frozen=True)
class LogEntryRef:
    """Where an appended entry sits: its index and RFC 9162 leaf hash."""

    index: int
    leaf_hash: bytes


def append(
    db: Session,
    *,
    settings: Settings,
    entry_type: str,
    subject_id: str,
    document: Mapping[str, Any] | None,
    document_sha256: str | None = None,
    sign: bool | None = None,
) -> LogEntryRef:
    """Log a publication in the caller's transaction; its index is known at once.

    ``document`` is the public JSON document (its digest is computed from its RFC 8785 form);
    a private one passes ``document=None`` and its ``document_sha256`` alone is logged.
    ``entry_type`` names the kind (``registry.signature``), ``subject_id`` what it is about.

    The entry is in the next signed checkpoint: ``sign=None`` (the default) signs one in this
    transaction when the last is older than ``settings.log_checkpoint_seconds`` (always when
    that is 0), else leaves it to the cadence (:func:`sign_if_due`, every interval); ``True``
    signs now; ``False`` never (a bulk caller then calls :func:`sign_latest` once before its
    transaction commits).
    """
    envelope = make_envelope(
        entry_type=entry_type,
        subject_id=subject_id,
        time=utcnow(),
        document=document,
        document_sha256=document_sha256,
    )
    entry = envelope.to_entry()
    if len(entry) > MAX_ENTRY_BYTES:
        raise InvalidInput(
            Message(
                N_(
                    "the document is too large to log (%(count)s bytes with its envelope, at "
                    "most %(MAX_ENTRY_BYTES)s); log its digest alone"
                ),
                count=len(entry),
                MAX_ENTRY_BYTES=MAX_ENTRY_BYTES,
            ),
            field="document",
        )
    # The entry alone: its record is written with the tiles, before the next checkpoint.
    # In a batch (accord.transparency.batching), past the transaction's first publication,
    # the entry is written at the commit with the others. Else one statement stores it:
    # PostgreSQL raises the head with it (one round trip), SQLite puts it after the last
    # entry and leaves the head to catch up (one page changed: store.reserve_and_write).
    configured = keys.origin_for(settings)
    batch = batching.batch_of(db)
    index = None if batch is None else batch.take(configured, entry)
    if index is None:
        index = store.reserve_and_write(db, origin=configured, entry=entry)
        if index is None:
            index = _reserve(db, settings=settings, count=1)
            store.write_entries(db, index, [entry])
        if batch is not None:
            batch.started(configured, index)
    (leaf_hash,) = merkle.hash_leaves([entry])
    if sign or (sign is None and _due(db, settings)):
        sign_latest(db, settings=settings)
    return LogEntryRef(index=index, leaf_hash=leaf_hash)


_LAST_SIGNED = select(LogCheckpoint.signed_at).order_by(LogCheckpoint.size.desc()).limit(1)


def _reserve(db: Session, *, settings: Settings, count: int) -> int:
    # One UPDATE on the head row; the first append, and one under another origin (which
    # origin.locked_head adopts or refuses), lock the row the long way first.
    configured = keys.origin_for(settings)
    first = store.reserve(db, origin=configured, count=count)
    if first is None:
        origin.locked_head(db, settings=settings)
        db.flush()
        first = store.reserve(db, origin=configured, count=count)
        if first is None:
            raise LogIntegrityError("the log's head could not be locked")
    return first


# When this process last saw a checkpoint signed (monotonic clock), by database URL: until an
# interval has passed since, no checkpoint can be due, and a publication skips the query.
_seen_signed: dict[str, float] = {}


def _database(db: Session) -> str:
    return db.connection().engine.url.render_as_string(hide_password=True)


def _due(db: Session, settings: Settings) -> bool:
    interval = settings.log_checkpoint_seconds
    if interval <= 0:
        return True
    key = _database(db)
    seen = _seen_signed.get(key)
    if seen is not None and time.monotonic() - seen < interval:
        return False
    last = db.connection().scalar(_LAST_SIGNED)
    if last is None:
        return True
    age = (utcnow() - _aware(last)).total_seconds()
    _seen_signed[key] = time.monotonic() - max(age, 0.0)
    return age >= interval


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def sign_latest(db: Session, *, settings: Settings) -> LogCheckpoint:
    """Sign the tree as it now stands in ``db``'s transaction (after unsigned appends)."""
    head = origin.locked_head(db, settings=settings)
    return sign_tree_head(db, settings=settings, head=head)


def pending(db: Session) -> int:
    """How many appended entries wait for a signed checkpoint (committed ones, unlocked)."""
    head = store.read_head(db)
    return 0 if head is None else head.size - signed_size(db)


def sign_if_due(sessions: sessionmaker[Session], *, settings: Settings) -> LogCheckpoint | None:
    """The cadence: sign one checkpoint over the entries waiting, if the interval has passed.

    Run every ``log_checkpoint_seconds`` by the web process (and by ``accord log sign``): a
    publication's entry is in a signed checkpoint within about one interval of its commit,
    whether or not another publication follows it. Several processes may run it: the head
    lock makes them sign one after the other, and one finding nothing new signs nothing.
    """
    with unit_of_work(sessions) as db:
        if not pending(db) or not _due(db, settings):
            return None
    with unit_of_work(sessions) as db:
        head = origin.locked_head(db, settings=settings)
        last = latest_checkpoint(db)
        if last is not None and last.size == head.size:
            return None
        return sign_tree_head(db, settings=settings, head=head)


def append_entries(db: Session, *, settings: Settings, entries: Sequence[bytes]) -> int:
    """Append raw entries in one batch and sign once; returns the first one's index.

    The bulk path (imports, the benchmark): entries are logged as given, without records.
    """
    head = origin.locked_head(db, settings=settings)
    first = head.size
    store.append_leaves(db, head, entries, build=True)
    sign_tree_head(db, settings=settings, head=head)
    return first


def sign_tree_head(db: Session, *, settings: Settings, head: LogHead) -> LogCheckpoint:
    """Sign the locked head, after checking that it extends the last signed checkpoint.

    The tiles are grown over the entries appended since the last signature first: one
    checkpoint covers every entry appended before it.
    """
    store.build_tree(db, head)
    last = latest_checkpoint(db)
    if last is not None:
        _check_extends(db, last, head)
        if last.size == head.size:
            _republish(db, settings=settings, last=last)
            return last
    _check_published(db, settings=settings, last=last, head=head)
    signer = rotation.signer(db, settings=settings, name=head.origin)
    note = sign_checkpoint(Checkpoint(head.origin, head.size, head.root_hash), signer)
    checkpoint = LogCheckpoint(
        size=head.size, root_hash=head.root_hash, note=note, signed_at=utcnow()
    )
    db.add(checkpoint)
    db.flush()
    _seen_signed[_database(db)] = time.monotonic()
    published.after_commit(db, settings=settings, size=head.size, note=note)
    witnessing.request_cosignatures(db, settings=settings)
    return checkpoint


def _republish(db: Session, *, settings: Settings, last: LogCheckpoint) -> None:
    # A process killed between a checkpoint's commit and the writing of the published file
    # left the file behind the database: the next signature brings it up to date.
    found = published.read(settings)
    if found is None or found[0].size < last.size:
        published.after_commit(db, settings=settings, size=last.size, note=last.note)


def _check_published(
    db: Session, *, settings: Settings, last: LogCheckpoint | None, head: LogHead
) -> None:
    # The checkpoint kept outside the database is the promise made to the world; the head
    # extends the database's last one (checked above), so only a different one needs a proof.
    found = published.read(settings)
    if found is None:
        return
    if last is not None and (last.size, last.root_hash) == (found[0].size, found[0].root_hash):
        return
    published.check_head(db, settings=settings, size=head.size, root_hash=head.root_hash)


def _check_extends(db: Session, last: LogCheckpoint, head: LogHead) -> None:
    # The checkpoint signed last is the promise to keep: refuse anything but an extension.
    if last.size > head.size:
        raise LogIntegrityError(
            f"refusing to sign size {head.size}: size {last.size} was signed already"
        )
    if last.size == head.size:
        if last.root_hash != head.root_hash:
            raise LogIntegrityError(f"refusing to sign a second root for size {head.size}")
        return
    if last.size == 0:
        return  # the empty tree is a prefix of every tree (and has no consistency proof)
    proof = merkle.consistency_proof(last.size, head.size, store.node_reader(db))
    try:
        merkle.verify_consistency(last.size, head.size, proof, last.root_hash, head.root_hash)
    except ProofError as exc:
        raise LogIntegrityError(
            f"refusing to sign size {head.size}: it does not extend size {last.size} ({exc})"
        ) from None


def latest_checkpoint(db: Session) -> LogCheckpoint | None:
    """The newest signed checkpoint, or None while the log is empty."""
    return db.scalars(select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)).first()


def current_checkpoint(db: Session, *, settings: Settings) -> LogCheckpoint:
    """The newest signed checkpoint; while nothing is logged, a signed one of size 0.

    That one is signed when asked and not stored (a read stores nothing): Ed25519 signs
    deterministically, so it reads the same every time.
    """
    checkpoint = latest_checkpoint(db)
    if checkpoint is not None:
        return checkpoint
    name = origin.current(db, settings=settings)
    empty = Checkpoint(name, 0, merkle.EMPTY_ROOT)
    note = sign_checkpoint(empty, keys.load_signer(settings, name))
    return LogCheckpoint(size=0, root_hash=merkle.EMPTY_ROOT, note=note, signed_at=utcnow())


_SIGNED_SIZE = select(func.max(LogCheckpoint.size))


def signed_size(db: Session) -> int:
    """The size of the newest signed checkpoint (0 while the log is empty)."""
    # On the connection, past the ORM: every proof asks this first.
    return db.connection().scalar(_SIGNED_SIZE) or 0


def log_verifier(db: Session, *, settings: Settings) -> Verifier:
    """The public key that signs this hub's checkpoints, under the log's origin."""
    return keys.load_signer(settings, origin.current(db, settings=settings)).verifier


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
    """An entry that is logged but not yet in a signed checkpoint: there in about a second."""


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
