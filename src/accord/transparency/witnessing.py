"""Getting the hub's checkpoints witnessed (the client side of C2SP tlog-witness).

An operator lists witnesses (the add-checkpoint URL prefix and the witness's cosigner key)
and a quorum (``ACCORD_LOG_WITNESS_QUORUM``). Each signature of a new checkpoint queues one
``transparency.witness`` job (deduplicated: one waits at a time); the job sends the newest
checkpoint to every witness with a consistency proof from the size that witness last
cosigned, checks each cosignature against the witness's key and stores it. The hub serves
every checkpoint with the cosignatures it gathered appended, as signed-note lines.

A witness that answers 409 tells the size it last cosigned; the job retries once from it. A
witness that cosigned a larger tree than the hub holds, or another root for the same size,
means the database is behind what was published: the job says so and fails.

After the log's key is rotated, a witness holds the old key and would refuse every checkpoint
the new one signs: before the newest checkpoint, the job sends each witness the rotation
announcements (:mod:`accord.transparency.rotation`, signed by the old and the new key) it
has not yet seen, oldest first, so that it follows the chain.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from accord import outbound
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import AccordError, Conflict, InvalidInput, NotFound
from accord.identity import audit
from accord.identity.policy import Action, Actor, authorize
from accord.transparency import rotation
from accord.transparency.cosignature import CosignatureVerifier, cosigned_by
from accord.transparency.models import LogCheckpoint, LogCosignature, LogWitness
from accord.transparency.note import NoteError, split_note

JOB_KIND = "transparency.witness"
SIZE_TYPE = "text/x.tlog.size"


class WitnessFailed(AccordError):
    """A witness could not be reached, refused, or answered something that does not verify."""

    code = "witness_failed"


class WitnessRefused(WitnessFailed):
    """A witness refused the checkpoint's signature (403): it holds another key for the log."""


# -- the operator's list --------------------------------------------------------------------


def add_witness(
    db: Session, *, actor: Actor, url: str, verifier_key: str, allow_private: bool = False
) -> LogWitness:
    """Ask the witness at ``url`` (its submission prefix) to cosign every new checkpoint."""
    authorize(actor, Action.HUB_OPERATE)
    try:
        verifier = CosignatureVerifier.parse(verifier_key)
    except NoteError as exc:
        raise InvalidInput(f"the witness key: {exc}", field="verifier_key") from None
    parsed = httpx.URL(url) if url.startswith(("http://", "https://")) else None
    if parsed is None or not parsed.host or len(url) > 2000:
        raise InvalidInput("the witness URL is an http(s) address", field="url")
    if db.get(LogWitness, verifier.name) is not None:
        raise Conflict(f"the witness {verifier.name} is configured already", field="verifier_key")
    witness = LogWitness(
        name=verifier.name,
        url=url.rstrip("/"),
        verifier_key=verifier.encode(),
        allow_private=allow_private,
        size=0,
    )
    db.add(witness)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="log.witness_added",
        target=witness.name,
        details={"url": witness.url, "verifier_key": witness.verifier_key},
    )
    return witness


def remove_witness(db: Session, *, actor: Actor, name: str) -> None:
    """Stop asking a witness; its stored cosignatures stay (they remain valid signatures)."""
    authorize(actor, Action.HUB_OPERATE)
    witness = db.get(LogWitness, name)
    if witness is None:
        raise NotFound(f"no witness {name!r}", field="name")
    db.delete(witness)
    db.flush()
    audit.record(db, actor=actor, action="log.witness_removed", target=name)


def witnesses(db: Session) -> list[LogWitness]:
    """The configured witnesses, by name."""
    return list(db.scalars(select(LogWitness).order_by(LogWitness.name)))


def verifiers(db: Session) -> list[CosignatureVerifier]:
    """The configured witnesses' keys."""
    return [CosignatureVerifier.parse(w.verifier_key) for w in witnesses(db)]


def request_cosignatures(db: Session, *, settings: Settings) -> None:
    """Queue the witnessing job in ``db``'s transaction, if any witness is configured."""
    if db.scalar(select(LogWitness.name).limit(1)) is None:
        return
    from accord.jobs.services import enqueue

    enqueue(db, kind=JOB_KIND, payload={}, settings=settings, dedupe_key=JOB_KIND)


# -- serving -----------------------------------------------------------------------------------


