"""A case's history: each event is a row here and a digest in the transparency log.

The log holds the SHA-256 of a canonical (RFC 8785) event document, never the document: the
content stays private, yet a participant holding the document can later prove, with the
log's inclusion proof and signed checkpoint, that the hub recorded this event at that time
(who was told what, and when). Each document carries a random nonce so that its digest
cannot be confirmed by guessing its few predictable fields.

Nor does the log name the case while it is private: an event's subject is
``disclosure:HMAC-SHA256(case key, "disclosure:<case id>:<seq>")`` (:func:`subject`), random to
anyone without the case's key, so the public log does not tell which case had how many
events when. The participants read the key with the case; when the case is published the
key is logged in the clear (:func:`reveal`), and anyone can then link its entries.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.disclosure.models import Audience, CaseEvent, DisclosureCase
from accord.errors import N_, Message, NotFound
from accord.identity.policy import CaseStanding
from accord.transparency import bundles
from accord.transparency import services as log
from accord.transparency.commitments import keyed_subject
from accord.transparency.envelope import canonical, document_digest

ENTRY_TYPE = "disclosure.event"
SCHEMA = "accord.disclosure.event/1"
REVEAL_TYPE = "disclosure.published"
REVEAL_SCHEMA = "accord.disclosure.published/1"


def subject(case: DisclosureCase, seq: int) -> str:
    """The log subject of the case's event ``seq``, committed under the case's key."""
    return keyed_subject(
        "disclosure", key=bytes.fromhex(case.log_key), opening=f"disclosure:{case.public_id}:{seq}"
    )


def record(
    db: Session,
    *,
    settings: Settings,
    case: DisclosureCase,
    kind: str,
    actor_label: str,
    summary: str,
    details: Mapping[str, Any] | None = None,
    organization_id: int | None = None,
    audience: Audience = Audience.ALL,
    vendor_org_id: int | None = None,
) -> CaseEvent:
    """Append an event to the case's history and its digest to the log, in ``db``'s
    transaction. The caller holds the case row locked (see ``cases.load``)."""
    seq = (db.scalar(select(func.max(CaseEvent.seq)).where(CaseEvent.case_id == case.id)) or 0) + 1
    at = utcnow()
    document = {
        "schema": SCHEMA,
        "case": case.public_id,
        "ref": case.ref,
        "seq": seq,
        "kind": kind,
        "at": at.isoformat().replace("+00:00", "Z"),
        "actor": actor_label,
        "audience": audience.value,
        "details": dict(details or {}),
        "nonce": secrets.token_hex(16),
    }
    digest = document_digest(document)
    entry = log.append(
        db,
        settings=settings,
        entry_type=ENTRY_TYPE,
        subject_id=subject(case, seq),
        document=None,
        document_sha256=digest,
    )
    event = CaseEvent(
        case_id=case.id,
        seq=seq,
        kind=kind,
        actor_label=actor_label,
        organization_id=organization_id,
        summary=summary[:500],
        audience=audience,
        vendor_org_id=vendor_org_id,
        at=at,
        document_sha256=digest,
        log_index=entry.index,
        document=canonical(document).decode(),
    )
    db.add(event)
    db.flush()
    return event


def reveal(db: Session, *, settings: Settings, case: DisclosureCase) -> None:
    """Log the published case's key in the clear, so that anyone can link its entries; the
    entry's index is kept on the case (``reveal_log_index``), as every publication keeps its."""
    count = db.scalar(select(func.max(CaseEvent.seq)).where(CaseEvent.case_id == case.id)) or 0
    case.reveal_log_index = log.append(
        db,
        settings=settings,
        entry_type=REVEAL_TYPE,
        subject_id=f"disclosure:{case.ref or case.public_id}",
        document={
            "schema": REVEAL_SCHEMA,
            "case": case.public_id,
            "ref": case.ref,
            "log_key": case.log_key,
            "events": count,
            "subject": 'disclosure:HMAC-SHA256(log_key, "disclosure:<case>:<seq>"), seq 1..events',
        },
    ).index


def visible(standing: CaseStanding) -> ColumnElement[bool]:
    """The events ``standing`` may see, as SQL (the rule of ``policy.may_see_message``)."""
    from accord.disclosure.messages import audience_filter

    return audience_filter(standing, CaseEvent.audience, CaseEvent.vendor_org_id)


def events(
    db: Session, *, case: DisclosureCase, standing: CaseStanding, limit: int = 200
) -> list[CaseEvent]:
    """The newest ``limit`` events ``standing`` may see, oldest first."""
    rows = db.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, visible(standing))
        .order_by(CaseEvent.seq.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


def proof(
    db: Session, *, case: DisclosureCase, standing: CaseStanding, seq: int, settings: Settings
) -> dict[str, Any]:
    """An event's document and the log bundle that proves it was logged."""
    event = db.scalar(
        select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.seq == seq, visible(standing)
        )
    )
    if event is None:
        raise NotFound(Message(N_("no event %(seq)s in this case"), seq=seq), field="seq")
    bundle = bundles.build_bundle(db, settings=settings, index=event.log_index)
    return {
        "document": json.loads(event.document),
        "document_sha256": event.document_sha256,
        "bundle": bundle.model_dump(mode="json"),
    }
