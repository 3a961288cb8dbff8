"""What the hub-wide authorization matrix needs for the disclosure routes: a report to the
organization under test (acme) opened as a case, with an attachment and an embargo, and a
second report left untriaged (for the routes that open or triage one)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.config import Settings
from accord.db import unit_of_work
from accord.disclosure import attachments, cases, closing, embargo, reports, vendors
from accord.disclosure.models import Attachment, CloseReason
from accord.disclosure.schemas import CloseRequest, ReportCreate, VendorStatusUpdate
from accord.identity.policy import SYSTEM
from tests.authz import World
from tests.factories import Factories

PLACEHOLDERS = ("{case_id}", "{attachment_id}", "{seq}")
EMBARGO = "2099-01-01T00:00:00+00:00"
REPORT: dict[str, Any] = {
    "organization": "acme",
    "title": "Path traversal in the file server",
    "product": "Acme Files",
    "purl": "pkg:pypi/acme-files@1.0",
    "description": "A crafted path reads any file the server process can read.",
    "steps_to_reproduce": "GET /files/..%2f..%2fetc%2fpasswd and read the answer.",
}
FORM = dict(REPORT.items())
ATTACHMENT = {
    "filename": "poc.txt",
    "content_type": "text/plain",
    "data_base64": base64.b64encode(b"curl http://acme/files/..%2f").decode(),
}


def prepare(
    client: TestClient, make: Factories, settings: Settings, world: World, path: str
) -> None:
    """Add ``case_id``, ``attachment_id`` and ``seq`` to ``world``.

    The rows are built by the same service functions the routes call, in one transaction: a
    matrix row pays one commit for its case instead of a dozen requests' worth (the report
    routes themselves are matrix rows of their own, and tests/disclosure drives them over HTTP).
    """
    limiter = client.app.state.limiter
    data = ReportCreate.model_validate(REPORT)
    upload = attachments.Upload(
        ATTACHMENT["filename"],
        ATTACHMENT["content_type"],
        base64.b64decode(ATTACHMENT["data_base64"]),
    )
    with unit_of_work(make.factory) as db:
        sent = reports.submit(db, data=data, uploads=[upload], settings=settings, limiter=limiter)
        access = cases.load(db, sent.case.public_id, actor=SYSTEM, settings=settings)
        case = cases.open_case(db, access=access, actor=SYSTEM, settings=settings)
        embargo.propose(
            db,
            access=access,
            embargo_at=datetime.fromisoformat(EMBARGO),
            reason="",
            actor=SYSTEM,
            settings=settings,
        )
        if path.endswith("/publish"):
            # acme is affected, so that its members publish its own advisory.
            vendors.set_status(
                db,
                access=access,
                slug="acme",
                data=VendorStatusUpdate.model_validate({"status": "affected"}),
                actor=SYSTEM,
                settings=settings,
            )
            embargo.agree_release(db, access=access, slug="acme", actor=SYSTEM, settings=settings)
        if path.endswith("/reopen"):
            closing.close(
                db,
                access=access,
                data=CloseRequest(reason=CloseReason.WITHDRAWN),
                actor=SYSTEM,
                settings=settings,
            )
        case_id = case.ref
        if path.endswith(("/open", "/triage")):
            untriaged = reports.submit(
                db, data=data, uploads=[], settings=settings, limiter=limiter
            )
            case_id = untriaged.case.public_id
        db.flush()
        attachment_id = db.scalar(select(Attachment.id).where(Attachment.case_id == case.id))
    world.values.update(case_id=case_id, attachment_id=attachment_id, seq=1, ordinal=1)