def cosigned_note(db: Session, checkpoint: LogCheckpoint) -> str:
    """The checkpoint's signed note with every stored cosignature line appended."""
    lines = db.scalars(
        select(LogCosignature.line)
        .where(LogCosignature.size == checkpoint.size)
        .order_by(LogCosignature.witness)
    )
    return checkpoint.note + "".join(lines)


def witnessed_checkpoint(db: Session, *, settings: Settings, index: int) -> LogCheckpoint:
    """The checkpoint to prove entry ``index`` against: with a quorum configured, the newest
    that holds the entry and has the quorum's cosignatures; otherwise (or while none has
    them yet) the newest."""
    from accord.transparency import services

    quorum = settings.log_witness_quorum
    if quorum > 0:
        size = db.scalar(
            select(LogCosignature.size)
            .where(LogCosignature.size > index)
            .group_by(LogCosignature.size)
            .having(func.count() >= quorum)
            .order_by(LogCosignature.size.desc())
            .limit(1)
        )
        found = db.get(LogCheckpoint, size) if size is not None else None
        if found is not None:
            return found
    return services.current_checkpoint(db, settings=settings)


# -- gathering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gathered:
    """What one round of requests obtained: the size, who cosigned, who failed and why."""

    size: int
    cosigned: list[str]
    failed: dict[str, str]


ProofSource = Callable[[int, int], list[bytes]]


def gather(
    *,
    settings: Settings,
    sessions: sessionmaker[Session],
    readers: sessionmaker[Session] | None = None,
    client: Callable[[LogWitness], httpx.Client] | None = None,
) -> Gathered:
    """Ask every witness to cosign the newest checkpoint; store what verifies.

    What it reads (the checkpoint, the witnesses, proofs, announcements) goes through
    ``readers``: on SQLite a write session takes the hub's one writer, and only what a witness
    answered is written (``sessions``)."""
    from accord.transparency import services

    reading = readers or sessions
    with unit_of_work(reading) as db:
        latest = services.latest_checkpoint(db)
        configured = witnesses(db)
        for witness in configured:
            db.expunge(witness)
        have: set[str] = set()
        if latest is not None:
            db.expunge(latest)
            have = set(
                db.scalars(select(LogCosignature.witness).where(LogCosignature.size == latest.size))
            )
    if latest is None or not configured:
        return Gathered(0, [], {})

    def prove(first: int, second: int) -> list[bytes]:
        with unit_of_work(reading) as db:
            return services.prove_consistency(db, first=first, second=second).hashes

    def signed() -> int:
        with unit_of_work(reading) as db:
            return services.signed_size(db)

    with unit_of_work(reading) as db:
        announced = [
            (row.from_size, row.announcement) for row in rotation.history(db) if row.announcement
        ]
    cosigned, failed = [], {}
    for witness in configured:
        connect = client or _client(settings)
        try:
            _announce(sessions, witness, announced, prove, signed, connect)
        except (WitnessFailed, outbound.Refused) as exc:
            failed[witness.name] = str(exc)
            _record(sessions, witness.name, error=str(exc))
            continue
        if witness.name in have:
            cosigned.append(witness.name)
            continue
        try:
            answer = _ask(witness, latest, prove, signed, connect)
        except (WitnessFailed, outbound.Refused) as exc:
            failed[witness.name] = str(exc)
            _record(sessions, witness.name, error=str(exc))
            continue
        if answer is not None:
            line, size = answer
            _record(sessions, witness.name, size=size, line=line, checkpoint=latest)
            cosigned.append(witness.name)
    return Gathered(latest.size, cosigned, failed)


def _announce(
    sessions: sessionmaker[Session],
    witness: LogWitness,
    announced: Sequence[tuple[int, str]],
    prove: ProofSource,
    signed: Callable[[], int],
    client: Callable[[LogWitness], httpx.Client],
) -> None:
    """Send ``witness`` the key announcements it has not seen, oldest first.

    One at a size below the witness's was seen (the witness cosigned a later checkpoint,
    which only the announced key signs). One at its size may have been: refused as signed
    by a key the witness no longer holds (403), it was, and the next is sent.
    """
    for size, text in announced:
        if size < witness.size:
            continue
        # Not stored as a checkpoint (the plain one of that size is): sent, not kept.
        checkpoint = LogCheckpoint(size=size, note=text)
        try:
            answer = _ask(witness, checkpoint, prove, signed, client)
        except WitnessRefused:
            if size == witness.size:
                continue
            raise
        if answer is not None:
            witness.size = max(witness.size, answer[1])
            _record(sessions, witness.name, size=answer[1])


