"""What the hub-wide authorization matrix needs for the disclosure routes: a report to the
organization under test (acme) opened as a case, with an attachment and an embargo, and a
second report left untriaged (for the routes that open or triage one)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from accord.config import Settings
from accord.db import unit_of_work
from accord.disclosure import cases, embargo
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
    """Add ``case_id``, ``attachment_id`` and ``seq`` to ``world``."""
    sent = client.post(
        "/api/v1/disclosure/reports", json={**REPORT, "attachments": [ATTACHMENT]}
    ).json()
    untriaged = client.post("/api/v1/disclosure/reports", json=REPORT).json()
    with unit_of_work(make.factory) as db:
        access = cases.load(db, sent["id"], actor=SYSTEM, settings=settings, for_update=True)
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
            embargo.agree_release(db, access=access, slug="acme", actor=SYSTEM, settings=settings)
        ref = case.ref
    case_id = untriaged["id"] if path.endswith(("/open", "/triage")) else ref
    client.cookies.clear()
    world.values.update(case_id=case_id, attachment_id=_first_attachment(make, ref), seq=1)


def _first_attachment(make: Factories, ref: str | None) -> int:
    from sqlalchemy import select

    from accord.disclosure.models import Attachment, DisclosureCase

    with unit_of_work(make.factory) as db:
        return int(
            db.scalar(
                select(Attachment.id)
                .join(DisclosureCase, DisclosureCase.id == Attachment.case_id)
                .where(DisclosureCase.ref == ref)
            )
            or 0
        )
