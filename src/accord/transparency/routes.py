"""The transparency log over HTTP: a JSON API under /api/v1/log, and the log itself as C2SP
tlog-tiles resources under /log (checkpoint, tiles, entry bundles) plus the public key at
/.well-known/accord-log-key.

Hashes are standard base64 as in the C2SP specifications. Numbers arrive as text and are
checked here, so that a malformed request (index past the size, size 0, first > second, a
non-number) is answered 400 with the reason, as RFC 6962 clients expect.
"""

from __future__ import annotations

import gzip
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import PlainTextResponse

from accord.identity.policy import Action, Actor
from accord.transparency import bundles, keys, merkle, rotation, services, witness, witnessing
from accord.transparency.envelope import Envelope, EnvelopeError
from accord.transparency.models import LogRecord
from accord.transparency.schemas import (
    CheckpointRead,
    ConsistencyProofRead,
    EntryRead,
    EnvelopeRead,
    InclusionProofRead,
    LogBundle,
    LogKeyRead,
    RecordRead,
)
from accord.transparency.services import BadLogRequest, b64
from accord.transparency.tiles import TilePathError, parse_index_and_width, parse_level
from accord.web.deps import DbSession, Limiter, SettingsDep, client_ip, guard

router = APIRouter(prefix="/log", tags=["transparency"])
public_router = APIRouter(tags=["transparency"])

Reader = Annotated[Actor, guard(Action.PUBLIC_READ)]
IMMUTABLE = "public, max-age=31536000, immutable"
_NUMBER = re.compile(r"^[0-9]{1,18}$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_BAD_REQUEST: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed request: the body says which field and why."}
}


def number(value: str | None, field: str) -> int | None:
    """A decimal number from the request, or None when absent; 400 if it is not one."""
    if value is None:
        return None
    if not _NUMBER.match(value):
        raise BadLogRequest(f"{field} must be a non-negative decimal integer", field=field)
    return int(value)


def required_number(value: str, field: str) -> int:
    """Like :func:`number`, for a value that must be present."""
    parsed = number(value, field)
    assert parsed is not None
    return parsed


@router.get("/checkpoint", response_model=CheckpointRead)
def checkpoint(
    db: DbSession, settings: SettingsDep, _: Reader, response: Response
) -> CheckpointRead:
    """The newest signed checkpoint (C2SP tlog-checkpoint in a signed note), with its fields.

    Verify ``note`` against the key at /.well-known/accord-log-key before trusting the rest.
    An empty log has a signed checkpoint of size 0.
    """
    found = services.current_checkpoint(db, settings=settings)
    response.headers["cache-control"] = "no-cache"
    return CheckpointRead(
        origin=found.note.split("\n", 1)[0],
        tree_size=found.size,
        root_hash=b64(found.root_hash),
        note=witnessing.cosigned_note(db, found),
        signed_at=found.signed_at,
    )


def record_read(record: LogRecord) -> RecordRead:
    """The wire form of a record."""
    return RecordRead(
        index=record.idx,
        type=record.entry_type,
        subject=record.subject,
        sha256=record.document_sha256,
        public=record.public,
        leaf_hash=b64(record.leaf_hash),
        logged_at=record.logged_at,
    )


@router.get("/entries", response_model=list[RecordRead])
def recent_entries(
    db: DbSession,
    _: Reader,
    before: Annotated[str | None, Query(description="Only entries below this index.")] = None,
    limit: Annotated[str, Query(description="How many, 1 to 100.")] = "20",
) -> list[RecordRead]:
    """What the newest entries record, newest first; page with ``before``."""
    count = required_number(limit, "limit")
    if not 1 <= count <= 100:
        raise BadLogRequest("limit must be from 1 to 100", field="limit")
    rows = services.recent_records(db, limit=count, before=number(before, "before"))
    return [record_read(r) for r in rows]


