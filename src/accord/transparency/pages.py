"""The log's public pages: the log itself, one entry, and "verify this document"."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.errors import Message, NotFound
from accord.identity.policy import Action, Actor
from accord.limits import DbInt
from accord.transparency import bundles, services, witnessing
from accord.transparency.envelope import Envelope, EnvelopeError
from accord.transparency.services import b64
from accord.web.admission import reads
from accord.web.deps import DbSession, SettingsDep, guard
from accord.web.i18n import N_
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Reader = Annotated[Actor, guard(Action.PUBLIC_READ)]
PAGE = 20
MAX_PASTED = 1_000_000
_HEX_DIGEST = re.compile(r"^\s*([0-9a-fA-F]{64})\s*$")


def _log_context(db: Session, settings: Settings, before: int | None) -> dict[str, Any]:
    checkpoint = services.current_checkpoint(db, settings=settings)
    records = services.recent_records(db, limit=PAGE, before=before)
    return {
        "checkpoint": checkpoint,
        "note": witnessing.cosigned_note(db, checkpoint),
        "witness_keys": [w.verifier_key for w in witnessing.witnesses(db)],
        "quorum": settings.log_witness_quorum,
        "root_b64": b64(checkpoint.root_hash),
        "verifier_key": services.log_verifier(db, settings=settings).encode(),
        "records": records,
        "older": records[-1].idx if len(records) == PAGE and records[-1].idx > 0 else None,
    }


@router.get("/log", response_class=HTMLResponse)
def log_page(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    _: Reader,
    before: Annotated[DbInt | None, Query(ge=0)] = None,
) -> HTMLResponse:
    """The log: its size, the latest signed checkpoint, recent entries, a verify box."""
    return render(request, "transparency/log.html", _log_context(db, settings, before))


@router.post("/log/verify", response_class=HTMLResponse)
@reads
async def verify_document(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    _: Reader,
    document: Annotated[UploadFile | None, File()] = None,
    # No length here (the body limit bounds it): a text too long is said beside its field.
    text: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Hash an uploaded or pasted document and show where the log records it; what was
    pasted stays in its box, and a problem is said beside it."""
    uploaded = document is not None and bool(document.filename)
    data = await document.read() if document is not None and uploaded else text.encode()
    # Its reads in a worker thread, never on the event loop (the upload is read above).
    context = await run_in_threadpool(_log_context, db, settings, None)
    context["text"] = text
    if not data.strip():
        context["verify_error"] = N_("Choose a file or paste a document (or its SHA-256) first.")
        return render(request, "transparency/log.html", context, status=422)
    if not uploaded and len(text) > MAX_PASTED:
        context["verify_error"] = Message(
            N_("text: paste at most %(count)s characters, or upload the document as a file"),
            count=f"{MAX_PASTED:,}",
        )
        return render(request, "transparency/log.html", context, status=422)
    # A pasted digest is looked up as it is; anything else is hashed (bytes and canonical JSON).
    pasted_digest = None if uploaded else _HEX_DIGEST.match(text)
    digests = [pasted_digest.group(1).lower()] if pasted_digest else bundles.file_digests(data)
    found = await run_in_threadpool(_records, db, digests)
    context.update({"digests": digests, "matches": found, "verified": True})
    return render(request, "transparency/log.html", context)


def _records(db: Session, digests: list[str]) -> list[tuple[str, Any]]:
    return [(d, r) for d in digests for r in services.records_for_document(db, d)]


@router.get("/log/entries/{index}", response_class=HTMLResponse)
def entry_page(
    index: int, request: Request, db: DbSession, settings: SettingsDep, _: Reader
) -> HTMLResponse:
    """One entry: what it records, its document when public, and its bundle."""
    entry = services.entry_at(db, index)
    record = services.record_at(db, index)
    try:
        envelope: Envelope | None = Envelope.from_entry(entry)
    except EnvelopeError:
        envelope = None
    if envelope is None and record is None:
        raise NotFound(
            Message(N_("entry %(index)s is not one of the hub's publications"), index=index)
        )
    proof = services.prove_inclusion(db, index=index, tree_size=None)
    document = None
    if envelope is not None and envelope.document is not None:
        document = json.dumps(envelope.document, indent=2, ensure_ascii=False, sort_keys=True)
    return render(
        request,
        "transparency/entry.html",
        {
            "index": index,
            "record": record,
            "envelope": envelope,
            "document": document,
            "leaf_hash": b64(proof.leaf_hash),
            "tree_size": proof.tree_size,
            "root_b64": b64(proof.root_hash),
        },
    )
