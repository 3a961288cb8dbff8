"""The status resource of a POST of an envelope (TAXII 2.1, section 4.3.1): read as kept, and
written as answered, pending (``sharing.queue``) or complete.

A client polls the status of each envelope it posted, and a complete status lists an entry
for every object of its envelope: its lists are kept as the JSON the answer writes
(``TaxiiStatus.successes`` and ``failures``, written once by ``ingest.record_status``) and
spliced into each answer as they are (an ``orjson.Fragment``), as a pending status's pendings
are. Decoding them and encoding them again cost a poll of an envelope of 1,000 objects two
thirds of its CPU (docs/benchmarks.md, "status polls"). A status kept before migration
sharing_0017 has its lists in ``details`` and is answered from there, as before, the same bytes.

A poll is read as the TAXII reads are (``sharing.reading``), in a bare read transaction,
on the event loop when it can be: :func:`find` leaves the loop (``prepared.leave_loop``) for
the queue's look-up and for a status whose lists must be decoded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import bindparam, select

from accord import prepared
from accord.errors import N_, Message, NotFound
from accord.identity.policy import Action, Actor, authorize
from accord.prepared import Reads, leave_loop
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
    details: Any  # as the driver gives it: decoded only for a status kept before sharing_0017


# Not the ORM entity: a poll reads these columns, without the identity map's work.
_KEPT = select(*(getattr(TaxiiStatus, name) for name in KeptStatus._fields)).where(
    TaxiiStatus.uuid == bindparam("status_id")
)


def kept(db: Reads, status_id: str) -> KeptStatus | None:
    """The complete status of this id, if there is one (whoever it is for)."""
    found = prepared.rows(db, _KEPT, {"status_id": status_id})
    if not found:
        return None
    row = KeptStatus(*found[0])
    return row._replace(request_timestamp=prepared.timestamp(row.request_timestamp))


def find(
    db: Reads,
    waiting: queue.Queue,
    actor: Actor,
    status_id: str,
    *,
    again: Callable[[str], KeptStatus | None],
) -> KeptStatus | QueuedEnvelope:
    """A status resource, complete or still queued; only the account that posted the envelope
    may read it. ``again``: the complete status read in a transaction begun after the queue's
    look-up (an envelope stored and forgotten between the two reads has its status there)."""
    authorize(actor, Action.SHARING_WRITE)
    found: KeptStatus | QueuedEnvelope | None = kept(db, status_id)
    if found is None:
        leave_loop(db)  # the queue's look-up waits for its lock where waiting is allowed
        found = waiting.find(status_id)
        if found is None:
            found = again(status_id)
    if found is None or found.user_id != actor.user_id:
        raise NotFound(
            Message(N_("no status %(status_id)r"), status_id=status_id), field="status_id"
        )
    if isinstance(found, KeptStatus) and (found.successes is None or found.failures is None):
        # Kept before sharing_0017: its lists are decoded, off the loop.
        leave_loop(db)
        if isinstance(found.details, str):  # SQLite's text; PostgreSQL's driver decodes
            found = found._replace(details=json.loads(found.details))
    return found


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
