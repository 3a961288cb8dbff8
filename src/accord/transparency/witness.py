"""The hub as a witness for other logs (C2SP tlog-witness, ``add-checkpoint``).

An operator lists the logs this hub witnesses (origin and the log's verifier key). A log
posts each new checkpoint with the size the witness last cosigned and a consistency proof
from it; the witness checks the log's signature, the old size against its record, the proof
(or, for the same size, the root), then records the new checkpoint and returns its
cosignature (C2SP tlog-cosignature, Ed25519, timestamped) under the hub's witness key.

Checking the old size and recording the new checkpoint happen under one lock of the log's
row, in one transaction: of two requests racing from the same state, the second finds the
state changed and is answered 409, so the witness never cosigns two roots for one size nor
rolls its record back (the race the specification describes).
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import AccordError, Conflict, InvalidInput, NotFound
from accord.identity import audit
from accord.identity.policy import Action, Actor, authorize
from accord.transparency import keys, merkle, rotation
from accord.transparency.merkle import HASH_SIZE, ProofError
from accord.transparency.models import WitnessedLog
from accord.transparency.note import Checkpoint, NoteError, Verifier, open_note, split_note

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 128 * 1024
MAX_PROOF_LINES = 63
MAX_SIZE = 2**63 - 1  # what a BIGINT holds, on both databases
_OLD = re.compile(r"^old (0|[1-9][0-9]{0,18})$")


class WitnessRefusal(AccordError):
    """An add-checkpoint request the witness refuses, with the status the specification sets.

    ``known_size`` is set on a 409: the body is then that size alone (``text/x.tlog.size``).
    """

    code = "witness"

    def __init__(self, message: str, *, status_code: int, known_size: int | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.known_size = known_size


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed request: the old size, the proof, and the checkpoint note."""

    old_size: int
    proof: list[bytes]
    note: str


def parse_request(body: bytes) -> AddCheckpoint:
    """Read an add-checkpoint body strictly; 400 (or 413) naming what is wrong."""
    if len(body) > MAX_BODY_BYTES:
        raise WitnessRefusal(f"the body is over {MAX_BODY_BYTES} bytes", status_code=413)
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise _bad("the body is not UTF-8") from None
    head, blank, note = text.partition("\n\n")
    if not blank:
        raise _bad("the body has no empty line before the checkpoint")
    lines = head.split("\n")
    found = _OLD.match(lines[0])
    if found is None:
        raise _bad("the first line must be `old <size>` in decimal without leading zeros")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise _bad(f"at most {MAX_PROOF_LINES} consistency proof lines")
    old_size = int(found.group(1))
    if old_size > MAX_SIZE:
        raise _bad(f"the old size is above {MAX_SIZE}")
    return AddCheckpoint(old_size, [_hash(line) for line in lines[1:]], note)


def _hash(line: str) -> bytes:
    try:
        value = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("a consistency proof line is not base64") from None
    if len(value) != HASH_SIZE:
        raise _bad("a consistency proof line is not a 32-byte hash")
    return value


def _bad(message: str) -> WitnessRefusal:
    return WitnessRefusal(message, status_code=400)


def add_checkpoint(db: Session, *, settings: Settings, body: bytes) -> str:
    """Check a log's new checkpoint, record it and return the cosignature line(s)."""
    request = parse_request(body)
    try:
        text, _ = split_note(request.note)
        checkpoint = Checkpoint.parse(text)
    except NoteError as exc:
        raise _bad(f"checkpoint: {exc}") from None
    if checkpoint.size > MAX_SIZE:
        raise _bad(f"the checkpoint's size is above {MAX_SIZE}")
    log = _locked(db, checkpoint.origin)
    if log is None:
        raise WitnessRefusal(f"unknown log {checkpoint.origin!r}", status_code=404)
    try:
        _accept(log, request, checkpoint, text)
    except WitnessRefusal as exc:
        # Kept for the operators' page; the route answers normally, so this commits.
        log.last_refusal, log.refused_at = exc.message, utcnow()
        db.flush()
        raise
    db.flush()
    cosigner = keys.load_cosigner(settings)
    return cosigner.cosign(text, int(utcnow().timestamp()))


def _accept(log: WitnessedLog, request: AddCheckpoint, checkpoint: Checkpoint, text: str) -> None:
    """Check the log's signature (and any key it announces) and consistency, then record."""
    try:
        open_note(request.note, [Verifier.parse(log.verifier_key)])
    except NoteError as exc:
        raise WitnessRefusal(f"checkpoint signature: {exc}", status_code=403) from None
    next_key = _announced_key(request.note, checkpoint)
    if request.old_size > checkpoint.size:
        raise _bad(f"old size {request.old_size} is above the checkpoint's {checkpoint.size}")
    if request.old_size != log.size:
        raise WitnessRefusal(
            f"the last cosigned size is {log.size}", status_code=409, known_size=log.size
        )
    _check_consistency(log, request, checkpoint)
    log.size, log.root_hash, log.checkpoint = checkpoint.size, checkpoint.root_hash, text
    if next_key is not None:
        logger.info("witness: log %s rotated its key to %s", checkpoint.origin, next_key.encode())
        log.verifier_key = next_key.encode()
    log.updated_at = utcnow()