def _client(settings: Settings) -> Callable[[LogWitness], httpx.Client]:
    def make(witness: LogWitness) -> httpx.Client:
        return outbound.client(outbound.allowing_private(settings, witness.allow_private))

    return make


def _ask(
    witness: LogWitness,
    checkpoint: LogCheckpoint,
    prove: ProofSource,
    signed: Callable[[], int],
    client: Callable[[LogWitness], httpx.Client],
) -> tuple[str, int] | None:
    old = witness.size
    with client(witness) as http:
        for _ in range(2):
            if old > checkpoint.size:
                if old <= signed():
                    return None  # a newer checkpoint was signed meanwhile: its job asks
                raise WitnessFailed(
                    f"{witness.name} has cosigned a tree of {old} entries, beyond this log's "
                    f"{checkpoint.size}: the database is behind what was published"
                )
            proof = prove(old, checkpoint.size) if 0 < old < checkpoint.size else []
            status, content_type, text = _post(http, witness, _body(old, proof, checkpoint.note))
            if status == 200:
                return _cosignature(witness, checkpoint.note, text), checkpoint.size
            if status == 409 and content_type.startswith(SIZE_TYPE):
                known = _size(witness, text)
                if known == old:
                    raise WitnessFailed(
                        f"{witness.name} cosigned another root for {old} entries: this log "
                        "shows two histories"
                    )
                old = known
                continue
            failure = WitnessRefused if status == 403 else WitnessFailed
            raise failure(f"{witness.name} answered {status}: {text[:200].strip()}")
    raise WitnessFailed(f"{witness.name} kept changing its size")


def _body(old: int, proof: Sequence[bytes], note: str) -> bytes:
    lines = [f"old {old}\n", *(base64.b64encode(h).decode() + "\n" for h in proof), "\n"]
    return ("".join(lines) + note).encode()


def _post(http: httpx.Client, witness: LogWitness, body: bytes) -> tuple[int, str, str]:
    limit = 65_536
    try:
        with http.stream("POST", f"{witness.url}/add-checkpoint", content=body) as response:
            data = b""
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > limit:
                    raise WitnessFailed(f"{witness.name} answered more than {limit} bytes")
            content_type = response.headers.get("content-type", "")
            return response.status_code, content_type, data.decode(errors="replace")
    except httpx.HTTPError as exc:
        raise WitnessFailed(f"{witness.name} could not be reached: {exc}") from None


def _size(witness: LogWitness, text: str) -> int:
    value = text.strip()
    if not value.isdigit() or len(value) > 19:
        raise WitnessFailed(f"{witness.name} answered 409 without a size")
    return int(value)


def _cosignature(witness: LogWitness, note: str, answer: str) -> str:
    verifier = CosignatureVerifier.parse(witness.verifier_key)
    try:
        lines = [line + "\n" for line in answer.split("\n") if line]
        for line in lines:
            if verifier.name in cosigned_by(note + line, [verifier]):
                return line
    except NoteError as exc:
        raise WitnessFailed(f"{witness.name} answered a malformed cosignature: {exc}") from None
    raise WitnessFailed(f"{witness.name} answered no cosignature that verifies with its key")


def _record(
    sessions: sessionmaker[Session],
    name: str,
    *,
    error: str | None = None,
    size: int | None = None,
    line: str | None = None,
    checkpoint: LogCheckpoint | None = None,
) -> None:
    with unit_of_work(sessions) as db:
        witness = db.get(LogWitness, name, with_for_update=True)
        if witness is None:
            return  # removed meanwhile
        witness.updated_at = utcnow()
        witness.last_error = error
        if size is not None:
            witness.size = max(witness.size, size)
        if size is None or line is None or checkpoint is None:
            return
        _, blobs = split_note(checkpoint.note + line)
        timestamp = int.from_bytes(blobs[-1][1][4:12], "big")
        db.execute(
            delete(LogCosignature).where(
                LogCosignature.size == size, LogCosignature.witness == name
            )
        )
        db.add(LogCosignature(size=size, witness=name, line=line, timestamp=timestamp))
