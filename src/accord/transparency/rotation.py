"""Rotating the log's signing key: a new key announced in a checkpoint both keys sign.

The announcement is a C2SP tlog-checkpoint of the tree as it stands when the key changes
(same origin, size and root as the checkpoint the old key signed for that size, so no second
root for a size) with one extension line naming the new key::

    hub.example/log
    1337
    8Mt3Jgm1ykJTbGo7qf0OjmGq3UBqHx5ex0Fi5X1bqMM=
    accord-next-key hub.example/log+1a2b3c4d+AaBb...

    — hub.example/log <old key ID and signature>
    — hub.example/log <new key ID and signature>

A C2SP signed note may carry several signatures; a verifier holding the old key reads the
note, finds the extension, and accepts the new key only if the new key signed the same
note too (it holds the private key). Checkpoints after the announcement are signed by the
new key alone. The chain of announcements is served at ``GET /api/v1/log/keys`` and in every
bundle (``key_chain``), so a verifier that pinned any earlier key follows it to the current
one (:func:`follow`); bundles made before a rotation keep verifying under the key they were
signed with.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from accord.transparency import note
from accord.transparency.note import Checkpoint, NoteError, Signer, Verifier

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from accord.config import Settings
    from accord.transparency.models import LogKey

EXTENSION = "accord-next-key "


def announce(checkpoint: Checkpoint, old: Signer, new: Signer) -> str:
    """The announcement of ``new``: ``checkpoint`` with the extension, signed by both keys."""
    if old.name != new.name or checkpoint.origin != old.name:
        raise NoteError("the old key, the new key and the checkpoint must share the origin")
    body = Checkpoint(
        checkpoint.origin,
        checkpoint.size,
        checkpoint.root_hash,
        (*checkpoint.extensions, EXTENSION + new.verifier.encode()),
    ).body()
    return note.sign(body, old) + new.signature_line(body)


def announced_key(checkpoint: Checkpoint) -> Verifier | None:
    """The key a checkpoint announces, if it has the extension line."""
    found = [e for e in checkpoint.extensions if e.startswith(EXTENSION)]
    if not found:
        return None
    if len(found) > 1:
        raise NoteError("a checkpoint announces at most one next key")
    return Verifier.parse(found[0][len(EXTENSION) :])


@dataclass(frozen=True)
class Step:
    """One rotation followed: the tree it was announced at and the key it hands over to."""

    checkpoint: Checkpoint
    key: Verifier


def follow(trusted: Verifier, announcements: Sequence[str]) -> list[Step]:
    """The rotations from ``trusted`` on, each checked; NoteError on a broken chain.

    Announcements are oldest first; those before ``trusted`` (not signed by it and not by a
    key it led to) are skipped, so a verifier that pinned a later key follows the rest. Each
    followed one must be signed by the key trusted so far and by the key it names, and not
    be for a smaller tree than the one before.
    """
    steps: list[Step] = []
    current = trusted
    for text in announcements:
        try:
            checkpoint = note.open_checkpoint(text, current)
        except NoteError:
            if steps:
                raise NoteError(
                    f"the key announcement after size {steps[-1].checkpoint.size} is not "
                    "signed by the key announced before it"
                ) from None
            continue  # an announcement before the pinned key
        new = announced_key(checkpoint)
        if new is None:
            raise NoteError(f"the announcement at size {checkpoint.size} names no key")
        if new.name != current.name:
            raise NoteError("an announced key must keep the log's origin as its name")
        try:
            note.open_checkpoint(text, new)
        except NoteError:
            raise NoteError(
                f"the key announced at size {checkpoint.size} did not sign its announcement"
            ) from None
        if steps and checkpoint.size < steps[-1].checkpoint.size:
            raise NoteError("key announcements must not go back to a smaller tree")
        steps.append(Step(checkpoint, new))
        current = new
    return steps


def open_following(
    checkpoint_note: str, trusted: Verifier, announcements: Sequence[str]
) -> tuple[Checkpoint, Verifier]:
    """Open a checkpoint signed by ``trusted`` or by a key it handed over to.

    A checkpoint signed by a key that was later replaced must be for a tree no larger than
    the one it was replaced at: a retired key signs nothing new.
    """
    steps = follow(trusted, announcements)
    if not steps:
        return note.open_checkpoint(checkpoint_note, trusted), trusted
    keys = [trusted, *(s.key for s in steps)]
    for position in range(len(keys) - 1, -1, -1):
        try:
            found = note.open_checkpoint(checkpoint_note, keys[position])
        except NoteError as exc:
            if "does not verify" in str(exc):
                raise  # a signature by a known key that fails: the note is refused outright
            continue
        if position < len(steps) and found.size > steps[position].checkpoint.size:
            raise NoteError(
                f"the checkpoint of size {found.size} is signed by a key retired at size "
                f"{steps[position].checkpoint.size}"
            )
        return found, keys[position]
    raise NoteError("no signature on the note is by the pinned key or a key it handed over to")


# -- the hub's side -----------------------------------------------------------------------


def history(db: Session) -> list[LogKey]:
    """The log's keys, oldest first (empty until the first rotation)."""
    from sqlalchemy import select

    from accord.transparency.models import LogKey

    return list(db.scalars(select(LogKey).order_by(LogKey.from_size, LogKey.added_at)))


