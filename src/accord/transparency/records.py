"""The log's records: what each envelope entry says, indexed, written when the tree grows.

A publication writes its entry alone (one row, the rightmost page of ``log_segments``). Its
record (type, subject, document digest, leaf hash), with the two look-up indexes by digest
and by leaf hash whose random keys land on a different page at each insert, is written when
the tiles grow over the entry, before the next checkpoint is signed, in one batch for every
entry since the last: the pages those indexes change are shared by the whole batch instead
of being rewritten whole for each publication. Readers see only what a signed checkpoint
covers, so they see every record of it.

Every entry that is an envelope (:mod:`accord.transparency.envelope`) gets a record, whichever
path appended it; others (raw entries of the bulk path) get none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from accord.transparency.envelope import Envelope, EnvelopeError
from accord.transparency.models import LogRecord

_FIELDS = frozenset({"type", "time", "subject", "sha256"})
_INSERT = insert(LogRecord)


def write_records(
    db: Session, start: int, entries: Sequence[bytes], leaf_hashes: Sequence[bytes]
) -> int:
    """Record the envelopes among ``entries`` (from index ``start``); how many were."""
    rows = []
    for offset, (entry, leaf_hash) in enumerate(zip(entries, leaf_hashes, strict=True)):
        envelope = _envelope(entry)
        if envelope is not None:
            rows.append(
                {
                    "idx": start + offset,
                    "entry_type": envelope.type,
                    "subject": envelope.subject,
                    "document_sha256": envelope.sha256,
                    "public": envelope.document is not None,
                    "leaf_hash": leaf_hash,
                    "logged_at": envelope.logged_at,
                }
            )
    if rows:
        db.connection().execute(_INSERT, rows)
    return len(rows)


def _envelope(entry: bytes) -> Envelope | None:
    # Most entries are the hub's own envelopes. For ASCII JSON without fractions, Python's
    # encoder with sorted keys writes RFC 8785 byte for byte, and is a hundred times quicker
    # than the full check, which the others (and any entry it does not reproduce) go through.
    if not entry.startswith(b"{"):
        return None
    fractions: list[str] = []
    try:
        body: Any = json.loads(entry, parse_float=lambda text: _note(fractions, text))
    except ValueError:
        return None
    if not isinstance(body, dict) or set(body) - {"document"} != _FIELDS:
        return None
    try:
        if fractions or not entry.isascii() or _quick(body) != entry:
            return Envelope.from_entry(entry)
        if not all(isinstance(body[k], str) for k in _FIELDS):
            return None
        document = body.get("document")
        if document is not None and not isinstance(document, dict):
            return None
        found = Envelope(body["type"], body["time"], body["subject"], body["sha256"], document)
        found.logged_at  # noqa: B018 (refuses a time that is not RFC 3339)
        return found
    except EnvelopeError:
        return None


def _note(fractions: list[str], text: str) -> float:
    fractions.append(text)
    return 0.0


def _quick(body: Any) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
