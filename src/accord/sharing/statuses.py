"""The status resource of a POST of an envelope (TAXII 2.1, section 4.3.1): read as kept, and
written as answered, pending (``sharing.queue``) or complete.

A client polls the status of each envelope it posted, and a complete status lists an entry
for every object of its envelope: its lists are kept as the JSON the answer writes
(``TaxiiStatus.successes`` and ``failures``, written once by ``ingest.record_status``) and
spliced into each answer as they are (an ``orjson.Fragment``), as a pending status's pendings
are. Decoding them and encoding them again cost a poll of an envelope of 1,000 objects two
thirds of its CPU (docs/benchmarks.md, "status polls"). A status kept before migration
sharing_0017 has its lists in ``details`` and is answered from there, as before, the same bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from accord import prepared
from accord.sharing import queue
from accord.sharing.models import QueuedEnvelope, TaxiiStatus
from accord.sharing.stix_validation import format_timestamp


class KeptStatus(NamedTuple):
    """A complete status as kept: the columns its answer and its reader's check need."""

    uuid: str
    user_id: int | None
    request_timestamp: datetime
    total_count: int
    success_count: int
    failure_count: int
    successes: str | None
    failures: str | None
    details: dict[str, Any]


# Not the ORM entity: a poll reads these columns, without the identity map's work.
_KEPT = select(*(getattr(TaxiiStatus, name) for name in KeptStatus._fields)).where(
    TaxiiStatus.uuid == bindparam("status_id")
)


def kept(db: Session, status_id: str) -> KeptStatus | None:
    """The complete status of this id, if there is one (whoever it is for)."""
    found = prepared.typed_rows(db, _KEPT, {"status_id": status_id})
    return KeptStatus(*found[0]) if found else None


def pending_json(entry: QueuedEnvelope) -> bytes:
    """The status resource of a queued envelope (section 4.3.1): its objects are pending."""
    return orjson.dumps(
        {
            "id": entry.status_uuid,
            "status": "pending",
            "request_timestamp": format_timestamp(entry.request_timestamp),
            **queue.status_fields(entry),
        }
    )


def status_json(found: TaxiiStatus | KeptStatus) -> dict[str, Any]:
    """A complete status resource (section 4.3.1), its lists spliced in as kept."""
    successes: Any
    failures: Any
    if found.successes is None or found.failures is None:
        successes = found.details.get("successes", [])
        failures = found.details.get("failures", [])
    else:
        successes = orjson.Fragment(found.successes)
        failures = orjson.Fragment(found.failures)
    return {
        "id": found.uuid,
        "status": "complete",
        "request_timestamp": format_timestamp(found.request_timestamp),
        "total_count": found.total_count,
        "success_count": found.success_count,
        "successes": successes,
        "failure_count": found.failure_count,
        "failures": failures,
        "pending_count": 0,
        "pendings": [],
    }
