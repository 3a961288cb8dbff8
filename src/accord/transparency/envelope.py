"""Log entries: the RFC 8785 canonical JSON of a small envelope around a publication.

An entry reads ``{"document": ..., "sha256": ..., "subject": ..., "time": ..., "type": ...}``
(keys in RFC 8785 order). ``sha256`` is the hex SHA-256 of the published document; for a
JSON document given to the log it is the SHA-256 of the document's RFC 8785 canonical form,
so anyone holding the document can recompute it. ``document`` is present only when the
publication is public; private ones (disclosure case events) are logged by digest alone.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jcs

_TYPE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_SUBJECT = 200


class EnvelopeError(ValueError):
    """An entry that is not a well-formed envelope."""


def canonical(document: Any) -> bytes:
    """RFC 8785 canonical JSON bytes of ``document``."""
    # Python's own encoder (in C) with sorted keys writes RFC 8785 byte for byte when the
    # text is ASCII (code-point and UTF-16 orders agree) and holds no fraction (RFC 8785
    # writes numbers as ECMAScript does); reading it back checks both, and that the keys
    # came out in order (integer keys sort otherwise). The rest goes through ``jcs``.
    try:
        quick = json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        if quick.isascii():
            json.loads(quick, parse_float=_refuse, object_pairs_hook=_in_order)
            return quick.encode()
    except (TypeError, ValueError):
        pass
    return bytes(jcs.canonicalize(document))


def _refuse(_text: str) -> float:
    raise ValueError("a fraction")


def _in_order(pairs: list[tuple[str, Any]]) -> None:
    keys = [key for key, _ in pairs]
    if keys != sorted(keys):
        raise ValueError("keys out of order")


def document_digest(document: Any) -> str:
    """The hex SHA-256 of a JSON document's canonical form: what an envelope records."""
    return hashlib.sha256(canonical(document)).hexdigest()


@dataclass(frozen=True)
class Envelope:
    """What one log entry says."""

    type: str
    time: str  # RFC 3339, UTC, as written in the entry
    subject: str
    sha256: str
    document: Mapping[str, Any] | None = None
    # The document's canonical form, when it was just computed for its digest.
    canonical_document: bytes | None = field(default=None, compare=False, repr=False)

    def to_entry(self) -> bytes:
        """The entry bytes: canonical JSON, so the same envelope always hashes the same."""
        body: dict[str, Any] = {
            "type": self.type,
            "time": self.time,
            "subject": self.subject,
            "sha256": self.sha256,
        }
        if self.document is None:
            return canonical(body)
        # "document" sorts first: the envelope is the document's canonical form spliced in
        # front of the canonical form of the four strings.
        document = self.canonical_document or canonical(self.document)
        return b'{"document":' + document + b"," + canonical(body)[1:]

    @classmethod
    def from_entry(cls, entry: bytes) -> Envelope:
        """Read an entry back; refuse anything but a canonical, well-formed envelope."""
        try:
            body = json.loads(entry)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise EnvelopeError("the entry is not JSON") from None
        if not isinstance(body, dict) or set(body) - {"document"} != {
            "type",
            "time",
            "subject",
            "sha256",
        }:
            raise EnvelopeError("the entry is not an envelope of type, time, subject, sha256")
        if not all(isinstance(body[k], str) for k in ("type", "time", "subject", "sha256")):
            raise EnvelopeError("the envelope's type, time, subject and sha256 are strings")
        document = body.get("document")
        if document is not None and not isinstance(document, dict):
            raise EnvelopeError("the envelope's document is not a JSON object")
        envelope = cls(body["type"], body["time"], body["subject"], body["sha256"], document)
        if envelope.to_entry() != entry:
            raise EnvelopeError("the entry is not in RFC 8785 canonical form")
        envelope.logged_at  # noqa: B018 (refuses a time that is not RFC 3339)
        return envelope

    @property
    def logged_at(self) -> datetime:
        """The envelope's time as a datetime."""
        try:
            moment = datetime.fromisoformat(self.time.replace("Z", "+00:00"))
        except ValueError:
            raise EnvelopeError("the envelope's time is not an RFC 3339 time") from None
        if moment.tzinfo is None:
            raise EnvelopeError("the envelope's time has no time zone")
        return moment


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_envelope(
    *,
    entry_type: str,
    subject_id: str,
    time: datetime,
    document: Mapping[str, Any] | None,
    document_sha256: str | None,
) -> Envelope:
    """Build and check an envelope; the digest is computed when a document is given.

    Raises :class:`EnvelopeError` for what only a programming mistake can produce (a bad
    type name, a digest that does not match the document).
    """
    if not _TYPE.match(entry_type):
        raise EnvelopeError(f"entry type {entry_type!r} must match {_TYPE.pattern}")
    if not subject_id or len(subject_id) > MAX_SUBJECT:
        raise EnvelopeError(f"the subject must have 1 to {MAX_SUBJECT} characters")
    if document is None:
        if document_sha256 is None or not _SHA256.match(document_sha256):
            raise EnvelopeError("a private publication needs its lowercase hex SHA-256")
        digest = document_sha256
    else:
        form = canonical(document)
        digest = hashlib.sha256(form).hexdigest()
        if document_sha256 is not None and document_sha256 != digest:
            raise EnvelopeError("document_sha256 is not the SHA-256 of the canonical document")
        return Envelope(entry_type, _rfc3339(time), subject_id, digest, document, form)
    return Envelope(entry_type, _rfc3339(time), subject_id, digest, document)
