"""The transparency log's rules: appending publications and signing tree heads.

Other domains call :func:`append` inside the transaction that publishes, so a publication and
its entry commit or roll back together. The publication learns its index at once; one
checkpoint, signed at most every ``log_checkpoint_seconds`` (and at once when asked), covers
every entry appended since the last. Readers see only what a signed checkpoint covers, and
the signer refuses a tree that does not extend the last one it signed. What readers are given
(proofs, entries, records, tiles) is in ``reads.py``, re-exported here for the callers that
reach the whole log through this module.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.background import Every
from accord.clock import utcnow
from accord.config import Settings
from accord.db import FIRST, make_sessionmaker, unit_of_work
from accord.errors import N_, InvalidInput, Message
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
from accord.transparency.merkle import ProofError
from accord.transparency.models import LogCheckpoint, LogHead
from accord.transparency.note import Checkpoint, Verifier, sign_checkpoint
from accord.transparency.reads import (
    BadLogRequest,
    ConsistencyProof,
    InclusionProof,
    NotYetSigned,
    b64,
    check_tree_size,
    entry_at,
    entry_bundle,
    index_of_leaf,
    parse_hash,
    prove_consistency,
    prove_inclusion,
    recent_records,
    record_at,
    records_for_document,
    signed_size,
    tile,
)
from accord.transparency.store import LogIntegrityError
from accord.transparency.tiles import MAX_ENTRY_BYTES


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

    The entry is in the next signed checkpoint, which the cadence signs (:func:`sign_if_due`,
    every ``settings.log_checkpoint_seconds``, over every entry appended since the last): the
    publication never waits for it. ``sign=None`` (the default) leaves it to the cadence, but
    signs in this transaction when the interval is 0 (a checkpoint per publication: the tests'
    hub); ``True`` signs now, for a caller that must hand out the proof at once; ``False``
    never.
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
    if sign or (sign is None and settings.log_checkpoint_seconds <= 0):
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


def sign_without_cadence(db: Session, *, settings: Settings) -> None:
    """For a bulk caller that appended with ``sign=False``: sign in this transaction when the
    hub signs one checkpoint per transaction (interval 0), else leave it to the cadence."""
    if settings.log_checkpoint_seconds <= 0:
        sign_latest(db, settings=settings)


def pending(db: Session) -> int:
    """How many appended entries wait for a signed checkpoint (committed ones, unlocked)."""
    head = store.read_head(db)
    return 0 if head is None else head.size - signed_size(db)


def sign_if_due(
    sessions: sessionmaker[Session],
    *,
    settings: Settings,
    reader: sessionmaker[Session] | None = None,
) -> LogCheckpoint | None:
    """The cadence: sign one checkpoint over the entries waiting, if the interval has passed.

    Run every ``log_checkpoint_seconds`` by the web process (and by ``accord log sign``): a
    publication's entry is in a signed checkpoint within about one interval of its commit,
    whether or not another publication follows it. Several processes may run it: the head
    lock makes them sign one after the other, and one finding nothing new signs nothing.
    """
    with unit_of_work(reader or sessions) as db:  # asked of a reader: no write turn taken
        if not pending(db) or not _due(db, settings):
            return None
    return _sign_waiting(sessions, settings=settings)


def sign_pending(sessions: sessionmaker[Session], *, settings: Settings) -> LogCheckpoint | None:
    """Sign one checkpoint now over the entries waiting, if any (on demand, whatever the
    interval: a bulk import or a worker's run ending, where no cadence follows)."""
    with unit_of_work(sessions) as db:
        if not pending(db):
            return None
    return _sign_waiting(sessions, settings=settings)


def _sign_waiting(sessions: sessionmaker[Session], *, settings: Settings) -> LogCheckpoint | None:
    with unit_of_work(sessions) as db:
        head = origin.locked_head(db, settings=settings)
        last = latest_checkpoint(db)
        if last is not None and last.size == head.size:
            return None
        return sign_tree_head(db, settings=settings, head=head)


def cadence(sessions: sessionmaker[Session], *, settings: Settings) -> Every:
    """The thread that signs the entries waiting every interval (:func:`sign_if_due`): run by
    the web process and by ``accord worker``, whichever publishes."""
    # First in line for SQLite's write turn: a steady stream of publications must not keep
    # the signer waiting past its budget (accord.db.WriteTurn).
    engine = sessions.kw["bind"]
    first = make_sessionmaker(engine.execution_options(**{FIRST: True}))
    reader = make_sessionmaker(engine, read_only=True)
    return Every(
        lambda: sign_if_due(first, settings=settings, reader=reader),
        seconds=settings.log_checkpoint_seconds,
        name="accord-log-cadence",
        failure="signing the log's checkpoint failed",
    )


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


def log_verifier(db: Session, *, settings: Settings) -> Verifier:
    """The public key that signs this hub's checkpoints, under the log's origin."""
    return keys.load_signer(settings, origin.current(db, settings=settings)).verifier


# The readers' side stays importable from here: other domains reach the log as ``log.<name>``.
__all__ = [
    "BadLogRequest",
    "ConsistencyProof",
    "InclusionProof",
    "LogEntryRef",
    "NotYetSigned",
    "append",
    "append_entries",
    "b64",
    "cadence",
    "check_tree_size",
    "current_checkpoint",
    "entry_at",
    "entry_bundle",
    "index_of_leaf",
    "latest_checkpoint",
    "log_verifier",
    "parse_hash",
    "pending",
    "prove_consistency",
    "prove_inclusion",
    "recent_records",
    "record_at",
    "records_for_document",
    "sign_if_due",
    "sign_latest",
    "sign_pending",
    "sign_tree_head",
    "sign_without_cadence",
    "signed_size",
    "tile",
]