@router.get("/entries/{index}", response_model=EntryRead, responses=_BAD_REQUEST)
def entry(index: str, db: DbSession, _: Reader, response: Response) -> EntryRead:
    """Entry ``index`` of the signed log: its bytes (base64), leaf hash and envelope."""
    position = required_number(index, "index")
    data = services.entry_at(db, position)
    try:
        parsed = Envelope.from_entry(data)
        envelope = EnvelopeRead(
            type=parsed.type,
            time=parsed.time,
            subject=parsed.subject,
            sha256=parsed.sha256,
            document=dict(parsed.document) if parsed.document is not None else None,
        )
    except EnvelopeError:
        envelope = None
    response.headers["cache-control"] = IMMUTABLE
    return EntryRead(
        index=position,
        leaf_hash=b64(merkle.hash_leaf(data)),
        entry=b64(data),
        envelope=envelope,
    )


@router.get("/proof/inclusion", response_model=InclusionProofRead, responses=_BAD_REQUEST)
def inclusion_proof(
    db: DbSession,
    _: Reader,
    index: Annotated[str | None, Query(description="The entry's index.")] = None,
    leaf_hash: Annotated[
        str | None, Query(description="Or the entry's leaf hash, base64 (first match).")
    ] = None,
    tree_size: Annotated[
        str | None, Query(description="The tree to prove against; default: the signed size.")
    ] = None,
) -> InclusionProofRead:
    """RFC 9162 section 2.1.3 inclusion proof of one entry, by index or leaf hash."""
    size = number(tree_size, "tree_size")
    if (index is None) == (leaf_hash is None):
        raise BadLogRequest("give exactly one of index and leaf_hash", field="index")
    if index is not None:
        position = required_number(index, "index")
    else:
        assert leaf_hash is not None
        wanted = services.parse_hash(leaf_hash, field="leaf_hash")
        position = services.index_of_leaf(db, leaf_hash=wanted, tree_size=size)
    proof = services.prove_inclusion(db, index=position, tree_size=size)
    return bundles.inclusion_read(proof)


@router.get("/proof/consistency", response_model=ConsistencyProofRead, responses=_BAD_REQUEST)
def consistency_proof(
    db: DbSession,
    _: Reader,
    first: Annotated[str | None, Query(description="The older tree size, at least 1.")] = None,
    second: Annotated[
        str | None, Query(description="The newer tree size; default: the signed size.")
    ] = None,
) -> ConsistencyProofRead:
    """RFC 9162 section 2.1.4 consistency proof between two tree sizes."""
    if first is None:
        raise BadLogRequest("first is required", field="first")
    proof = services.prove_consistency(
        db, first=required_number(first, "first"), second=number(second, "second")
    )
    return ConsistencyProofRead(
        first=proof.first,
        second=proof.second,
        first_root=b64(proof.first_root),
        second_root=b64(proof.second_root),
        hashes=[b64(h) for h in proof.hashes],
    )


@router.get("/documents/{sha256}", response_model=list[RecordRead], responses=_BAD_REQUEST)
def document_entries(sha256: str, db: DbSession, _: Reader) -> list[RecordRead]:
    """The entries that record a document, by the document's hex SHA-256 (empty if none)."""
    if not _SHA256.match(sha256):
        raise BadLogRequest("sha256 must be 64 hex digits", field="sha256")
    return [record_read(r) for r in services.records_for_document(db, sha256)]


@router.get("/bundle/{index}", response_model=LogBundle, responses=_BAD_REQUEST)
def bundle(
    index: str, db: DbSession, settings: SettingsDep, _: Reader, response: Response
) -> LogBundle:
    """Entry ``index`` with its document, inclusion proof and the signed checkpoint it leads
    to: everything ``accord log verify-bundle`` needs to check it offline."""
    position = required_number(index, "index")
    found = bundles.build_bundle(db, settings=settings, index=position)
    response.headers["content-disposition"] = (
        f'attachment; filename="accord-log-bundle-{position}.json"'
    )
    return found


@public_router.get("/.well-known/accord-log-key", response_model=LogKeyRead)
def log_key(db: DbSession, settings: SettingsDep, _: Reader, response: Response) -> LogKeyRead:
    """The Ed25519 key that signs the log's checkpoints, and its note verifier key string."""
    verifier = services.log_verifier(db, settings=settings)
    response.headers["cache-control"] = "public, max-age=3600"
    return LogKeyRead(
        origin=verifier.name,
        key_id=verifier.key_id.hex(),
        public_key=b64(verifier.public_key),
        verifier_key=verifier.encode(),
        witnesses=[w.verifier_key for w in witnessing.witnesses(db)],
        quorum=settings.log_witness_quorum,
        announcements=rotation.announcements(db),
        witness_key=keys.load_cosigner(settings).verifier.encode(),
    )


