"""The last checkpoint the hub published, kept outside the database too.

A database restored from an older copy would let the hub sign a second root for a size it
already published: a fork that only monitors who watched before would see. So each signed
checkpoint, once its transaction commits, is also written (atomically: a temporary file,
fsync, rename) to ``transparency-published-checkpoint`` in the data directory. At start
(:func:`check_at_start`) and before each signature (:func:`check_head`) the hub checks that the
tree it holds extends that checkpoint: the same size with the same root, or a larger tree
with a consistency proof computed from storage. A database behind what was published stops
the hub with what it found and what to do.

Several processes may commit checkpoints: a file is only ever replaced by a larger one, and
a lost race leaves an older checkpoint there, which is still a true lower bound.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.errors import ConfigError
from accord.transparency import merkle, store
from accord.transparency.merkle import ProofError
from accord.transparency.note import Checkpoint, NoteError, Verifier, open_note, split_note

logger = logging.getLogger(__name__)

FILE = "transparency-published-checkpoint"
_PENDING = "accord.transparency.published"


class BehindPublished(ConfigError):
    """The database holds less (or another history) than the hub already published."""


def path(settings: Settings) -> Path:
    """Where the last published checkpoint is kept."""
    return settings.data_dir / FILE


def read(settings: Settings) -> tuple[Checkpoint, str] | None:
    """The last published checkpoint and its signed note, or None if none was kept."""
    try:
        note = path(settings).read_text()
    except FileNotFoundError:
        return None
    try:
        return Checkpoint.parse(split_note(note)[0]), note
    except NoteError as exc:
        raise ConfigError(
            f"{path(settings)} is damaged ({exc}); restore it from a backup, or move it away "
            "if this hub's published log is known to be the database's"
        ) from None


def after_commit(db: Session, *, settings: Settings, size: int, note: str) -> None:
    """Write ``note`` to the file once ``db``'s transaction commits (not if it rolls back)."""
    db.info[_PENDING] = (settings, size, note)


@event.listens_for(Session, "after_commit")
def _write_pending(db: Session) -> None:
    pending: Any = db.info.pop(_PENDING, None)
    if pending is not None:
        settings, size, note = pending
        try:
            write(settings, size=size, note=note)
        except OSError as exc:
            # The transaction has committed: failing its caller now would report a
            # publication as failed that is not. The file stays a true lower bound.
            logger.error("could not keep the published checkpoint of size %d: %s", size, exc)


@event.listens_for(Session, "after_rollback")
def _drop_pending(db: Session) -> None:
    db.info.pop(_PENDING, None)


def write(settings: Settings, *, size: int, note: str) -> None:
    """Replace the file with ``note`` unless it already holds a larger checkpoint."""
    with contextlib.suppress(ConfigError):
        found = read(settings)
        if found is not None and found[0].size > size:
            return
    target = path(settings)
    temporary = target.with_name(f".{FILE}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(note)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def check_head(db: Session, *, settings: Settings, size: int, root_hash: bytes) -> None:
    """Refuse to go on unless the tree of ``size`` in ``db`` extends the published one."""
    found = read(settings)
    if found is None:
        return
    published = found[0]
    problem = None
    if size < published.size:
        problem = (
            f"the database holds a log of {size} entries, but this hub already published "
            f"a signed checkpoint of {published.size}"
        )
    elif size == published.size and root_hash != published.root_hash:
        problem = f"the database holds another tree of {size} entries than the one published"
    elif size > published.size > 0:
        proof = merkle.consistency_proof(published.size, size, store.node_reader(db))
        try:
            merkle.verify_consistency(published.size, size, proof, published.root_hash, root_hash)
        except ProofError:
            problem = (
                f"the database's tree of {size} entries does not extend the published "
                f"checkpoint of {published.size}"
            )
    if problem:
        raise BehindPublished(
            f"{problem} ({path(settings)}): the database was restored from an older copy or "
            "altered, and signing now would fork the log. Restore the newest backup of the "
            "database (or copy it back from where it was); only if the lost entries are gone "
            "for good, move that file away to start a fork that monitors will report"
        )


def check_at_start(
    db: Session, *, settings: Settings, verifier: Verifier | Sequence[Verifier]
) -> None:
    """At start: the newest checkpoint in the database must extend the published one."""
    from accord.transparency import services

    found = read(settings)
    if found is None:
        return
    try:
        open_note(found[1], [verifier] if isinstance(verifier, Verifier) else verifier)
    except NoteError as exc:
        raise ConfigError(
            f"{path(settings)} is not signed by this log's key ({exc}); restore the log's "
            "key, or move that file away if it belongs to another log"
        ) from None
    latest = services.latest_checkpoint(db)
    size = latest.size if latest is not None else 0
    root = latest.root_hash if latest is not None else merkle.EMPTY_ROOT
    check_head(db, settings=settings, size=size, root_hash=root)
