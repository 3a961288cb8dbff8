"""Stateless pagination: the position of a page, signed, so that any hub process continues it.

The ``next`` value TAXII hands a client is ``base64url(JSON) "." base64url(HMAC-SHA256)``.
The JSON holds where the page ended (``date_added`` and row id, the sort key) and a digest of
the query it belongs to; the HMAC key is derived with HKDF (RFC 5869) from a random hub secret
kept in the database, so that every process behind a load balancer shares it and nothing of
the walk lives in memory. Visibility is not in the cursor: each page is filtered again for
the reader presenting it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.errors import N_, AccordError
from accord.sharing.models import SharingSecret

if TYPE_CHECKING:
    # Only the web layer hands a request in; the CLI imports this module without FastAPI.
    from fastapi import Request

SECRET_NAME = "hub"  # noqa: S105 (the row's name; the secret is random)
_INFO = b"accord sharing cursor v1"
LIFETIME = timedelta(days=1)
# A cursor's expiry is counted from the start of the minute it was made in, not the second:
# a page made twice within a minute, for the same rows, is the same bytes, so that a cached
# page (accord.sharing.page_cache) is what a fresh read would have answered.
BUCKET_SECONDS = 60


def bucket(now: datetime) -> int:
    """The minute ``now`` falls in, as seconds since the epoch: what a cursor's expiry is
    counted from."""
    return int(now.timestamp()) // BUCKET_SECONDS * BUCKET_SECONDS


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last row's ``date_added`` and id."""

    date_added: datetime
    row_id: int


def cursor_key(engine: Engine) -> bytes:
    """The HMAC key of cursors, derived from the hub secret (created on first use)."""
    with Session(engine) as db:
        value = db.scalar(select(SharingSecret.value).where(SharingSecret.name == SECRET_NAME))
        if value is None:
            db.add(SharingSecret(name=SECRET_NAME, value=secrets.token_hex(32)))
            try:
                db.commit()
            except IntegrityError:  # another process created it first: use theirs
                db.rollback()
            value = db.scalar(select(SharingSecret.value).where(SharingSecret.name == SECRET_NAME))
    assert value is not None
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    return hkdf.derive(bytes.fromhex(value))


def app_key(request: Request) -> bytes:
    """The cursor key of the application serving ``request``, derived once and kept on it.

    Every process derives the same key from the same secret, so any of them continues a walk
    another began.
    """
    key: bytes | None = getattr(request.app.state, "sharing_cursor_key", None)
    if key is None:
        key = cursor_key(request.app.state.engine)
        request.app.state.sharing_cursor_key = key
    return key


def query_digest(*parts: object) -> str:
    """A short digest of a query's parameters, to tie a cursor to the query that made it."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def encode(key: bytes, position: Position, *, query: str, now: datetime) -> str:
    """The opaque ``next`` value for a page that ended at ``position``."""
    payload = json.dumps(
        {
            "a": position.date_added.astimezone(UTC).isoformat(),
            "r": position.row_id,
            "q": query,
            "e": bucket(now) + int(LIFETIME.total_seconds()),
        },
        separators=(",", ":"),
    ).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


class BadCursor(AccordError):
    """A ``next`` value that is forged, stale or made for another query (400: TAXII clients
    expect a bad request, TAXII 2.1, section 3.6)."""

    status_code = 400
    code = "bad_cursor"


def decode(key: bytes, token: str, *, query: str, now: datetime) -> Position:
    """The position in a ``next`` value; :class:`BadCursor` for forged, stale or foreign ones."""
    bad = BadCursor("next: not a cursor this hub issued for this query", field="next")
    body, _, mac = token.partition(".")
    try:
        payload, signature = _unb64(body), _unb64(mac)
    except (ValueError, binascii.Error):
        raise bad from None
    if not hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest(), signature):
        raise bad
    data = json.loads(payload)
    if data["q"] != query:
        raise bad
    if data["e"] < now.timestamp():
        raise BadCursor(N_("next: this cursor has expired; start again"), field="next")
    return Position(date_added=datetime.fromisoformat(data["a"]), row_id=int(data["r"]))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
