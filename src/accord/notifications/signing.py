"""Signing webhook deliveries, the way GitHub signs its own.

``X-Accord-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`` over the exact bytes
sent. The body carries the delivery id and the time it was sent (also in the headers
``X-Accord-Delivery`` and ``X-Accord-Timestamp``), so both are covered by the signature: a
receiver that checks the signature, refuses a timestamp older than a few minutes and
remembers the delivery ids it has seen cannot be fed a replayed delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

SIGNATURE_HEADER = "X-Accord-Signature-256"
DELIVERY_HEADER = "X-Accord-Delivery"
TIMESTAMP_HEADER = "X-Accord-Timestamp"
EVENT_HEADER = "X-Accord-Event"
SIGNATURE_PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(secret: str, body: bytes, header: str) -> bool:
    """Whether ``header`` is the signature of ``body`` (compared in constant time)."""
    return hmac.compare_digest(sign(secret, body), header)


def body(*, delivery_id: str, timestamp: int, event: dict[str, Any]) -> bytes:
    """The JSON body of one delivery attempt."""
    document = {"delivery": delivery_id, "timestamp": timestamp, "event": event}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