def _announced_key(signed: str, checkpoint: Checkpoint) -> Verifier | None:
    """The log's next key if the checkpoint announces one (:mod:`rotation`'s extension).

    The old key's signature is checked already; the announced key must sign the same note
    too, or anyone holding a fresh key could claim the log (403). Later checkpoints are then
    checked against the new key alone, and consistency with the last cosigned tree still holds.
    """
    try:
        announced = rotation.announced_key(checkpoint)
    except NoteError as exc:
        raise _bad(f"key announcement: {exc}") from None
    if announced is None:
        return None
    if announced.name != checkpoint.origin:
        raise WitnessRefusal("an announced key must keep the log's origin", status_code=403)
    try:
        open_note(signed, [announced])
    except NoteError:
        raise WitnessRefusal(
            "the announced key did not sign its announcement", status_code=403
        ) from None
    return announced


def _check_consistency(log: WitnessedLog, request: AddCheckpoint, checkpoint: Checkpoint) -> None:
    old_root = log.root_hash if log.size and log.root_hash is not None else merkle.EMPTY_ROOT
    if request.old_size == checkpoint.size:
        if checkpoint.root_hash != old_root:
            # Two signed roots for one size: the log shows a split view. Keep the evidence.
            logger.warning(
                "witness: log %s signed a second root for size %d; refused",
                checkpoint.origin,
                checkpoint.size,
            )
            raise WitnessRefusal(
                f"a different root was cosigned for size {log.size}",
                status_code=409,
                known_size=log.size,
            )
        if request.proof:
            raise WitnessRefusal("the proof between equal sizes is empty", status_code=422)
        return
    if request.old_size == 0:
        if request.proof:
            raise WitnessRefusal("the proof from size 0 must be empty", status_code=422)
        return
    try:
        merkle.verify_consistency(
            request.old_size, checkpoint.size, request.proof, old_root, checkpoint.root_hash
        )
    except ProofError as exc:
        logger.warning(
            "witness: log %s sent a consistency proof %d -> %d that fails (%s); refused",
            checkpoint.origin,
            request.old_size,
            checkpoint.size,
            exc,
        )
        raise WitnessRefusal(f"consistency proof: {exc}", status_code=422) from None


def _locked(db: Session, origin: str) -> WitnessedLog | None:
    # FOR UPDATE on PostgreSQL; SQLite writers hold the write lock from BEGIN IMMEDIATE.
    query = (
        select(WitnessedLog)
        .where(WitnessedLog.origin == origin)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.scalars(query).one_or_none()


# -- the operator's list of witnessed logs -----------------------------------------------------


def add_log(
    db: Session, *, actor: Actor, verifier_key: str, origin: str | None = None
) -> WitnessedLog:
    """Start witnessing a log: its verifier key, and its origin (by default the key's name)."""
    authorize(actor, Action.HUB_OPERATE)
    try:
        verifier = Verifier.parse(verifier_key)
    except NoteError as exc:
        raise InvalidInput(f"the log's key: {exc}", field="verifier_key") from None
    name = origin or verifier.name
    if not name or len(name) > 300 or any(c.isspace() for c in name):
        raise InvalidInput("an origin is 1 to 300 characters without spaces", field="origin")
    if db.get(WitnessedLog, name) is not None:
        raise Conflict(f"the log {name} is witnessed already", field="origin")
    log = WitnessedLog(origin=name, verifier_key=verifier.encode(), size=0)
    db.add(log)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="witness.log_added",
        target=name,
        details={"verifier_key": log.verifier_key},
    )
    return log


def remove_log(db: Session, *, actor: Actor, origin: str) -> None:
    """Stop witnessing a log (its record goes: adding it again starts from size 0)."""
    authorize(actor, Action.HUB_OPERATE)
    log = db.get(WitnessedLog, origin)
    if log is None:
        raise NotFound(f"no witnessed log {origin!r}", field="origin")
    db.delete(log)
    db.flush()
    audit.record(db, actor=actor, action="witness.log_removed", target=origin)


def witnessed_logs(db: Session) -> list[WitnessedLog]:
    """Every log this hub witnesses, by origin."""
    return list(db.scalars(select(WitnessedLog).order_by(WitnessedLog.origin)))