@public_router.get("/log/checkpoint", response_class=PlainTextResponse)
def tlog_checkpoint(db: DbSession, settings: SettingsDep, _: Reader) -> PlainTextResponse:
    """C2SP tlog-tiles: the newest checkpoint, a signed note (text/plain); size 0 when empty."""
    found = services.current_checkpoint(db, settings=settings)
    return PlainTextResponse(
        witnessing.cosigned_note(db, found),
        media_type="text/plain; charset=utf-8",
        headers={"cache-control": "no-cache"},
    )


def _binary(request: Request, data: bytes, *, compress: bool) -> Response:
    headers = {"cache-control": IMMUTABLE, "vary": "accept-encoding"}
    if compress and "gzip" in request.headers.get("accept-encoding", ""):
        data = gzip.compress(data, mtime=0)
        headers["content-encoding"] = "gzip"
    return Response(data, media_type="application/octet-stream", headers=headers)


def _coordinates(path: str) -> tuple[int, int]:
    try:
        return parse_index_and_width(path)
    except TilePathError as exc:
        raise BadLogRequest(str(exc), field="path") from None


@public_router.get("/log/tile/entries/{path:path}", response_class=Response)
def tlog_entry_bundle(path: str, request: Request, db: DbSession, _: Reader) -> Response:
    """C2SP tlog-tiles entry bundle ``N`` (``x001/x234/067``, ``.p/W`` when partial)."""
    index, width = _coordinates(path)
    data = services.entry_bundle(db, index=index, width=width)
    return _binary(request, data, compress=True)


@public_router.get("/log/tile/{level}/{path:path}", response_class=Response)
def tlog_tile(level: str, path: str, request: Request, db: DbSession, _: Reader) -> Response:
    """C2SP tlog-tiles hash tile at ``level`` (0 holds leaf hashes), index and width as above."""
    try:
        tile_level = parse_level(level)
    except TilePathError as exc:
        raise BadLogRequest(str(exc), field="level") from None
    index, width = _coordinates(path)
    data = services.tile(db, level=tile_level, index=index, width=width)
    return _binary(request, data, compress=False)


async def _raw_body(request: Request) -> bytes:
    # Read on the event loop (the body limit middleware bounds it), parsed in a worker thread.
    return await request.body()


def _limit_witness(request: Request, limiter: Limiter, settings: SettingsDep) -> None:
    limiter.check(
        f"witness:{client_ip(request)}",
        limit=settings.witness_requests_per_minute,
        window_seconds=60,
    )


@public_router.post(
    "/witness/add-checkpoint",
    response_class=PlainTextResponse,
    dependencies=[Depends(_limit_witness)],
    responses={
        400: {"description": "Malformed body."},
        403: {"description": "No signature by the log's key verifies."},
        404: {"description": "This hub does not witness that origin."},
        409: {"description": "Old size is not the last cosigned size (body: that size)."},
        422: {"description": "The consistency proof does not verify."},
    },
)
def add_checkpoint(
    body: Annotated[bytes, Depends(_raw_body)],
    db: DbSession,
    settings: SettingsDep,
    _: Annotated[Actor, guard(Action.LOG_WITNESS)],
) -> Response:
    """C2SP tlog-witness add-checkpoint: the old size, a consistency proof and a checkpoint
    of a log this hub witnesses; answers the hub's timestamped cosignature (C2SP
    tlog-cosignature), or the specification's status with the reason as text."""
    try:
        line = witness.add_checkpoint(db, settings=settings, body=body)
    except witness.WitnessRefusal as exc:
        if exc.known_size is not None:
            # Exactly text/x.tlog.size, without the charset Starlette adds to text types.
            return Response(
                f"{exc.known_size}\n".encode(),
                status_code=exc.status_code,
                headers={"content-type": witnessing.SIZE_TYPE},
            )
        return PlainTextResponse(exc.message + "\n", status_code=exc.status_code)
    return PlainTextResponse(line)