def announcements(db: Session) -> list[str]:
    """The signed announcements, oldest first."""
    return [k.announcement for k in history(db) if k.announcement]


def verifiers(db: Session, *, settings: Settings) -> list[Verifier]:
    """Every key that signed this log's checkpoints, the current one first."""
    from accord.transparency import services

    current = services.log_verifier(db, settings=settings)
    others = [Verifier.parse(k.verifier_key) for k in history(db)]
    return [current, *(v for v in others if v != current)]


def rotate(db: Session, *, settings: Settings) -> LogKey:
    """Announce a new signing key in ``db``'s transaction; :func:`keys.promote_next` after.

    Signs what waits with the old key first, then the announcement at that tree; the new
    key waits in the data directory until the transaction commits and is promoted then.
    """
    from accord.clock import utcnow
    from accord.transparency import keys, origin, services, witnessing
    from accord.transparency.models import LogKey

    head = origin.locked_head(db, settings=settings)
    latest = services.sign_tree_head(db, settings=settings, head=head)
    old = keys.load_signer(settings, head.origin)
    new = keys.prepare_next(settings, head.origin)
    if new.verifier == old.verifier:
        raise NoteError("the next key is the current one")
    checkpoint = Checkpoint(head.origin, latest.size, latest.root_hash)
    text = announce(checkpoint, old, new)
    now = utcnow()
    if db.get(LogKey, old.verifier.key_id.hex()) is None:
        db.add(
            LogKey(
                key_id=old.verifier.key_id.hex(),
                verifier_key=old.verifier.encode(),
                from_size=0,
                announcement=None,
                added_at=now,
            )
        )
        db.flush()
    row = LogKey(
        key_id=new.verifier.key_id.hex(),
        verifier_key=new.verifier.encode(),
        from_size=latest.size,
        announcement=text,
        added_at=now,
    )
    db.add(row)
    db.flush()
    # The witnesses hold the old key: the job sends them the announcement before anything
    # the new key signs (accord.transparency.witnessing).
    witnessing.request_cosignatures(db, settings=settings)
    return row


def signer(db: Session, *, settings: Settings, name: str) -> Signer:
    """The key to sign with: the newest announced one (promoting it if a rotation committed
    but was not finished: a crash, or another process rotated), never a retired key."""
    from sqlalchemy import select

    from accord.transparency import keys
    from accord.transparency.models import LogKey
    from accord.transparency.store import LogIntegrityError

    current = keys.load_signer(settings, name)
    newest = db.scalars(
        select(LogKey.verifier_key)
        .where(LogKey.announcement.is_not(None))
        .order_by(LogKey.from_size.desc(), LogKey.added_at.desc())
        .limit(1)
    ).first()
    if newest is None or newest == current.verifier.encode():
        return current
    finish(db, settings=settings)
    current = keys.load_signer(settings, name)
    if newest != current.verifier.encode():
        raise LogIntegrityError(
            f"the log's key file {keys.key_path(settings)} is not the newest announced key "
            f"({newest}): restore that key's file; the hub will not sign with a retired key"
        )
    return current


def finish(db: Session, *, settings: Settings) -> bool:
    """Promote the prepared key if the database announced it (after a commit, or at start
    after a crash between the commit and the promotion); drop one never announced."""
    from accord.transparency import keys

    waiting = keys.next_key(settings)
    if waiting is None:
        return False
    announced = {Verifier.parse(k.verifier_key).public_key for k in history(db) if k.announcement}
    if waiting.verifier.public_key in announced:
        keys.promote_next(settings)
        return True
    os.unlink(keys.next_path(settings))
    return False
