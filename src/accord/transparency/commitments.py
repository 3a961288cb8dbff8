"""Subjects of private log entries: keyed commitments that only their holders can open.

A public log entry names its subject (``envelope.subject``). For a private event (a case's
history, a restricted advisory) the name itself would tell everyone which case or advisory
had something happen, how often and when. Such entries are named instead by
``<kind>:<HMAC-SHA256(key, opening)>`` (RFC 2104): without the key the subject is random to
an observer and two entries of the same case cannot be linked; with it, anyone can recompute
the subject from the opening (``disclosure:<case id>:<seq>``, ``<advisory id>@<version>``) and
find the entry. The key is given to those who may know (a case's participants, the readers of
a restricted advisory) and published when the thing itself is.
"""

from __future__ import annotations

import hashlib
import hmac


def keyed_subject(kind: str, *, key: bytes, opening: str) -> str:
    """The subject under which an entry about ``opening`` is logged, committed under ``key``."""
    return f"{kind}:{hmac.new(key, opening.encode(), hashlib.sha256).hexdigest()}"
