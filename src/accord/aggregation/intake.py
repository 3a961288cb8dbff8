"""Taking in one CSAF 2.0 document: the tests, the advisory made from it, the document kept.

The same path for a file given to ``accord advisories import`` and for a document read from
a provider: the CSAF schema and mandatory tests (:mod:`.checks`) first, and a document that
fails one is refused naming the test; then the OSV record (:mod:`.csaf_osv`) is stored as
any imported record is (``advisories.importer.store_record``: new, newer, or unchanged),
and the CSAF document kept whole beside its advisory, with where it came from and what its
signature was found to be. All of it in one savepoint: in whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.advisories import importer
from accord.advisories.errors import BadRecord
from accord.advisories.models import Advisory
from accord.aggregation import checks, csaf_osv
from accord.aggregation.models import CsafDocument
from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, AccordError, Message
from accord.identity.policy import Actor

SIGNATURE_VERIFIED = "verified"
SIGNATURE_ABSENT = "absent"
SIGNATURE_NOT_CHECKED = "not checked"


@dataclass(frozen=True)
class Origin:
    """Where a document came from and what was found about its signature."""

    source: str
    url: str = ""
    provider_id: int | None = None
    signature: str | None = None
    signature_status: str = SIGNATURE_NOT_CHECKED
    signature_key: str | None = None
    changed_at: datetime | None = None


class Refused(AccordError):
    """A CSAF document that is not taken in; ``test`` is the failed test's number if any."""

    def __init__(self, message: str, *, test: str | None = None) -> None:
        super().__init__(message, field="document")
        self.test = test


def tracking_id(content: dict[str, Any]) -> str | None:
    """The document's ``tracking.id``, if it has one."""
    found = content.get("document", {}).get("tracking", {}).get("id")
    return found if isinstance(found, str) else None


def import_source(
    db: Session,
    where: str,
    content: dict[str, Any],
    *,
    actor: Actor,
    settings: Settings,
    origin: str,
    organization_id: int | None,
) -> importer.Outcome | importer.Rejection:
    """A CSAF document read from a file by ``accord advisories import``."""
    text = json.dumps(content, ensure_ascii=False, indent=2, sort_keys=False)
    try:
        return take(
            db,
            content,
            text,
            actor=actor,
            settings=settings,
            organization_id=organization_id,
            origin=Origin(source=origin),
        )
    except Refused as exc:
        return importer.Rejection(where, tracking_id(content), exc.message)


def check(content: dict[str, Any]) -> None:
    """Raise :class:`Refused` naming the first failed test, if ``content`` fails one."""
    found = checks.failures(content)
    if found:
        first = found[0]
        message = first.describe()
        if len(found) > 1:
            others = ", ".join(f.test for f in found[1:])
            message = Message(N_("%(first)s (also failed: %(others)s)"), first=message,
                              others=others)  # fmt: skip
        if len(message) > 1000:
            message = message[:1000]
        raise Refused(message, test=None if first.test == "schema" else first.test)


def take(
    db: Session,
    content: dict[str, Any],
    text: str,
    *,
    actor: Actor,
    settings: Settings,
    organization_id: int | None,
    origin: Origin,
    tested: bool = False,
) -> importer.Outcome:
    """Check ``content`` (unless ``tested``), store its advisory and keep ``text`` whole."""
    if not tested:
        check(content)
    try:
        record = csaf_osv.to_osv(content)
    except (KeyError, TypeError, ValueError, AccordError) as exc:
        raise Refused(Message(N_("not readable as an advisory: %(exc)s"), exc=exc)) from None
    try:
        with db.begin_nested():
            outcome = importer.store_record(
                db,
                record,
                actor=actor,
                settings=settings,
                origin=origin.source,
                organization_id=organization_id,
            )
            advisory = db.scalar(select(Advisory).where(Advisory.osv_id == record["id"]))
            assert advisory is not None
            _keep(db, advisory, content, text, origin, outcome)
    except BadRecord as exc:
        raise Refused(exc.message) from None
    return outcome


def _keep(
    db: Session,
    advisory: Advisory,
    content: dict[str, Any],
    text: str,
    origin: Origin,
    outcome: importer.Outcome,
) -> None:
    kept = db.scalar(select(CsafDocument).where(CsafDocument.advisory_id == advisory.id))
    if kept is not None and outcome is importer.Outcome.UNCHANGED:
        return
    if kept is None:
        kept = CsafDocument(advisory_id=advisory.id)
        db.add(kept)
    data = text.encode("utf-8")
    tracking = content["document"]["tracking"]
    kept.provider_id = origin.provider_id
    kept.url = origin.url[:1000]
    kept.tracking_id = str(tracking["id"])[:300]
    kept.tracking_version = str(tracking.get("version", ""))[:100]
    kept.path = f"{str(tracking['initial_release_date'])[:4]}/{filename(kept.tracking_id)}"
    kept.sha256 = hashlib.sha256(data).hexdigest()
    kept.sha512 = hashlib.sha512(data).hexdigest()
    kept.signature = origin.signature
    kept.signature_status = origin.signature_status
    kept.signature_key = origin.signature_key
    kept.source = origin.source[:300]
    kept.changed_at = origin.changed_at
    kept.fetched_at = utcnow()
    kept.document = text
    db.flush()


def filename(tracking: str) -> str:
    """CSAF 2.0 section 5.1: the tracking id lower-cased, runs of other characters as "_"."""
    import re

    return re.sub(r"[^+\-a-z0-9]+", "_", tracking.lower()) + ".json"
